//! The session engine: the deterministic state machine that drives one modem through link
//! bring-up, parameter reads, downloads and uploads (PROTOCOL.md sections 1 to 7).
//!
//! This module owns the order of commands, the reading of their answers, the switch into and
//! out of data mode, the deadlines, and the events. It does no I/O and reads no clock: see the
//! crate documentation for the run loop that connects it to a port.

use core::fmt;
use core::net::Ipv4Addr;
use core::time::Duration;

use crate::codec::{Escaper, Mode, Specials, Unescaper};
use crate::command::{Dialect, Line, LinkRequest, Param, Request, Script, Step};
use crate::error::{Error, ModemError, Phase, ProtocolError, StartError, WriteError};
use crate::line::{Frame, Framer, MAX_LINE};
use crate::response::{self, Response, Value};
use crate::time::Instant;

/// The most decoded payload the session holds: one `Event::Payload` at most this long.
pub const PAYLOAD_CHUNK: usize = 2048;
/// The room for stuffed upload bytes waiting for `poll_transmit`: also the most bytes one
/// `Transmit` holds (a command line is far shorter).
pub(crate) const UPLOAD_BUFFER: usize = 2 * PAYLOAD_CHUNK;
/// The most bytes `Escaper::finish` writes: a special byte whose DLE went out alone, and ETX.
const TERMINATOR_ROOM: usize = 2;
/// The most events waiting for `poll_event`. `handle_input` stops as soon as one is queued,
/// and no single step queues more than this.
const MAX_EVENTS: usize = 4;

/// The session's settings. Every default is PROTOCOL.md's, where the manual is silent our choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// A parameter command until its final result. Default 5 s.
    pub command_timeout: Duration,
    /// `AT#CONNECTIONSTART` until its result. Default 120 s.
    pub link_timeout: Duration,
    /// `AT#FTPGET`/`AT#FTPPUT` until the data phase starts (DNS, connect, login). Default 120 s.
    pub start_timeout: Duration,
    /// Silence inside the download data phase. Default 60 s.
    pub data_timeout: Duration,
    /// From the end of the data to the final result. Default 30 s.
    pub result_timeout: Duration,
    /// After the modem cuts an upload short, how long the line must be quiet before the
    /// next command: the bytes already sent reach the modem as command lines and draw
    /// answers that belong to no command. Default 500 ms, our choice.
    pub quiet_time: Duration,
    /// The longest response line; longer ones are reported and discarded. At most
    /// [`MAX_LINE`] (512), default 256.
    pub max_line_len: usize,
    /// What a DLE followed by an ordinary byte means in download data. Default strict: an error.
    pub escape_mode: Mode,
    /// The two special bytes of the stuffing. Default DLE 0x10, ETX 0x03.
    pub specials: Specials,
}

impl Config {
    /// The deadline of `phase`.
    pub fn timeout(&self, phase: Phase) -> Duration {
        match phase {
            Phase::Command => self.command_timeout,
            Phase::Link => self.link_timeout,
            Phase::Start => self.start_timeout,
            Phase::Data => self.data_timeout,
            Phase::Result => self.result_timeout,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            command_timeout: Duration::from_secs(5),
            link_timeout: Duration::from_secs(120),
            start_timeout: Duration::from_secs(120),
            data_timeout: Duration::from_secs(60),
            result_timeout: Duration::from_secs(30),
            quiet_time: Duration::from_millis(500),
            max_line_len: 256,
            escape_mode: Mode::Strict,
            specials: Specials::DEFAULT,
        }
    }
}

