//! Between the response grammar and the engine: the echo filter and the "answer or URC" step.
//!
//! This module owns one decision: what a framed line means to the command in flight. The
//! grammar ([`crate::response`]) says what a line *is*; the engine's phases say what they wait
//! for; in between, [`classify`] drops the modem's echo of our own commands (a modem never
//! originates a line that starts with `AT`, and a line that assigns a password is never
//! reported, whatever precedes it) and sorts the rest into the replies a phase acts on. A
//! reply a phase does not expect is its own policy to handle; [`Reply::Unsolicited`] is what no
//! command can be answered by.

use core::net::Ipv4Addr;

use crate::command::Param;
use crate::error::ModemError;
use crate::response::{self, Response, Value};

/// A line, sorted for the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reply<'a> {
    /// Our own command echoed (ATE1), maybe late or behind a stray byte; or a line carrying a
    /// password assignment. Never reported.
    Echo,
    /// `OK` (V0 `0`).
    Ok,
    /// A final failure: `ERROR`, `#CME ERROR`, `+CME ERROR`, `NO CARRIER`, `BUSY`, `NO ANSWER`.
    Failure(ModemError),
    /// `Ok_Info_DataBegin` (V0 `1025`): the modem is in download data mode. `numeric`: the V0
    /// form, after which no LF follows the CR.
    DataBegin {
        /// The V0 form.
        numeric: bool,
    },
    /// `Ok_Info_WaitingForData` (V0 `1028`): the modem waits for upload data.
    WaitingForData,
    /// `Ok_Info_GprsActivation` or `OK_Info_PPP`.
    LinkUp,
    /// The address line of `AT#CONNECTIONSTART`.
    Address(Ipv4Addr),
    /// The `#NAME: value` of the parameter being read (quotes removed).
    Value(&'a [u8]),
    /// Anything else: a URC (`RING`, a `#NAME: value` of another parameter, text).
    Unsolicited,
}

impl Reply<'_> {
    /// The reply without its borrow: a value becomes empty (the engine copies it first).
    pub(crate) const fn detach(self) -> Reply<'static> {
        match self {
            Reply::Echo => Reply::Echo,
            Reply::Ok => Reply::Ok,
            Reply::Failure(e) => Reply::Failure(e),
            Reply::DataBegin { numeric } => Reply::DataBegin { numeric },
            Reply::WaitingForData => Reply::WaitingForData,
            Reply::LinkUp => Reply::LinkUp,
            Reply::Address(a) => Reply::Address(a),
            Reply::Value(_) => Reply::Value(&[]),
            Reply::Unsolicited => Reply::Unsolicited,
        }
    }
}

/// What `line` means while `reading` (the parameter a read waits for, if one does).
pub(crate) fn classify(line: &[u8], reading: Option<Param>) -> Reply<'_> {
    if is_echo(line) {
        return Reply::Echo;
    }
    match response::parse(line) {
        Response::Ok => Reply::Ok,
        Response::Error => Reply::Failure(ModemError::Error),
        Response::CmeError(n) => Reply::Failure(ModemError::Cme(n)),
        Response::PlusCmeError(n) => Reply::Failure(ModemError::PlusCme(n)),
        Response::NoCarrier => Reply::Failure(ModemError::NoCarrier),
        Response::Busy => Reply::Failure(ModemError::Busy),
        Response::NoAnswer => Reply::Failure(ModemError::NoAnswer),
        Response::DataBegin => {
            Reply::DataBegin { numeric: line.trim_ascii().iter().all(u8::is_ascii_digit) }
        }
        Response::WaitingForData => Reply::WaitingForData,
        Response::GprsActivation | Response::Ppp => Reply::LinkUp,
        Response::Address(address) => Reply::Address(address),
        Response::Param { name, value: Value::Quoted(value) | Value::Bare(value) }
            if reading.is_some_and(|p| name.eq_ignore_ascii_case(p.answer_name().as_bytes())) =>
        {
            Reply::Value(value)
        }
        Response::Ring | Response::Param { .. } | Response::Other(_) => Reply::Unsolicited,
    }
}

/// The echo filter: a line that starts with `AT` (after blanks), or that holds `PW="` anywhere
/// (an echoed password command behind noise).
fn is_echo(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii_start();
    trimmed.get(..2).is_some_and(|at| at.eq_ignore_ascii_case(b"AT"))
        || line.windows(4).any(|w| w.eq_ignore_ascii_case(b"PW=\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_and_password_lines_are_never_replies() {
        for line in
            [&b"AT#FTPGET"[..], b" at#ftpserv=\"x\"", b"\x7fAT#FTPPW=\"s\"", b"xx#FTPPW=\"s\""]
        {
            assert_eq!(classify(line, None), Reply::Echo, "{line:?}");
        }
    }

    #[test]
    fn busy_and_no_answer_are_failures() {
        assert_eq!(classify(b"BUSY", None), Reply::Failure(ModemError::Busy));
        assert_eq!(classify(b"7", None), Reply::Failure(ModemError::Busy));
        assert_eq!(classify(b"NO ANSWER", None), Reply::Failure(ModemError::NoAnswer));
        assert_eq!(classify(b"8", None), Reply::Failure(ModemError::NoAnswer));
        assert_eq!(classify(b"RING", None), Reply::Unsolicited);
    }

    #[test]
    fn a_value_only_for_the_parameter_being_read() {
        assert_eq!(classify(b"#FTPPORT: 21", Some(Param::Port)), Reply::Value(b"21"));
        assert_eq!(classify(b"#FTPPORT: 21", Some(Param::Server)), Reply::Unsolicited);
        assert_eq!(classify(b"#FTPPORT: 21", None), Reply::Unsolicited);
        let state = Some(Param::LinkState);
        assert_eq!(classify(b"#STATE: \"CONNECTED\"", state), Reply::Value(b"CONNECTED"));
        assert_eq!(classify(b"#VSTATE: \"CONNECTED\"", state), Reply::Unsolicited);
    }
}
