//! Classifying one response line from the modem (PROTOCOL.md sections 1, 2, 3 and 6).
//!
//! This module owns one job: given the text of a single, already-framed response line (no CR or
//! LF in it), say what it is: a final or intermediate result code in verbose (V1) or numeric (V0)
//! form, a `#CME ERROR` / `+CME ERROR` failure, a `#NAME: value` parameter read-back, the IP
//! address line of `AT#CONNECTIONSTART`, or anything else. It does not frame lines (that is the
//! framer's job: CR/LF, blank lines, NUL bytes and the bare `1025\r` of V0 mode are handled
//! before a line gets here) and it keeps no state: whether a line is a command's answer or an
//! unsolicited result code depends on what the session is waiting for, which this module does
//! not know.
//!
//! [`parse`] never fails and never panics, on any bytes: what it does not recognise is
//! [`Response::Other`]. Surrounding spaces and tabs are ignored, and words are matched without
//! regard to letter case.
//!

use core::net::Ipv4Addr;

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, tag_no_case, take_while, take_while1},
    character::complete::{space0, space1},
    combinator::{all_consuming, rest, value, verify},
    sequence::{delimited, preceded},
};

/// One response line from the modem, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Response<'a> {
    /// `OK`, or V0 `0`: final, success.
    Ok,
    /// `ERROR`, or V0 `4`: final, failure without a code.
    Error,
    /// `#CME ERROR: <n>`: final, failure of the IP stack with code n (PROTOCOL.md section 6).
    CmeError(u32),
    /// `+CME ERROR: <n>`: final, failure reported by the GSM layer.
    PlusCmeError(u32),
    /// `Ok_Info_DataBegin`, or V0 `1025`: download data follows.
    DataBegin,
    /// `Ok_Info_WaitingForData`, or V0 `1028`: the modem waits for upload data.
    WaitingForData,
    /// `Ok_Info_GprsActivation`, or V0 `3086`: the GPRS link is up.
    GprsActivation,
    /// `OK_Info_PPP`, or V0 `3077`: the GSM/PPP link is up.
    Ppp,
    /// `NO CARRIER`, or V0 `3`.
    NoCarrier,
    /// `RING`, or V0 `2` (unsolicited).
    Ring,
    /// `BUSY`, or V0 `7`.
    Busy,
    /// `NO ANSWER`, or V0 `8`.
    NoAnswer,
    /// `#NAME: value` information text, e.g. `#FTPSERV: "ftp.example.com"`, `#FTPPORT: 21`,
    /// `#STATE: "CONNECTED"`.
    Param {
        /// The name without the `#`, as sent (letter case kept), e.g. `b"FTPSERV"`.
        name: &'a [u8],
        /// The value after the colon.
        value: Value<'a>,
    },
    /// A line carrying the IPv4 address assigned by `AT#CONNECTIONSTART`: a dotted address,
    /// optionally in double quotes, optionally after a label that ends in `:` or whitespace
    /// (`10.1.2.3`, `"10.1.2.3"`, `IP: 10.1.2.3`, `MY IP 10.1.2.3`).
    Address(Ipv4Addr),
    /// Anything else (a URC or text this parser does not know): the line with surrounding
    /// spaces and tabs removed.
    Other(&'a [u8]),
}

/// The value of a `#NAME: value` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value<'a> {
    /// A string value: the bytes between the double quotes, quotes removed (may be empty).
    Quoted(&'a [u8]),
    /// A bare value (a number, or `A`/`I`), trimmed; never empty.
    Bare(&'a [u8]),
}

impl Response<'_> {
    /// Classifies one framed line (no CR/LF in it). Never fails, never panics: what it does
    /// not recognise is [`Response::Other`]; spaces and tabs around the line are ignored.
    ///
    /// ```
    /// use at_ftp_proto::{Response, Value};
    ///
    /// let parse = Response::parse;
    ///
    /// assert_eq!(parse(b"Ok_Info_DataBegin"), Response::DataBegin);
    /// assert_eq!(parse(b"1025"), Response::DataBegin);
    /// assert_eq!(parse(b"#CME ERROR: 38027"), Response::CmeError(38027));
    /// assert_eq!(
    ///     parse(br#"#FTPSERV: "ftp.example.com""#),
    ///     Response::Param { name: b"FTPSERV", value: Value::Quoted(b"ftp.example.com") },
    /// );
    /// assert_eq!(parse(b"OKAY"), Response::Other(b"OKAY"));
    /// ```
    #[must_use]
    pub fn parse(line: &[u8]) -> Response<'_> {
        parse(line)
    }
}

/// The parsers below never build an error value: `()` is the cheapest error type nom accepts.
type PResult<'a, O> = IResult<&'a [u8], O, ()>;

/// Classifies one framed line (no CR/LF in it). Never fails, never panics.
///
/// Spaces and tabs around the line are ignored; anything not recognised is
/// [`Response::Other`] with the trimmed line.
pub(crate) fn parse(line: &[u8]) -> Response<'_> {
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

/// The address line of `AT#CONNECTIONSTART` (PROTOCOL.md section 3): after the last `:`, space
/// or tab (the end of an optional label), a dotted IPv4 address, optionally in double quotes.
/// Lines starting with `#` or `+` are parameters or errors, never an address.
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