/// Something the session reports. Drained with [`Session::poll_event`].
///
/// Every operation ends with exactly one of [`Complete`](Event::Complete),
/// [`LinkUp`](Event::LinkUp), [`ParamRead`](Event::ParamRead) or [`Failed`](Event::Failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The link came up (end of [`Session::start_link`]). `address` is the IP address the
    /// modem reported, if it did (not when the link was already up: `#CME ERROR: 35840`).
    LinkUp {
        /// The assigned address.
        address: Option<Ipv4Addr>,
    },
    /// The modem sent `Ok_Info_DataBegin`: download data follows.
    DataBegin,
    /// The modem sent `Ok_Info_WaitingForData`: feed the file with
    /// [`Session::write_payload`], then call [`Session::finish_payload`].
    ReadyForData,
    /// Decoded download data, in order. Provisional until [`Event::Complete`]: a transfer
    /// can still fail after its data.
    Payload(&'a [u8]),
    /// The payload bytes received so far in this download.
    Progress {
        /// The count.
        bytes: u64,
    },
    /// The transfer succeeded: the modem said `OK` after the data.
    Complete {
        /// Payload bytes received (download) or accepted (upload).
        bytes: u64,
    },
    /// The operation failed.
    Failed {
        /// Why.
        error: Error,
        /// Payload bytes received or accepted before it failed.
        bytes: u64,
    },
    /// A line that answers no command: an unsolicited result code, such as `RING`.
    Unsolicited(&'a [u8]),
    /// The value of a parameter read (end of [`Session::read_param`]): the text after
    /// `#NAME: `, without the quotes if it had them.
    ParamRead {
        /// The parameter.
        param: Param,
        /// Its value.
        value: &'a [u8],
    },
    /// A response line was longer than [`Config::max_line_len`]; it was discarded.
    LineTooLong,
}

/// Bytes to write to the modem, from [`Session::poll_transmit`].
///
/// Its `Debug` and `Display` show the bytes with any password replaced by `***`, so they can be
/// logged; [`bytes`](Transmit::bytes) gives the real ones for the port.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    bytes: &'a [u8],
    secret: Option<(usize, usize)>,
    command: bool,
}

impl<'a> Transmit<'a> {
    /// Bytes to write; `secret` is the range of a password in them.
    pub(crate) fn new(bytes: &'a [u8], secret: Option<(usize, usize)>, command: bool) -> Self {
        Transmit { bytes, secret, command }
    }

    /// The range of a password in the bytes, if they hold one.
    pub(crate) fn secret(&self) -> Option<(usize, usize)> {
        self.secret
    }

    /// The bytes to write, all of them, in order.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The first `n` bytes (all, if fewer): what a short write wrote. A password cut in two
    /// stays hidden.
    pub fn head(&self, n: usize) -> Transmit<'a> {
        let n = n.min(self.bytes.len());
        let secret = self.secret.filter(|&(start, _)| start < n).map(|(s, e)| (s, e.min(n)));
        Transmit { bytes: &self.bytes[..n], secret, command: self.command }
    }

    /// Whether these are command bytes (as opposed to upload data).
    pub fn is_command(&self) -> bool {
        self.command
    }
}

impl fmt::Display for Transmit<'_> {
    /// Printable bytes as text, others as `\xNN`, a secret as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let printable = |f: &mut fmt::Formatter<'_>, bytes: &[u8]| {
            bytes.iter().try_for_each(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    write!(f, "{}", b as char)
                } else {
                    write!(f, "\\x{b:02x}")
                }
            })
        };
        match self.secret {
            Some((a, b)) => {
                printable(f, &self.bytes[..a])?;
                f.write_str("***")?;
                printable(f, &self.bytes[b..])
            }
            None => printable(f, self.bytes),
        }
    }
}

impl fmt::Debug for Transmit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transmit(\"{self}\")")
    }
}

/// The byte stream the modem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    /// Command mode: response lines.
    Lines,
    /// Download data. `skip_lf`: the LF of the `Ok_Info_DataBegin\r\n` line end may come first.
    Data { skip_lf: bool },
}

/// What the operation in flight waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// The answer to the command line `line`.
    Answer(Line),
    /// The host's upload data (no deadline: the host is the one to act).
    Upload,
    /// The final result after the data.
    Result,
    /// The line to be quiet for `Config::quiet_time` after the modem cut an upload short
    /// (the failure is reported already); then a bare CR ends whatever partial line the stray
    /// bytes left in the modem (`cleared`), and the line must be quiet once more.
    Quiet { cleared: bool },
}

/// The operation in flight.
#[derive(Debug)]
struct Op {
    script: Script,
    /// The next command line to send.
    next: usize,
    wait: Wait,
    deadline: Option<Instant>,
    /// A command line waiting for `poll_transmit`.
    send: Option<Line>,
    /// Payload bytes received or accepted.
    bytes: u64,
    /// The failure is reported; the session only waits for the modem to be back in command
    /// mode (after an abort, a timeout-free protocol error).
    failed: bool,
    address: Option<Ipv4Addr>,
    /// A parameter read got its value (its length is in `value_len`).
    have_value: bool,
    /// A line was too long while a parameter read waited: it may have been the value.
    overlong: bool,
    /// The modem took upload data (it said `Ok_Info_WaitingForData`): a failure from now on
    /// may leave stray upload bytes on their way to a modem in command mode.
    uploaded: bool,
    /// The latest end of a quiet wait, however busy the line stays.
    quiet_cap: Option<Instant>,
}

