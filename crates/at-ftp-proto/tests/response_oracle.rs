//! The response-line parser against the one it replaced: the same grammar written with `nom`
//! combinators and `Ipv4Addr`'s parser, kept here as the oracle (the core's own parser is
//! hand-written: 1.9 KB less flash on a Cortex-M, 1.1 KB of it `Ipv4Addr`'s parser). Every line, near the grammar or arbitrary,
//! gets the same classification from both.
#![allow(clippy::unwrap_used)]

use at_ftp_proto::{Response, Value};
use proptest::prelude::*;

/// The parser the core had until 2026-12-01: `nom` combinators, and `Ipv4Addr`'s parser for
/// the address line.
mod oracle {
    use super::{Response, Value};
    use core::net::Ipv4Addr;
    use nom::{
        IResult, Parser,
        branch::alt,
        bytes::complete::{tag, tag_no_case, take_while, take_while1},
        character::complete::{space0, space1},
        combinator::{all_consuming, rest, value, verify},
        sequence::{delimited, preceded},
    };

    /// The parsers below never build an error value: `()` is the cheapest error type nom accepts.
    type PResult<'a, O> = IResult<&'a [u8], O, ()>;

    /// Classifies one framed line (no CR/LF in it). Never fails, never panics.
    ///
    /// Spaces and tabs around the line are ignored; anything not recognised is
    /// [`Response::Other`] with the trimmed line.
    fn parse(line: &[u8]) -> Response<'_> {
        let line = trim(line);
        if let Some(code) = numeric(line) {
            return code;
        }
        if let Ok((_, response)) = all_consuming(alt((word, cme, param))).parse(line) {
            return response;
        }
        if let Some(addr) = address(line) {
            return Response::Address(addr);
        }
        Response::Other(line)
    }

    fn is_blank(b: u8) -> bool {
        b == b' ' || b == b'\t'
    }

    /// `line` without leading and trailing ASCII spaces and tabs.
    fn trim(line: &[u8]) -> &[u8] {
        let start = line.iter().position(|&b| !is_blank(b)).unwrap_or(line.len());
        let end = line.iter().rposition(|&b| !is_blank(b)).map_or(start, |i| i + 1);
        line.get(start..end).unwrap_or_default()
    }

    /// A V0 numeric result code: the whole line is one of the known codes (PROTOCOL.md section 1).
    fn numeric(line: &[u8]) -> Option<Response<'static>> {
        Some(match line {
            b"0" => Response::Ok,
            b"2" => Response::Ring,
            b"3" => Response::NoCarrier,
            b"4" => Response::Error,
            b"7" => Response::Busy,
            b"8" => Response::NoAnswer,
            b"1025" => Response::DataBegin,
            b"1028" => Response::WaitingForData,
            b"3077" => Response::Ppp,
            b"3086" => Response::GprsActivation,
            _ => return None,
        })
    }

    /// A verbose result code word. The caller requires it to be the whole (trimmed) line, so
    /// `OKAY` or `ERROR 5` is not a match. The two-word codes accept any run of spaces or tabs
    /// between their words.
    fn word(input: &[u8]) -> PResult<'_, Response<'_>> {
        alt((
            // The `OK_Info_*` words come before their prefix `OK`: `alt` keeps the first branch
            // that matches, and the caller's `all_consuming` would then reject the leftover.
            value(Response::DataBegin, tag_no_case("Ok_Info_DataBegin")),
            value(Response::WaitingForData, tag_no_case("Ok_Info_WaitingForData")),
            value(Response::GprsActivation, tag_no_case("Ok_Info_GprsActivation")),
            value(Response::Ppp, tag_no_case("OK_Info_PPP")),
            value(Response::Ok, tag_no_case("OK")),
            value(Response::Error, tag_no_case("ERROR")),
            value(Response::NoCarrier, (tag_no_case("NO"), space1, tag_no_case("CARRIER"))),
            value(Response::NoAnswer, (tag_no_case("NO"), space1, tag_no_case("ANSWER"))),
            value(Response::Ring, tag_no_case("RING")),
            value(Response::Busy, tag_no_case("BUSY")),
        ))
        .parse(input)
    }

    /// `#CME ERROR: <n>` or `+CME ERROR: <n>`, with optional spaces around the colon and the
    /// number; the number is decimal and must fit a `u32`.
    fn cme(input: &[u8]) -> PResult<'_, Response<'_>> {
        let (input, plus) = alt((value(false, tag("#")), value(true, tag("+")))).parse(input)?;
        let (input, n) = preceded(
            (tag_no_case("CME"), space1, tag_no_case("ERROR"), space0, tag(":"), space0),
            nom::character::complete::u32,
        )
        .parse(input)?;
        Ok((input, if plus { Response::PlusCmeError(n) } else { Response::CmeError(n) }))
    }

    /// `#NAME: value`, where NAME is ASCII letters, digits and underscores, and the value is either
    /// a complete double-quoted string (nothing may follow the closing quote) or bare text.
    fn param(input: &[u8]) -> PResult<'_, Response<'_>> {
        let (input, name) = delimited(
            tag("#"),
            take_while1(|b: u8| b.is_ascii_alphanumeric() || b == b'_'),
            (space0, tag(":"), space0),
        )
        .parse(input)?;
        let (input, value) = alt((
            // Strings never contain a quote (PROTOCOL.md section 2), so the first quote after the
            // opening one closes the value.
            delimited(tag("\""), take_while(|b: u8| b != b'"'), tag("\"")).map(Value::Quoted),
            // A bare value may not start with a quote: that would be an unterminated string.
            verify(rest, |v: &[u8]| v.first().is_some_and(|&b| b != b'"'))
                .map(|v| Value::Bare(trim(v))),
        ))
        .parse(input)?;
        Ok((input, Response::Param { name, value }))
    }

    /// The address line, as the core had it: `Ipv4Addr`'s own parser on the dotted part.
    fn address(line: &[u8]) -> Option<Ipv4Addr> {
        if matches!(line.first(), None | Some(b'#' | b'+')) {
            return None;
        }
        let last = line.rsplit(|&b| b == b':' || is_blank(b)).next()?;
        let dotted = match last {
            [b'"', inner @ .., b'"'] => inner,
            other => other,
        };
        core::str::from_utf8(dotted).ok()?.parse().ok()
    }

    pub(super) fn classify(line: &[u8]) -> Response<'_> {
        parse(line)
    }
}

