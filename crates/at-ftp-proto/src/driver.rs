//! The driver: the one run loop every adapter needs, as a sans-IO state machine of its own.
//!
//! This module owns the order in which a [`Session`]'s outputs are drained and its inputs fed,
//! the staging of port input and of upload data, and the end of an operation (after an abort
//! or a failure, only once the modem is back in command mode). An adapter asks
//! [`Driver::poll`] what to do next and does exactly that: write bytes, deliver payload, fill
//! an upload buffer, or read the port until a deadline. So the blocking and async adapters
//! hold no protocol logic, and cannot drift apart.
//!
//! ```
//! use at_ftp_proto::{Action, Driver, Instant, Outcome, Request};
//! # use at_ftp_proto::Escaper;
//! # /// Answers `OK` to each command line, and sends a file after `AT#FTPGET`.
//! # #[derive(Default)]
//! # struct Port { line: Vec<u8>, out: Vec<u8> }
//! # impl Port {
//! #     fn write(&mut self, bytes: &[u8]) {
//! #         for &b in bytes {
//! #             if b != b'\r' { self.line.push(b); continue; }
//! #             if self.line == b"AT#FTPGET" {
//! #                 self.out.extend_from_slice(b"\r\nOk_Info_DataBegin\r\n");
//! #                 let mut enc = Escaper::new();
//! #                 enc.escape_to_vec(b"hello\x03\x10world", &mut self.out);
//! #                 enc.finish_to_vec(&mut self.out);
//! #             }
//! #             self.out.extend_from_slice(b"\r\nOK\r\n");
//! #             self.line.clear();
//! #         }
//! #     }
//! #     fn read(&mut self, buf: &mut [u8], _deadline: Option<Instant>) -> usize {
//! #         let n = self.out.len().min(buf.len());
//! #         buf[..n].copy_from_slice(&self.out[..n]);
//! #         self.out.drain(..n);
//! #         n
//! #     }
//! # }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut port = Port::default(); // a serial port, in real life
//! let now = Instant::ZERO; // from the adapter's clock, in real life
//! let mut driver = Driver::default();
//! driver.start_get(now, &Request::new("ftp.example.com", "anonymous", "guest", "/", "f"))?;
//! let mut file = Vec::new();
//! let bytes = loop {
//!     match driver.poll(now) {
//!         Action::Transmit(t) => {
//!             let n = t.bytes().len();
//!             port.write(t.bytes()); // all of it, here; a short write reports fewer
//!             driver.transmitted(n);
//!         }
//!         Action::Payload(data) => file.extend_from_slice(data),
//!         Action::Read { buf, deadline } => {
//!             let n = port.read(buf, deadline);
//!             if n == 0 {
//!                 driver.timed_out(now); // once `deadline` passed, in real life
//!             } else {
//!                 driver.received(n);
//!             }
//!         }
//!         Action::Peek(buf) => {
//!             let n = port.read(buf, Some(now)); // what is there, without waiting
//!             driver.received(n);
//!         }
//!         Action::Upload(_) => driver.uploaded(0), // never asked in a download
//!         Action::Done(Ok(Outcome::Transferred { bytes })) => break bytes,
//!         Action::Done(result) => panic!("{result:?}"),
//!         Action::Progress(_) | Action::Notice(_) | Action::Idle => {}
//!     }
//! };
//! assert_eq!((bytes, file.as_slice()), (12, &b"hello\x03\x10world"[..]));
//! # Ok(())
//! # }
//! ```

use core::net::Ipv4Addr;

use crate::command::{Dialect, LinkRequest, Param, Request};
use crate::error::{Error, StartError};
use crate::line::MAX_LINE;
use crate::session::{Config, Event, PAYLOAD_CHUNK, Pending, Session, Transmit, UPLOAD_BUFFER};
use crate::time::Instant;

/// The room for port input: one read at most this long.
pub const INPUT_BUFFER: usize = 4096;