/// A response line, classified against the operation in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Ok,
    Fail(ModemError),
    DataBegin {
        numeric: bool,
    },
    WaitingForData,
    LinkUp,
    Address(Ipv4Addr),
    /// The value a parameter read waits for (copied into `Session::value`).
    Value,
    Other,
}

/// An output waiting for `poll_transmit`: a command line, or a range of the upload buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outgoing {
    Command(Line),
    /// A bare CR, ending a partial line in the modem.
    LineEnd,
    Upload(usize, usize),
}

/// An event waiting in the queue; the borrowed ones point into the session's buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    LinkUp(Option<Ipv4Addr>),
    DataBegin,
    ReadyForData,
    Payload,
    Progress(u64),
    Complete(u64),
    Failed(Error, u64),
    Unsolicited,
    ParamRead(Param),
    LineTooLong,
}

/// The sans-IO session: give it bytes and time, take bytes, events and deadlines.
///
/// See the crate documentation for the run loop and the order in which to drain it.
pub struct Session {
    config: Config,
    framer: Framer,
    stream: Stream,
    unescaper: Unescaper,
    escaper: Escaper,
    op: Option<Op>,
    events: [Option<Pending>; MAX_EVENTS],
    event_count: usize,
    payload: [u8; PAYLOAD_CHUNK],
    payload_len: usize,
    upload: [u8; UPLOAD_BUFFER],
    upload_len: usize,
    /// `upload[..upload_sent]` was handed out by `poll_transmit`.
    upload_sent: usize,
    /// The upload's terminator is in `upload` (or sent).
    upload_finished: bool,
    value: [u8; MAX_LINE],
    value_len: usize,
    /// A bare CR waits for `poll_transmit` (see `Wait::Quiet`).
    line_end: bool,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("stream", &self.stream)
            .field("op", &self.op)
            .field("events", &self.event_count)
            .finish_non_exhaustive()
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new(Config::default())
    }
}

