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

/// Classifies one framed line (no CR/LF in it). Never fails, never panics.
///
/// Spaces and tabs around the line are ignored; anything not recognised is
/// [`Response::Other`] with the trimmed line. Each form below must match the whole line.
pub(crate) fn parse(line: &[u8]) -> Response<'_> {
    let line = trim(line);
    if let Some(response) = numeric(line).or_else(|| word(line)).or_else(|| cme(line)) {
        return response;
    }
    if let Some(response) = param(line) {
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

/// `input` after its leading spaces and tabs, and whether there were any.
fn blanks(input: &[u8]) -> (&[u8], bool) {
    let n = input.iter().position(|&b| !is_blank(b)).unwrap_or(input.len());
    (input.get(n..).unwrap_or_default(), n > 0)
}

/// `input` after `word`, matched without regard to letter case.
fn after<'a>(input: &'a [u8], word: &str) -> Option<&'a [u8]> {
    let (head, rest) = input.split_at_checked(word.len())?;
    head.eq_ignore_ascii_case(word.as_bytes()).then_some(rest)
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

/// A verbose result code word, the whole line (`OKAY` and `ERROR 5` are not). The two-word
/// codes take any run of spaces or tabs between their words.
fn word(line: &[u8]) -> Option<Response<'static>> {
    const WORDS: [(&str, Response<'static>); 8] = [
        ("Ok_Info_DataBegin", Response::DataBegin),
        ("Ok_Info_WaitingForData", Response::WaitingForData),
        ("Ok_Info_GprsActivation", Response::GprsActivation),
        ("OK_Info_PPP", Response::Ppp),
        ("OK", Response::Ok),
        ("ERROR", Response::Error),
        ("RING", Response::Ring),
        ("BUSY", Response::Busy),
    ];
    if let Some(&(_, response)) =
        WORDS.iter().find(|(w, _)| line.eq_ignore_ascii_case(w.as_bytes()))
    {
        return Some(response);
    }
    let (second, spaced) = blanks(after(line, "NO")?);
    if !spaced {
        return None;
    }
    if second.eq_ignore_ascii_case(b"CARRIER") {
        Some(Response::NoCarrier)
    } else if second.eq_ignore_ascii_case(b"ANSWER") {
        Some(Response::NoAnswer)
    } else {
        None
    }
}

/// `#CME ERROR: <n>` or `+CME ERROR: <n>`, with optional spaces around the colon and the
/// number; the number is decimal digits (no sign) and must fit a `u32`.
fn cme(line: &[u8]) -> Option<Response<'static>> {
    let (plus, rest) = match line.split_first()? {
        (b'#', rest) => (false, rest),
        (b'+', rest) => (true, rest),
        _ => return None,
    };
    let (rest, spaced) = blanks(after(rest, "CME")?);
    if !spaced {
        return None;
    }
    let (rest, _) = blanks(after(rest, "ERROR")?);
    let (digits, _) = blanks(rest.strip_prefix(b":")?);
    if digits.is_empty() {
        return None;
    }
    let mut n: u32 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(if plus { Response::PlusCmeError(n) } else { Response::CmeError(n) })
}

/// `#NAME: value`, where NAME is ASCII letters, digits and underscores, and the value is either
/// a complete double-quoted string (nothing may follow the closing quote) or bare text.
fn param(line: &[u8]) -> Option<Response<'_>> {
    let rest = line.strip_prefix(b"#")?;
    let len = rest.iter().position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'));
    let (name, rest) = rest.split_at_checked(len.unwrap_or(rest.len()))?;
    if name.is_empty() {
        return None;
    }
    let (rest, _) = blanks(rest);
    let (value, _) = blanks(rest.strip_prefix(b":")?);
    let value = match value.split_first()? {
        // Strings never contain a quote (PROTOCOL.md section 2), so the first quote after the
        // opening one closes the value, and ends the line.
        (b'"', inner) => match inner.iter().position(|&b| b == b'"') {
            Some(end) if end + 1 == inner.len() => Value::Quoted(inner.get(..end)?),
            _ => return None,
        },
        // A bare value may not start with a quote: that would be an unterminated string.
        _ => Value::Bare(value),
    };
    Some(Response::Param { name, value })
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
    dotted_quad(dotted)
}

/// Four decimal octets between dots, as `Ipv4Addr`'s `FromStr` takes them (no sign, no
/// leading zero, at most 255), without its parser (1.1 KB of flash on a Cortex-M).
fn dotted_quad(text: &[u8]) -> Option<Ipv4Addr> {
    let mut parts = text.split(|&b| b == b'.');
    let mut octets = [0u8; 4];
    for octet in &mut octets {
        let part = parts.next()?;
        let well_formed = matches!(part.len(), 1..=3)
            && part.iter().all(u8::is_ascii_digit)
            && (part.len() == 1 || part.first() != Some(&b'0'));
        if !well_formed {
            return None;
        }
        let value = part.iter().fold(0u16, |v, &d| v * 10 + u16::from(d - b'0'));
        *octet = u8::try_from(value).ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}