/// What the adapter does next; from [`Driver::poll`].
#[derive(Debug)]
pub enum Action<'a> {
    /// Write these bytes to the port, then call [`Driver::transmitted`] with how many were
    /// written (all of them, or fewer: the rest comes again with the next poll). A write that
    /// is cut off (an async call dropped mid-write) is thus resumed, never lost.
    Transmit(Transmit<'a>),
    /// Decoded download data, in order: write it to the destination. Provisional until
    /// [`Action::Done`] with `Ok`.
    Payload(&'a [u8]),
    /// The payload bytes received (download) or taken from the source (upload) so far.
    Progress(u64),
    /// Worth a log line, nothing more: [`Event::DataBegin`], [`Event::ReadyForData`],
    /// [`Event::Unsolicited`] or [`Event::LineTooLong`].
    Notice(Event<'a>),
    /// Fill this buffer with the next bytes of the upload, then call
    /// [`Driver::uploaded`] with their count; 0 means the end of the file.
    Upload(&'a mut [u8]),
    /// Read what the port has right now into `buf`, without waiting, then call
    /// [`Driver::received`] (with 0 when it had nothing). Asked between pieces of an upload:
    /// a modem that fails the upload says so while the data still flows, and must be heard
    /// before the rest of the file reaches it in command mode.
    Peek(&'a mut [u8]),
    /// Read the port into `buf`, waiting no later than `deadline`; then call
    /// [`Driver::received`], or [`Driver::timed_out`] once the deadline passed with nothing.
    /// A port that has nothing yet is not an error.
    Read {
        /// Where the bytes go.
        buf: &'a mut [u8],
        /// When to give up waiting; `None` while the host is the one to act (never here in
        /// practice: an operation in flight always has a deadline when it waits for input).
        deadline: Option<Instant>,
    },
    /// The operation ended, and the modem is back in command mode.
    Done(Result<Outcome<'a>, Error>),
    /// No operation in flight: start one.
    Idle,
}

/// Bytes that crossed the line, for an adapter's transcript hook.
#[derive(Clone, Copy, Debug)]
pub enum Wire<'a> {
    /// Written to the modem. Its `Display` shows a password as `***`.
    Sent(Transmit<'a>),
    /// Read from the modem, raw: with echo on (`ATE1`), this includes the modem's echo of
    /// the password command, so a transcript must redact it (the `at-ftp` tool does).
    Received(&'a [u8]),
}

/// How an operation succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// A download or upload, after the modem's final `OK`.
    Transferred {
        /// Payload bytes received or sent.
        bytes: u64,
    },
    /// The link is up (see [`Event::LinkUp`]).
    LinkUp {
        /// The address the modem reported, if it did.
        address: Option<Ipv4Addr>,
    },
    /// A parameter's value (see [`Event::ParamRead`]).
    Param {
        /// The parameter.
        param: Param,
        /// Its value.
        value: &'a [u8],
    },
}

/// How the operation ended, kept until the modem is back in command mode.
#[derive(Clone, Copy, Debug)]
enum End {
    Transferred(u64),
    LinkUp(Option<Ipv4Addr>),
    Param(Param),
    Failed(Error),
}

/// The upload's data source, as far as the driver knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// No upload waits for data.
    Closed,
    /// The modem waits for data; the source has more.
    Open,
    /// The source ended; the terminator is not yet queued.
    Ended,
}

/// A [`Session`] with its run loop: see the module documentation.
pub struct Driver {
    session: Session,
    /// `out[out_at..out_len]` is a transmit not yet (fully) written, with its secret's range.
    out: [u8; UPLOAD_BUFFER],
    out_at: usize,
    out_len: usize,
    out_secret: Option<(usize, usize)>,
    out_command: bool,
    /// The port was peeked since the upload stage was last filled.
    peeked: bool,
    input: [u8; INPUT_BUFFER],
    /// `input[input_at..input_len]` is port input the session has not taken yet.
    input_at: usize,
    input_len: usize,
    stage: [u8; PAYLOAD_CHUNK],
    /// `stage[stage_at..stage_len]` is upload data the session has not taken yet.
    stage_at: usize,
    stage_len: usize,
    source: Source,
    /// Upload bytes taken from the source, and whether that count is yet to be reported.
    uploaded: (u64, bool),
    end: Option<End>,
    value: [u8; MAX_LINE],
    value_len: usize,
}

impl core::fmt::Debug for Driver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Driver")
            .field("session", &self.session)
            .field("input", &(self.input_len - self.input_at))
            .field("source", &self.source)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl Default for Driver {
    fn default() -> Self {
        Driver::new(Config::default())
    }
}

impl Driver {
    /// A driver around a new session with `config`.
    pub fn new(config: Config) -> Self {
        Driver {
            session: Session::new(config),
            out: [0; UPLOAD_BUFFER],
            out_at: 0,
            out_len: 0,
            out_secret: None,
            out_command: false,
            peeked: false,
            input: [0; INPUT_BUFFER],
            input_at: 0,
            input_len: 0,
            stage: [0; PAYLOAD_CHUNK],
            stage_at: 0,
            stage_len: 0,
            source: Source::Closed,
            uploaded: (0, false),
            end: None,
            value: [0; MAX_LINE],
            value_len: 0,
        }
    }

    /// The session inside.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Whether an operation is in flight: started and not yet reported by [`Action::Done`].
    pub fn is_busy(&self) -> bool {
        self.session.is_busy() || self.end.is_some()
    }

    /// Starts a download (see [`Session::start_get`]).
    pub fn start_get(&mut self, now: Instant, req: &Request<'_>) -> Result<(), StartError> {
        self.idle()?;
        self.session.start_get(now, req)
    }

    /// Starts an upload (see [`Session::start_put`]); the data is asked for with
    /// [`Action::Upload`].
    pub fn start_put(&mut self, now: Instant, req: &Request<'_>) -> Result<(), StartError> {
        self.idle()?;
        self.session.start_put(now, req)
    }

    /// Starts bringing the link up (see [`Session::start_link`]).
    pub fn start_link(&mut self, now: Instant, req: &LinkRequest<'_>) -> Result<(), StartError> {
        self.idle()?;
        self.session.start_link(now, req)
    }

    /// Starts reading a parameter back (see [`Session::read_param`]).
    pub fn read_param(
        &mut self,
        now: Instant,
        param: Param,
        dialect: Dialect,
    ) -> Result<(), StartError> {
        self.idle()?;
        self.session.read_param(now, param, dialect)
    }

    /// Aborts the operation in flight (see [`Session::abort`]). Keep polling: the operation
    /// ends with [`Error::Aborted`] once the modem is back in command mode. Returns whether
    /// there was an operation to abort.
    pub fn abort(&mut self, now: Instant) -> bool {
        self.stage_at = self.stage_len;
        self.source = Source::Closed;
        self.session.abort(now)
    }

    /// `n` bytes of the last [`Action::Transmit`] were written.
    pub fn transmitted(&mut self, n: usize) {
        self.out_at = (self.out_at + n).min(self.out_len);
    }

    /// `n` bytes were read into the buffer of [`Action::Read`] or [`Action::Peek`].
    pub fn received(&mut self, n: usize) {
        self.input_len = (self.input_len + n).min(INPUT_BUFFER);
    }

    /// The deadline of [`Action::Read`] passed with nothing read.
    pub fn timed_out(&mut self, now: Instant) {
        self.session.handle_timeout(now);
    }

    /// `n` bytes were put in the buffer of [`Action::Upload`]; 0 is the end of the file.
    pub fn uploaded(&mut self, n: usize) {
        self.stage_at = 0;
        self.stage_len = n.min(PAYLOAD_CHUNK);
        if n > 0 {
            self.uploaded = (self.uploaded.0 + self.stage_len as u64, true);
        }
        if n == 0 && self.source == Source::Open {
            self.source = Source::Ended;
        }
    }

    /// What to do next. `now` is the time of the call, from the adapter's clock.
    pub fn poll(&mut self, now: Instant) -> Action<'_> {
        loop {
            if self.out_at < self.out_len {
                if !self.out_command && self.session.upload_cut_off() {
                    // The modem cut the upload: the rest of this data would reach it as
                    // commands.
                    self.out_at = self.out_len;
                    continue;
                }
                return Action::Transmit(self.unsent());
            }
            // Each output is taken first and borrowed second, so that only the branch that
            // returns it holds a borrow. It is copied out, so that a write cut short can be
            // resumed whatever the session does meanwhile.
            if let Some(outgoing) = self.session.take_transmit() {
                let t = self.session.transmit(outgoing);
                let len = t.bytes().len().min(UPLOAD_BUFFER);
                self.out[..len].copy_from_slice(&t.bytes()[..len]);
                (self.out_at, self.out_len) = (0, len);
                (self.out_secret, self.out_command) = (t.secret(), t.is_command());
                continue;
            }
            if self.uploaded.1 {
                self.uploaded.1 = false;
                return Action::Progress(self.uploaded.0);
            }
            if let Some(pending) = self.session.take_event() {
                match pending {
                    Pending::Payload => return Action::Payload(self.session.payload()),
                    Pending::Progress(bytes) => return Action::Progress(bytes),
                    Pending::ReadyForData => {
                        self.source = Source::Open;
                        self.stage_at = self.stage_len;
                        return Action::Notice(self.session.event(pending));
                    }
                    Pending::DataBegin | Pending::Unsolicited | Pending::LineTooLong => {
                        return Action::Notice(self.session.event(pending));
                    }
                    Pending::Complete(bytes) => self.end = Some(End::Transferred(bytes)),
                    Pending::LinkUp(address) => self.end = Some(End::LinkUp(address)),
                    Pending::Failed(error, _) => self.end = Some(End::Failed(error)),
                    Pending::ParamRead(param) => {
                        let value = self.session.value();
                        self.value_len = value.len();
                        self.value[..value.len()].copy_from_slice(value);
                        self.end = Some(End::Param(param));
                    }
                }
                continue;
            }
            if !self.session.is_busy() {
                self.source = Source::Closed;
                return match self.end.take() {
                    Some(End::Transferred(bytes)) => {
                        Action::Done(Ok(Outcome::Transferred { bytes }))
                    }
                    Some(End::LinkUp(address)) => Action::Done(Ok(Outcome::LinkUp { address })),
                    Some(End::Param(param)) => {
                        let value = &self.value[..self.value_len];
                        Action::Done(Ok(Outcome::Param { param, value }))
                    }
                    Some(End::Failed(error)) => Action::Done(Err(error)),
                    None => Action::Idle,
                };
            }
            // What the modem said comes first: it may end an upload in flight.
            if self.input_at < self.input_len {
                let used =
                    self.session.handle_input(now, &self.input[self.input_at..self.input_len]);
                self.input_at += used;
                if used > 0 {
                    continue;
                }
            }
            if self.session.upload_cut_off() {
                // The modem cut the upload: read no more of the caller's source.
                self.source = Source::Closed;
                self.stage_at = self.stage_len;
            }
            match self.source {
                Source::Open | Source::Ended if self.stage_at < self.stage_len => {
                    let data = &self.stage[self.stage_at..self.stage_len];
                    match self.session.write_payload(data) {
                        // The session's buffer was full: `take_transmit` empties it.
                        Ok(n) => self.stage_at += n,
                        // The upload ended under us (the modem failed it).
                        Err(_) => self.source = Source::Closed,
                    }
                    continue;
                }
                Source::Open if !self.peeked => {
                    self.peeked = true;
                    return Action::Peek(self.free_input());
                }
                Source::Open => {
                    self.peeked = false;
                    return Action::Upload(&mut self.stage[..]);
                }
                Source::Ended => {
                    self.source = Source::Closed;
                    // Refused only when the upload already ended, which is what we want.
                    let _ = self.session.finish_payload(now);
                    continue;
                }
                Source::Closed => {}
            }
            let deadline = self.session.poll_timeout();
            return Action::Read { buf: self.free_input(), deadline };
        }
    }

    /// The rest of the transmit in flight.
    fn unsent(&self) -> Transmit<'_> {
        let at = self.out_at;
        // The secret's range, moved to the rest (or gone with the part already written).
        let secret = self
            .out_secret
            .filter(|&(_, end)| end > at)
            .map(|(start, end)| (start.saturating_sub(at), end - at));
        Transmit::new(&self.out[at..self.out_len], secret, self.out_command)
    }

    /// The room behind the input the session has not taken yet (moved to the front).
    fn free_input(&mut self) -> &mut [u8] {
        self.input.copy_within(self.input_at..self.input_len, 0);
        self.input_len -= self.input_at;
        self.input_at = 0;
        &mut self.input[self.input_len..]
    }

    fn idle(&mut self) -> Result<(), StartError> {
        if self.is_busy() {
            return Err(StartError::Busy);
        }
        self.stage_at = 0;
        self.stage_len = 0;
        self.source = Source::Closed;
        self.uploaded = (0, false);
        Ok(())
    }
}

/// What ends an adapter's call: the operation's own failure, a refusal before anything was
/// sent, or the I/O around the session (the port, or the local file).
#[cfg(feature = "std")]
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The operation failed: the modem's error, a deadline, a protocol violation, an abort.
    #[error(transparent)]
    Failed(#[from] Error),
    /// The operation could not start (a refused parameter); nothing was sent.
    #[error("refused before anything was sent: {0}")]
    Refused(#[from] StartError),
    /// The serial port failed.
    #[error("the serial port failed: {0}")]
    Port(#[source] std::io::Error),
    /// The local side (the file or stream read or written) failed.
    #[error("the local file failed: {0}")]
    Local(#[source] std::io::Error),
}

/// An [`Outcome`] that owns its value: what an adapter's call returns.
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finished {
    /// See [`Outcome::Transferred`].
    Transferred {
        /// Payload bytes received or sent.
        bytes: u64,
    },
    /// See [`Outcome::LinkUp`].
    LinkUp {
        /// The address the modem reported, if it did.
        address: Option<Ipv4Addr>,
    },
    /// See [`Outcome::Param`].
    Param {
        /// The parameter.
        param: Param,
        /// Its value.
        value: std::vec::Vec<u8>,
    },
    /// There was no operation (the driver said [`Action::Idle`]).
    Idle,
}

#[cfg(feature = "std")]
impl Finished {
    /// The verdict of an adapter's call from the driver's [`Action::Done`] (or `None` for
    /// [`Action::Idle`]) and the first local I/O error met on the way (after which the
    /// adapter aborted): the local error wins, since it is why the operation was aborted.
    pub fn verdict(
        done: Option<Result<Outcome<'_>, Error>>,
        local: Option<std::io::Error>,
    ) -> Result<Finished, RunError> {
        if let Some(e) = local {
            return Err(RunError::Local(e));
        }
        Ok(match done {
            None => Finished::Idle,
            Some(Err(e)) => return Err(RunError::Failed(e)),
            Some(Ok(Outcome::Transferred { bytes })) => Finished::Transferred { bytes },
            Some(Ok(Outcome::LinkUp { address })) => Finished::LinkUp { address },
            Some(Ok(Outcome::Param { param, value })) => {
                Finished::Param { param, value: value.to_vec() }
            }
        })
    }

    /// The bytes of a transfer.
    pub fn transferred(self) -> Result<u64, RunError> {
        match self {
            Finished::Transferred { bytes } => Ok(bytes),
            _ => Err(RunError::out_of_kind()),
        }
    }

    /// The address of a link brought up.
    pub fn link_up(self) -> Result<Option<Ipv4Addr>, RunError> {
        match self {
            Finished::LinkUp { address } => Ok(address),
            _ => Err(RunError::out_of_kind()),
        }
    }

    /// The value of a parameter read.
    pub fn value(self) -> Result<std::vec::Vec<u8>, RunError> {
        match self {
            Finished::Param { value, .. } => Ok(value),
            _ => Err(RunError::out_of_kind()),
        }
    }
}

#[cfg(feature = "std")]
impl RunError {
    /// An operation ended with another kind of outcome than it started: the driver never does
    /// that, but an adapter answers it with an error, not a panic.
    fn out_of_kind() -> RunError {
        RunError::Failed(Error::Protocol(crate::error::ProtocolError::UnexpectedResult))
    }
}

/// How an adapter opens a serial line.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// Bits per second. Default 115200.
    pub baud: u32,
    /// RTS/CTS hardware flow control. Default off. Software flow control is never used: it
    /// would eat the bytes 0x11 and 0x13 of the payload.
    pub rts_cts: bool,
    /// The session's settings (deadlines, line length, stuffing).
    pub config: Config,
}

#[cfg(feature = "std")]
impl Default for Line {
    fn default() -> Self {
        Line { baud: 115_200, rts_cts: false, config: Config::default() }
    }
}