/// Lines assembled from fragments of the grammar, in any letter case, so that most of them
/// come close to a real line.
fn near_line() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just(&b"#"[..]),
        Just(&b"+"[..]),
        Just(&b"CME"[..]),
        Just(&b"cMe"[..]),
        Just(&b"ERROR"[..]),
        Just(&b"error"[..]),
        Just(&b"OK"[..]),
        Just(&b"Ok_Info_"[..]),
        Just(&b"DataBegin"[..]),
        Just(&b"WaitingForData"[..]),
        Just(&b"GprsActivation"[..]),
        Just(&b"PPP"[..]),
        Just(&b"NO"[..]),
        Just(&b"CARRIER"[..]),
        Just(&b"answer"[..]),
        Just(&b"RING"[..]),
        Just(&b"busy"[..]),
        Just(&b"FTPSERV"[..]),
        Just(&b"_"[..]),
        Just(&b":"[..]),
        Just(&b" "[..]),
        Just(&b"\t"[..]),
        Just(&b"\""[..]),
        Just(&b"."[..]),
        Just(&b"10"[..]),
        Just(&b"255"[..]),
        Just(&b"4294967295"[..]),
        Just(&b"4294967296"[..]),
        Just(&b"1025"[..]),
        Just(&b"0"[..]),
        Just(&b"-"[..]),
        Just(&b"01"[..]),
        Just(&b"256"[..]),
        Just(&b"IP "[..]),
        Just(&b"\xff"[..]),
        Just(&b"\0"[..]),
    ];
    prop::collection::vec(fragment, 0..10).prop_map(|f| f.concat())
}

#[test]
fn the_table_of_forms_agrees() {
    let lines: &[&[u8]] = &[
        b"OK",
        b" ok ",
        b"OKAY",
        b"Ok_Info_DataBegin",
        b"OK_INFO_PPP",
        b"OK_Info_PPPX",
        b"NO CARRIER",
        b"NO\t \tANSWER",
        b"NOCARRIER",
        b"NO CARRIERS",
        b"#CME ERROR: 38027",
        b"+CME ERROR:5",
        b"#cme   error  :  7",
        b"#CME ERROR: 4294967296",
        b"#CME ERROR: 5 x",
        b"#CME ERROR:",
        b"#CMEERROR: 5",
        b"#FTPSERV: \"a\"",
        b"#FTPSERV:\"a\" b",
        b"#X: \"a",
        b"#X: ",
        b"#X:",
        b"#X : 21",
        b"#X-Y: 1",
        b"#: 1",
        b"#FTPPORT: 21 22",
        b"10.1.2.3",
        b"IP: \"10.1.2.3\"",
        b"#10.1.2.3",
        b"",
        b"\"",
        b"#",
        b"+",
        b"01.2.3.4",
        b"0.0.0.0",
        b"255.255.255.255",
        b"256.1.1.1",
        b"1.2.3",
        b"1.2.3.4.5",
        b"1..2.3",
        b"+1.2.3.4",
        b"1.2.3.4.",
        b".1.2.3.4",
        b"a 1.2.3.04",
        b"1.2.3.0004",
        b"\"1.2.3.4",
        b"1.2.3.4\"",
        b"IP:",
        b"IP: ",
    ];
    for line in lines {
        assert_eq!(
            Response::parse(line),
            oracle::classify(line),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
    // The table reaches every form.
    assert_eq!(Response::parse(b"#X: 1"), Response::Param { name: b"X", value: Value::Bare(b"1") });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn lines_near_the_grammar_agree(line in near_line()) {
        prop_assert_eq!(Response::parse(&line), oracle::classify(&line));
    }

    #[test]
    fn arbitrary_lines_agree(line in prop::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(Response::parse(&line), oracle::classify(&line));
    }
}