impl Session {
    /// A session with no operation in flight, the modem assumed in command mode.
    pub fn new(config: Config) -> Self {
        Session {
            config,
            framer: Framer::new(config.max_line_len, config.specials.etx()),
            stream: Stream::Lines,
            unescaper: Unescaper::with(config.specials, config.escape_mode),
            escaper: Escaper::with(config.specials),
            op: None,
            events: [None; MAX_EVENTS],
            event_count: 0,
            payload: [0; PAYLOAD_CHUNK],
            payload_len: 0,
            upload: [0; UPLOAD_BUFFER],
            upload_len: 0,
            upload_sent: 0,
            upload_finished: false,
            value: [0; MAX_LINE],
            value_len: 0,
            line_end: false,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether an operation is in flight (including the draining after a failure).
    pub fn is_busy(&self) -> bool {
        self.op.is_some()
    }

    /// Starts a download: sets the parameters, then `AT#FTPGET`. Payload arrives as
    /// [`Event::Payload`]; the end is [`Event::Complete`] or [`Event::Failed`].
    pub fn start_get(&mut self, now: Instant, req: &Request<'_>) -> Result<(), StartError> {
        self.idle()?;
        self.start(now, Script::transfer(req, false)?);
        Ok(())
    }

    /// Starts an upload: sets the parameters, then `AT#FTPPUT`. After [`Event::ReadyForData`],
    /// feed the file with [`write_payload`](Self::write_payload) and end it with
    /// [`finish_payload`](Self::finish_payload).
    pub fn start_put(&mut self, now: Instant, req: &Request<'_>) -> Result<(), StartError> {
        self.idle()?;
        self.start(now, Script::transfer(req, true)?);
        Ok(())
    }

    /// Brings the GPRS link up; ends with [`Event::LinkUp`] (also when it was up already).
    pub fn start_link(&mut self, now: Instant, req: &LinkRequest<'_>) -> Result<(), StartError> {
        self.idle()?;
        self.start(now, Script::link(req)?);
        Ok(())
    }

    /// Reads a parameter back; ends with [`Event::ParamRead`].
    pub fn read_param(
        &mut self,
        now: Instant,
        param: Param,
        dialect: Dialect,
    ) -> Result<(), StartError> {
        self.idle()?;
        self.start(now, Script::read(param, dialect));
        Ok(())
    }

    /// Aborts the operation in flight: reports [`Error::Aborted`] at once. The session stays
    /// busy until the modem is back in command mode: a command already sent still gets its
    /// answer, download data is read and dropped up to its end, and an upload is ended with
    /// its terminator (the server keeps the part sent so far). Returns whether there was an
    /// operation to abort.
    pub fn abort(&mut self, now: Instant) -> bool {
        let Some(op) = &mut self.op else { return false };
        if op.failed {
            return true;
        }
        // Commands not yet sent are never sent.
        op.next = usize::MAX;
        if op.send.take().is_some() {
            // Nothing of this operation reached the modem since its last answer.
            let bytes = op.bytes;
            self.finish(Pending::Failed(Error::Aborted, bytes));
            return true;
        }
        if op.wait == Wait::Upload {
            self.end_upload(now);
        }
        self.fail(Error::Aborted);
        true
    }

    /// Takes the bytes the modem sent: whatever the port returned, in any chunks. Returns how
    /// many it consumed: it stops early as soon as an event or a command line is queued, so
    /// that the caller drains events (and payload) and writes the command before giving it
    /// more. Give the rest again after draining. While events or a command line are waiting it
    /// consumes nothing.
    ///
    /// Stopping for the command keeps the exchange in step whatever the reads: a line that
    /// arrives before the next command went out is never taken as that command's answer in
    /// one split and not in another.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> usize {
        let mut used = 0;
        while used < input.len() && self.event_count == 0 && !self.command_pending() {
            let rest = &input[used..];
            used += match self.stream {
                Stream::Lines => self.lines(now, rest),
                Stream::Data { skip_lf } => self.data(now, rest, skip_lf),
            };
        }
        if used > 0 {
            // Any byte, a whole line or not (echoed binary has few line ends), means the line
            // is not quiet yet.
            self.stay_quiet(now);
        }
        used
    }

    /// Tells the session the time is `now`: a deadline that has passed fails its operation
    /// with [`Error::Timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(op) = &mut self.op else { return };
        let Some(deadline) = op.deadline else { return };
        if now < deadline {
            return;
        }
        if op.wait == (Wait::Quiet { cleared: false }) {
            // Quiet after a cut upload: end the stray partial line, then wait for quiet again.
            self.line_end = true;
            op.wait = Wait::Quiet { cleared: true };
            op.quiet_cap = Some(now + self.config.result_timeout);
            op.deadline = Some(now + self.config.quiet_time);
            return;
        }
        let op = &*op;
        let phase = match (op.wait, self.stream) {
            (_, Stream::Data { .. }) => Phase::Data,
            (Wait::Result, _) => Phase::Result,
            (Wait::Answer(line), _) => line.step.phase(),
            (Wait::Upload | Wait::Quiet { .. }, _) => Phase::Data,
        };
        let (failed, bytes) = (op.failed, op.bytes);
        // The modem's state is unknown now: start over in command mode (the next operation
        // starts with a fresh decoder).
        self.op = None;
        self.stream = Stream::Lines;
        self.reset_upload();
        self.line_end = false;
        if !failed {
            self.push(Pending::Failed(Error::Timeout(phase), bytes));
        }
    }

