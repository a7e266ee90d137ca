//! The std side of at-ftp that every adapter shares, written once.
//!
//! The core (`at-ftp-proto`) is a `no_std` sans-IO [`Engine`]: it says what to do next and
//! keeps every deadline. An adapter moves bytes between the engine and a port, blocking or
//! async. What is left between the two, and would otherwise be written again in each adapter,
//! lives here:
//!
//! - [`Serial`]: the serial settings (speed, flow control, the engine's [`Config`]), and how a
//!   serial port is opened with them.
//! - [`Error`]: what ends an adapter's call (the operation's failure, a refusal, a refused
//!   config, the port, the local file), and [`Finished`], the verdict that owns its value.
//! - [`Wire`] and [`Session`]: the transcript tap and the event hook (progress, URCs, the
//!   steps of a resynchronisation: every [`Event`]), and the settings this port session set,
//!   so that a transfer sends only the parameter commands whose value changed.
//! - [`Call`]: one adapter call as a sans-IO state machine of its own, on top of the engine.
//!   It settles an operation left in flight (a dropped future, a caller that gave up) by
//!   aborting and draining it first, starts the call's operation, hands the adapter the I/O
//!   to do ([`Io`]), and applies the policies: a port error resets the engine (the next
//!   operation resynchronises), a failed source aborts the upload and is the error
//!   reported, a failed sink ends the call at once (the download is left to the next
//!   operation's resynchronisation), a write or read that timed out is "nothing yet".
//! - [`PartFile`]: a download into a temporary file beside the target, synced and renamed
//!   over it only after the modem's `OK`, removed on failure.
//! - [`Verify`]: what a download must be before it is committed (a size, SHA-256, SHA-1, MD5
//!   or CRC-32 digests, checked while the bytes stream by [`Checked`]), and the checksum file
//!   beside it on a server ([`sidecar`]).
//!
//! An adapter's run loop, here against an in-memory port that answers every command line with
//! `OK` (a serial port, in real life):
//!
//! ```
//! use std::io::ErrorKind;
//!
//! use at_ftp_host::{Call, Error, Session, Io, Op};
//! use at_ftp_proto::{Config, Dialect, Engine, Instant, Param};
//!
//! # fn main() -> Result<(), Error> {
//! let mut engine: Engine = Engine::new(Config { resync: false, ..Config::default() })?;
//! let mut session = Session::default();
//! session.on_event(|event| eprintln!("{event:?}"));
//! let mut answers = Vec::new(); // what the "modem" says
//! let now = Instant::ZERO; // from the adapter's clock, in real life
//!
//! let mut call = Call::new(&mut session, Op::Read(Param::Server, Dialect::Query));
//! let finished = loop {
//!     match call.poll(&mut engine, now) {
//!         Io::Write(t) => {
//!             answers.extend_from_slice(b"\r\n#FTPSERV: \"ftp.example.com\"\r\n\r\nOK\r\n");
//!             call.wrote(t, Ok(t.bytes().len()));
//!         }
//!         Io::Read { buf, .. } | Io::Peek(buf) => {
//!             let n = answers.len().min(buf.len());
//!             buf[..n].copy_from_slice(&answers[..n]);
//!             answers.drain(..n);
//!             // Nothing there (yet): a timeout, not the port's end.
//!             let read = if n == 0 { Err(ErrorKind::TimedOut.into()) } else { Ok(n) };
//!             call.read(buf, read);
//!         }
//!         Io::Sink(_) => call.sunk(Ok(())),
//!         Io::Source(_) => call.sourced(Ok(0)),
//!         Io::Again => {}
//!         Io::Done(result) => break result?,
//!     }
//! };
//! assert_eq!(finished.value()?, b"ftp.example.com");
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod call;
mod error;
mod file;
mod verify;

#[cfg(doc)]
use at_ftp_proto::Engine;
use at_ftp_proto::Transmit;
pub use at_ftp_proto::{Config, Event};
use serialport::{FlowControl, SerialPort, SerialPortBuilder};

pub use call::{Call, Io, Op, Session};
pub use error::{Error, Finished};
pub use file::PartFile;
pub use verify::{Algorithm, Checked, Digest, DigestError, Mismatch, Sent, Verify, sidecar};

/// How an adapter opens a serial line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Serial {
    /// Bits per second. Default 115200.
    pub baud: u32,
    /// RTS/CTS hardware flow control. Default off. Software flow control is never used: it
    /// would eat the bytes 0x11 and 0x13 of the payload.
    pub rts_cts: bool,
    /// The engine's settings (deadlines, line length, stuffing, resynchronisation).
    pub config: Config,
}

impl Default for Serial {
    fn default() -> Self {
        Serial { baud: 115_200, rts_cts: false, config: Config::default() }
    }
}

impl Serial {
    /// A builder for the serial port at `path` with this speed and flow control (the
    /// adapter sets what else it needs, then opens it).
    pub fn builder(&self, path: &str) -> SerialPortBuilder {
        let flow = if self.rts_cts { FlowControl::Hardware } else { FlowControl::None };
        serialport::new(path, self.baud).flow_control(flow)
    }

    /// Raises DTR, and RTS unless the flow control drives it, on a port just opened. A
    /// pseudo-terminal answers "not a typewriter", and some adapters lack the lines: neither
    /// stops a modem that ignores them (`AT&D0`), so failures are ignored.
    pub fn raise(&self, port: &mut dyn SerialPort) {
        let _ = port.write_data_terminal_ready(true);
        if !self.rts_cts {
            let _ = port.write_request_to_send(true);
        }
    }
}

/// Bytes that crossed the line, for an adapter's transcript hook ([`Session::on_wire`]).
#[derive(Clone, Copy, Debug)]
pub enum Wire<'a> {
    /// Written to the modem (what one write took). Its `Display` shows a password as `***`.
    Sent(Transmit<'a>),
    /// Read from the modem, raw: with echo on (`ATE1`), this includes the modem's echo of
    /// the password command, so a transcript must redact it (the `at-ftp` tool does).
    Received(&'a [u8]),
}