    /// The next deadline: call [`handle_timeout`](Self::handle_timeout) when it passes.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.op.as_ref().and_then(|op| op.deadline)
    }

    /// The next bytes to write to the modem. Write all of them before the next call.
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        let outgoing = self.take_transmit()?;
        Some(self.transmit(outgoing))
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        let pending = self.take_event()?;
        Some(self.event(pending))
    }

    /// `poll_transmit` in two steps, the first one borrowing nothing: the driver decides what
    /// to do with an output before it borrows the session's buffers for it.
    pub(crate) fn take_transmit(&mut self) -> Option<Outgoing> {
        if core::mem::take(&mut self.line_end) {
            return Some(Outgoing::LineEnd);
        }
        if let Some(op) = &mut self.op
            && let Some(line) = op.send.take()
        {
            return Some(Outgoing::Command(line));
        }
        if self.upload_sent < self.upload_len {
            let from = self.upload_sent;
            self.upload_sent = self.upload_len;
            return Some(Outgoing::Upload(from, self.upload_len));
        }
        None
    }

    /// The bytes of an output taken with `take_transmit`.
    pub(crate) fn transmit(&self, outgoing: Outgoing) -> Transmit<'_> {
        match (outgoing, &self.op) {
            (Outgoing::Command(line), Some(op)) => Transmit {
                bytes: op.script.bytes(line),
                secret: op.script.secret_in(line),
                command: true,
            },
            // A command line belongs to an operation; none means nothing to send.
            (Outgoing::Command(_), None) => Transmit { bytes: &[], secret: None, command: true },
            (Outgoing::LineEnd, _) => Transmit { bytes: b"\r", secret: None, command: true },
            (Outgoing::Upload(from, to), _) => {
                Transmit { bytes: &self.upload[from..to], secret: None, command: false }
            }
        }
    }

    /// A command line waits for `poll_transmit`.
    fn command_pending(&self) -> bool {
        self.line_end || self.op.as_ref().is_some_and(|op| op.send.is_some())
    }

    /// The payload of the last `Pending::Payload`.
    pub(crate) fn payload(&self) -> &[u8] {
        &self.payload[..self.payload_len]
    }

    /// The value of the last `Pending::ParamRead`.
    pub(crate) fn value(&self) -> &[u8] {
        &self.value[..self.value_len]
    }

    /// `poll_event` in two steps, the first one borrowing nothing (see `take_transmit`).
    pub(crate) fn take_event(&mut self) -> Option<Pending> {
        let pending = self.events[0]?;
        self.events.rotate_left(1);
        self.events[MAX_EVENTS - 1] = None;
        self.event_count -= 1;
        Some(pending)
    }

    /// The event of a pending one taken with `take_event`.
    pub(crate) fn event(&self, pending: Pending) -> Event<'_> {
        match pending {
            Pending::LinkUp(address) => Event::LinkUp { address },
            Pending::DataBegin => Event::DataBegin,
            Pending::ReadyForData => Event::ReadyForData,
            Pending::Payload => Event::Payload(self.payload()),
            Pending::Progress(bytes) => Event::Progress { bytes },
            Pending::Complete(bytes) => Event::Complete { bytes },
            Pending::Failed(error, bytes) => Event::Failed { error, bytes },
            Pending::Unsolicited => Event::Unsolicited(self.framer.line()),
            Pending::ParamRead(param) => Event::ParamRead { param, value: self.value() },
            Pending::LineTooLong => Event::LineTooLong,
        }
    }

    /// Stuffs upload data into the transmit buffer. Returns how many bytes of `data` it
    /// accepted: fewer than given when the buffer is full (drain
    /// [`poll_transmit`](Self::poll_transmit), then offer the rest again).
    pub fn write_payload(&mut self, data: &[u8]) -> Result<usize, WriteError> {
        self.upload_ready()?;
        self.compact_upload();
        // The last bytes stay free for the terminator, so that an abort can always end the
        // upload at once.
        let room = UPLOAD_BUFFER - TERMINATOR_ROOM;
        let p = self.escaper.escape(data, &mut self.upload[self.upload_len.min(room)..room]);
        self.upload_len += p.written;
        if let Some(op) = &mut self.op {
            op.bytes += p.consumed as u64;
        }
        Ok(p.consumed)
    }

    /// Ends the upload with the terminator (always room for it); the session then waits for
    /// the modem's final result.
    pub fn finish_payload(&mut self, now: Instant) -> Result<(), WriteError> {
        self.upload_ready()?;
        self.end_upload(now);
        Ok(())
    }

    fn upload_ready(&self) -> Result<(), WriteError> {
        match &self.op {
            Some(op) if op.wait == Wait::Upload && !op.failed => Ok(()),
            Some(_) if self.upload_finished => Err(WriteError::Finished),
            _ => Err(WriteError::NotReady),
        }
    }

    /// Queues the upload's terminator (`write_payload` keeps room for it) and waits for the
    /// final result.
    fn end_upload(&mut self, now: Instant) {
        self.compact_upload();
        let p = self.escaper.finish(&mut self.upload[self.upload_len..]);
        self.upload_len += p.written;
        self.upload_finished = true;
        if let Some(op) = &mut self.op {
            op.wait = Wait::Result;
            op.deadline = Some(now + self.config.timeout(Phase::Result));
        }
    }

    /// Drops the upload bytes already handed out.
    fn compact_upload(&mut self) {
        if self.upload_sent > 0 {
            self.upload.copy_within(self.upload_sent..self.upload_len, 0);
            self.upload_len -= self.upload_sent;
            self.upload_sent = 0;
        }
    }

    fn reset_upload(&mut self) {
        self.escaper.reset();
        self.upload_len = 0;
        self.upload_sent = 0;
        self.upload_finished = false;
    }

    fn idle(&self) -> Result<(), StartError> {
        if self.op.is_some() { Err(StartError::Busy) } else { Ok(()) }
    }

    fn start(&mut self, now: Instant, script: Script) {
        self.reset_upload();
        self.line_end = false;
        // Fresh, in the configured mode: a failed download drains in lenient mode.
        self.unescaper = Unescaper::with(self.config.specials, self.config.escape_mode);
        self.op = Some(Op {
            script,
            next: 0,
            wait: Wait::Result,
            deadline: None,
            send: None,
            bytes: 0,
            failed: false,
            address: None,
            have_value: false,
            overlong: false,
            uploaded: false,
            quiet_cap: None,
        });
        self.send_next(now);
    }

    /// Queues the next command line of the operation; ends it when there is none.
    fn send_next(&mut self, now: Instant) {
        let Some(op) = &mut self.op else { return };
        let Some(line) = op.script.line(op.next) else {
            self.op = None;
            return;
        };
        op.next += 1;
        op.send = Some(line);
        op.wait = Wait::Answer(line);
        op.deadline = Some(now + self.config.timeout(line.step.phase()));
    }

    fn push(&mut self, pending: Pending) {
        // `handle_input` stops at the first queued event and no step queues more than
        // `MAX_EVENTS`, so there is always room; if there were not, dropping the newest event
        // is the bounded choice.
        if let Some(slot) = self.events.get_mut(self.event_count) {
            *slot = Some(pending);
            self.event_count += 1;
        }
    }

    /// The modem ended an upload while the host was still sending: report `error`, send no
    /// more, and wait for the line to be quiet. The modem is in command mode, so the bytes
    /// already on their way reach it as command lines, and it answers them (`ERROR`, mostly);
    /// those answers must not be taken for the next command's.
    fn upload_cut(&mut self, now: Instant, error: Error) {
        self.reset_upload();
        self.fail(error);
        if let Some(op) = &mut self.op {
            op.wait = Wait::Quiet { cleared: false };
            op.quiet_cap = Some(now + self.config.result_timeout);
            op.deadline = Some(now + self.config.quiet_time);
        }
    }

    /// In a quiet wait, input came: the wait starts over, though never past its cap (a line
    /// that never falls silent, noise or a URC every few hundred milliseconds, must not keep
    /// the operation busy for ever).
    fn stay_quiet(&mut self, now: Instant) {
        if let Some(op) = &mut self.op
            && let Wait::Quiet { .. } = op.wait
        {
            let again = now + self.config.quiet_time;
            op.deadline = Some(op.quiet_cap.map_or(again, |cap| again.min(cap)));
        }
    }

    /// Whether an upload was cut by the modem: upload bytes not yet written must be dropped.
    pub(crate) fn upload_cut_off(&self) -> bool {
        self.op.as_ref().is_some_and(|op| matches!(op.wait, Wait::Quiet { .. }))
    }

    /// Reports the failure of the operation; it stays in flight, draining, until the modem is
    /// back in command mode.
    fn fail(&mut self, error: Error) {
        let Some(op) = &mut self.op else { return };
        if op.failed {
            return;
        }
        op.failed = true;
        let bytes = op.bytes;
        self.push(Pending::Failed(error, bytes));
    }

    /// Ends the operation in flight with `pending` (unless its failure was reported already).
    fn finish(&mut self, pending: Pending) {
        let failed = self.op.as_ref().is_some_and(|op| op.failed);
        self.op = None;
        // The modem is in command mode: upload bytes not yet handed out must never follow.
        self.reset_upload();
        if !failed {
            self.push(pending);
        }
    }

    /// Command mode: frames one line (or consumes all of `input` looking for its end).
    fn lines(&mut self, now: Instant, input: &[u8]) -> usize {
        let (used, frame) = self.framer.push(input);
        match frame {
            None => {}
            Some(Frame::TooLong) => {
                if let Some(op) = &mut self.op
                    && matches!(op.wait, Wait::Answer(Line { step: Step::Read(_), .. }))
                {
                    op.overlong = true;
                }
                self.push(Pending::LineTooLong);
            }
            Some(Frame::Line { cr }) => self.line(now, cr),
        }
        used
    }

    /// One framed line, in `self.framer.line()`.
    fn line(&mut self, now: Instant, cr: bool) {
        if let Some(op) = &self.op
            && let Wait::Quiet { .. } = op.wait
        {
            // An answer to upload bytes the modem took for commands: drop it, wait on.
            self.stay_quiet(now);
            return;
        }
        let waiting = self.op.as_ref().map(|op| op.wait);
        let step = match waiting {
            Some(Wait::Answer(line)) => Some(line.step),
            _ => None,
        };
        let answer = {
            // Field borrows only: the line stays borrowed from the framer while a read's value
            // is copied out.
            let text = self.framer.line();
            // A modem never originates a line that starts with `AT`: it is an echo (ATE1),
            // maybe late (after a timeout) or behind a stray byte. Never report it, nor any
            // line that carries a password assignment.
            let trimmed = text.trim_ascii_start();
            let at = trimmed.get(..2).is_some_and(|at| at.eq_ignore_ascii_case(b"AT"))
                || text.windows(4).any(|w| w.eq_ignore_ascii_case(b"PW=\""));
            match response::parse(text) {
                _ if at => return,
                Response::Ok => Answer::Ok,
                Response::Error => Answer::Fail(ModemError::Error),
                Response::CmeError(n) => Answer::Fail(ModemError::Cme(n)),
                Response::PlusCmeError(n) => Answer::Fail(ModemError::PlusCme(n)),
                Response::NoCarrier => Answer::Fail(ModemError::NoCarrier),
                Response::DataBegin => {
                    Answer::DataBegin { numeric: text.trim_ascii().iter().all(u8::is_ascii_digit) }
                }
                Response::WaitingForData => Answer::WaitingForData,
                Response::GprsActivation | Response::Ppp => Answer::LinkUp,
                Response::Address(address) => Answer::Address(address),
                Response::Param { name, value: Value::Quoted(value) | Value::Bare(value) }
                    if matches!(step, Some(Step::Read(p))
                        if name.eq_ignore_ascii_case(p.name().as_bytes())) =>
                {
                    let len = value.len().min(self.value.len());
                    self.value[..len].copy_from_slice(&value[..len]);
                    self.value_len = len;
                    Answer::Value
                }
                _ => Answer::Other,
            }
        };
        let bytes = self.op.as_ref().map_or(0, |op| op.bytes);
        match (answer, waiting, step) {
            (Answer::Ok, _, Some(Step::Set)) => self.send_next(now),
            (Answer::Value, ..) => {
                if let Some(op) = &mut self.op {
                    op.have_value = true;
                }
            }
            (Answer::Ok, _, Some(Step::Read(param))) => {
                let pending = match self.op.as_ref() {
                    Some(op) if op.have_value => Pending::ParamRead(param),
                    Some(op) if op.overlong => Pending::Failed(Error::LineTooLong, 0),
                    _ => Pending::Failed(Error::Protocol(ProtocolError::MissingValue), 0),
                };
                self.finish(pending);
            }
            (Answer::LinkUp | Answer::Ok, _, Some(Step::Connect)) => {
                let address = self.op.as_ref().and_then(|op| op.address);
                self.finish(Pending::LinkUp(address));
            }
            (Answer::Fail(ModemError::Cme(35840)), _, Some(Step::Connect)) => {
                // The link is up already (PROTOCOL.md section 3).
                self.finish(Pending::LinkUp(None));
            }
            (Answer::Address(address), _, Some(Step::Connect)) => {
                if let Some(op) = &mut self.op {
                    op.address = Some(address);
                }
            }
            (Answer::DataBegin { numeric }, _, Some(Step::Get)) => {
                // The very next byte is payload. In verbose form the LF of this line's CR LF
                // comes first; in numeric form (`1025\r`, V.250) there is none.
                self.stream = Stream::Data { skip_lf: cr && !numeric };
                self.framer.forget_cr();
                if let Some(op) = &mut self.op {
                    op.wait = Wait::Result;
                    op.deadline = Some(now + self.config.timeout(Phase::Data));
                    if !op.failed {
                        self.push(Pending::DataBegin);
                    }
                }
            }
            (Answer::WaitingForData, _, Some(Step::Put)) => {
                let Some(op) = &mut self.op else { return };
                op.uploaded = true;
                op.wait = Wait::Upload;
                op.deadline = None;
                if op.failed {
                    // Aborted before the modem was ready: end the upload, empty, at once.
                    self.end_upload(now);
                } else {
                    self.push(Pending::ReadyForData);
                }
            }
            (Answer::Ok, Some(Wait::Result), _) => self.finish(Pending::Complete(bytes)),
            (Answer::Ok, Some(Wait::Upload), _) => {
                // The modem ended the upload before the host did: the file is not what the
                // caller meant to send.
                self.upload_cut(now, Error::Protocol(ProtocolError::UnexpectedResult));
            }
            (Answer::DataBegin { numeric }, Some(_), _) => {
                // Data nobody asked for: the modem is in data mode all the same. Fail, and
                // read the data through to its end so that it is never taken for lines.
                self.stream = Stream::Data { skip_lf: cr && !numeric };
                self.framer.forget_cr();
                self.fail(Error::Protocol(ProtocolError::UnexpectedResult));
                if let Some(op) = &mut self.op {
                    op.wait = Wait::Result;
                    op.deadline = Some(now + self.config.timeout(Phase::Data));
                }
                self.reset_upload();
            }
            (Answer::Fail(error), Some(Wait::Upload), _) => {
                self.upload_cut(now, Error::Modem(error));
            }
            (Answer::Fail(error), Some(Wait::Result), _)
                if self.op.as_ref().is_some_and(|op| op.uploaded) =>
            {
                // The end of the upload may be on its way still (the terminator queued, an
                // abort's end): the same stray bytes, the same quiet wait.
                self.upload_cut(now, Error::Modem(error));
            }
            (Answer::Fail(error), Some(_), _) => {
                self.finish(Pending::Failed(Error::Modem(error), bytes));
            }
            (
                Answer::Ok | Answer::DataBegin { .. } | Answer::WaitingForData | Answer::LinkUp,
                _,
                Some(_),
            ) => {
                // A result that cannot answer this command: the exchange is out of step.
                self.finish(Pending::Failed(
                    Error::Protocol(ProtocolError::UnexpectedResult),
                    bytes,
                ));
            }
            _ => self.push(Pending::Unsolicited),
        }
    }

    /// Data mode: decodes payload into the payload buffer.
    fn data(&mut self, now: Instant, input: &[u8], skip_lf: bool) -> usize {
        let Some(op) = &mut self.op else {
            // Unreachable by construction (data mode belongs to a download); recover anyway.
            self.stream = Stream::Lines;
            return 0;
        };
        op.deadline = Some(now + self.config.timeout(Phase::Data));
        if skip_lf {
            self.stream = Stream::Data { skip_lf: false };
            if input.first() == Some(&b'\n') {
                return 1;
            }
        }
        let (p, invalid) = match self.unescaper.unescape(input, &mut self.payload) {
            Ok(p) => (p, None),
            // What came before the bad pair is delivered all the same.
            Err(e) => (e.progress, Some(e)),
        };
        if p.written > 0 && !op.failed {
            op.bytes += p.written as u64;
            let bytes = op.bytes;
            self.payload_len = p.written;
            self.push(Pending::Payload);
            self.push(Pending::Progress(bytes));
        }
        if let Some(e) = invalid {
            // Fail now; read the rest of the data through to its end without judging it.
            self.unescaper = Unescaper::with(self.config.specials, Mode::Lenient);
            let error = ProtocolError::InvalidEscape { offset: e.offset, byte: e.byte };
            self.fail(Error::Protocol(error));
        }
        if p.end {
            self.stream = Stream::Lines;
            if let Some(op) = &mut self.op {
                op.deadline = Some(now + self.config.timeout(Phase::Result));
            }
        }
        p.consumed
    }
}
