//! One call of a client, as a sans-IO state machine over the engine: [`Call`].
//!
//! This module owns the policy both clients share, so that the blocking and the async one
//! differ only in how they wait: an operation left in flight by an earlier call (a future
//! dropped, an early return) is aborted and drained first; a port failure resets the engine
//! (the next operation resynchronises the line); a failed sink abandons the download to that
//! resynchronisation; a failed source, or the abort flag, aborts the operation, which the
//! engine ends cleanly (the upload's terminator, the modem back in command mode). It is the
//! policy of the std adapters' `at_ftp_host::Call`, without `std`: errors are
//! [`ErrorKind`]s, the hooks are the `log`/`defmt` features.

use core::net::Ipv4Addr;
use core::sync::atomic::{AtomicBool, Ordering};

use at_ftp_proto::{
    Action, Dialect, Engine, Instant, LinkRequest, Outcome, Param, ProtocolError, Request,
    StartError, Transmit,
};
use embedded_io::ErrorKind;

use crate::Error;

/// The operation a call runs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op<'a> {
    Get(&'a Request<'a>),
    Put(&'a Request<'a>),
    Link(&'a LinkRequest<'a>),
    Unlink,
    Read(Param, Dialect),
    Resync,
}

/// How a call ended well; a parameter's value was copied to the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Transferred(u64),
    LinkUp(Option<Ipv4Addr>),
    LinkDown,
    Param(usize),
    Resynced,
}

/// What the client does next; each is reported back before the next poll.
#[derive(Debug)]
pub(crate) enum Io<'a> {
    /// Write to the port, waiting no later than its deadline; then [`Call::wrote`].
    Write(Transmit<'a>),
    /// Read the port, waiting until `deadline`; then [`Call::read`].
    Read { buf: &'a mut [u8], deadline: Instant },
    /// Read what the port has now, without waiting; then [`Call::read`].
    Peek(&'a mut [u8]),
    /// Write the download data to the sink; then [`Call::sunk`].
    Sink(&'a [u8]),
    /// Fill the buffer from the source; then [`Call::sourced`] (0: its end).
    Source(&'a mut [u8]),
    /// Poll again.
    Again,
    /// The call ended; the engine is idle (or reset).
    Done(Result<End, Error>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Start,
    Settle,
    Run,
}

/// What the client reported, applied at the next poll (the engine's buffer is lent out
/// until then).
#[derive(Clone, Copy, Debug)]
enum Report {
    None,
    Transmitted(usize),
    Received(usize),
    Uploaded(usize),
    Abort,
    Port(ErrorKind),
    Abandon(ErrorKind),
}

/// What no call of a client ends with: an outcome it does not know, or another operation's.
pub(crate) fn out_of_kind() -> Error {
    Error::Failed(at_ftp_proto::Error::Protocol(ProtocolError::UnexpectedResult))
}

/// One call: see the module documentation.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    op: Op<'a>,
    stage: Stage,
    report: Report,
    local: Option<ErrorKind>,
    abort: Option<&'a AtomicBool>,
    aborted: bool,
    /// Where a parameter's value goes.
    value: Option<&'a mut [u8]>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(op: Op<'a>, abort: Option<&'a AtomicBool>) -> Self {
        Call {
            op,
            stage: Stage::Start,
            report: Report::None,
            local: None,
            abort,
            aborted: false,
            value: None,
        }
    }

    /// A parameter read whose value is copied into `value`.
    pub(crate) fn read_into(
        param: Param,
        dialect: Dialect,
        value: &'a mut [u8],
        abort: Option<&'a AtomicBool>,
    ) -> Self {
        Call { value: Some(value), ..Call::new(Op::Read(param, dialect), abort) }
    }

    /// Whether the abort flag is up and the call has not acted on it yet: a wait for the port
    /// ends early for it, and only once.
    pub(crate) fn abort_pending(&self) -> bool {
        self.stage == Stage::Run
            && !self.aborted
            && self.abort.is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    pub(crate) fn poll<'e, const P: usize, const C: usize, const L: usize, const S: usize>(
        &mut self,
        engine: &'e mut Engine<P, C, L, S>,
        now: Instant,
    ) -> Io<'e> {
        match core::mem::replace(&mut self.report, Report::None) {
            Report::None => {}
            Report::Transmitted(n) => engine.transmitted(now, n),
            Report::Received(n) => engine.received(n),
            Report::Uploaded(n) => engine.uploaded(n),
            Report::Abort => {
                engine.abort(now);
            }
            Report::Port(kind) => {
                // The port is gone or broken: the modem's state is unknown.
                engine.reset();
                crate::log_failure!("at-ftp: the port failed: {:?}", kind);
                return Io::Done(Err(Error::Port(kind)));
            }
            Report::Abandon(kind) => {
                engine.reset();
                crate::log_failure!("at-ftp: the sink failed: {:?}", kind);
                return Io::Done(Err(Error::Local(kind)));
            }
        }
        if self.stage == Stage::Start {
            if engine.is_busy() {
                engine.abort(now);
                self.stage = Stage::Settle;
            } else {
                if let Err(e) = self.start(engine, now) {
                    return Io::Done(Err(Error::Start(e)));
                }
                self.stage = Stage::Run;
            }
        }
        if self.abort_pending() {
            self.aborted = true;
            engine.abort(now);
        }
        let wanted = self.stage == Stage::Run && self.local.is_none();
        match engine.poll(now) {
            Action::Transmit(t) => Io::Write(t),
            Action::Read { buf, deadline } => Io::Read { buf, deadline },
            Action::Peek(buf) => Io::Peek(buf),
            Action::Payload(data) if wanted => Io::Sink(data),
            Action::Upload(buf) if wanted => Io::Source(buf),
            // Settling, or aborted by a local failure: the data is drained, the source ended.
            Action::Payload(_) => Io::Again,
            Action::Upload(_) => {
                self.report = Report::Uploaded(0);
                Io::Again
            }
            Action::Event(_) => Io::Again,
            Action::Done(_) | Action::Idle if self.stage == Stage::Settle => {
                self.stage = Stage::Start;
                Io::Again
            }
            Action::Done(result) => Io::Done(match (self.local.take(), result) {
                // The local failure is why the operation was aborted.
                (Some(kind), _) => Err(Error::Local(kind)),
                (None, Err(e)) => Err(Error::Failed(e)),
                (None, Ok(outcome)) => self.end(outcome),
            }),
            // The engine lost the call's operation: it never does.
            Action::Idle => Io::Done(Err(out_of_kind())),
        }
    }

    fn end(&mut self, outcome: Outcome<'_>) -> Result<End, Error> {
        Ok(match outcome {
            Outcome::Transferred { bytes } => End::Transferred(bytes),
            Outcome::LinkUp { address } => End::LinkUp(address),
            Outcome::LinkDown => End::LinkDown,
            Outcome::Param { value, .. } => {
                let room = self.value.take().unwrap_or_default();
                let Some(slot) = room.get_mut(..value.len()) else {
                    return Err(Error::Local(ErrorKind::OutOfMemory));
                };
                slot.copy_from_slice(value);
                End::Param(value.len())
            }
            Outcome::Resynced => End::Resynced,
            // An outcome this client does not know (of a later core): not a success.
            _ => return Err(out_of_kind()),
        })
    }

    /// [`Io::Write`] of `t` ended with the count the port took, or its error.
    pub(crate) fn wrote(&mut self, t: Transmit<'_>, result: Result<usize, ErrorKind>) {
        self.report = match result {
            Ok(0) if !t.bytes().is_empty() => Report::Port(ErrorKind::WriteZero),
            Ok(n) => Report::Transmitted(n.min(t.bytes().len())),
            Err(ErrorKind::TimedOut | ErrorKind::Interrupted) => Report::Transmitted(0),
            Err(kind) => Report::Port(kind),
        };
    }

    /// [`Io::Read`] or [`Io::Peek`] into a buffer of `room` bytes ended with the count read
    /// (0: nothing came before the deadline), or the port's error. A count beyond the room
    /// (a port that says more than it gave) is cut to it.
    pub(crate) fn read(&mut self, room: usize, result: Result<usize, ErrorKind>) {
        self.report = match result {
            Ok(n) => Report::Received(n.min(room)),
            Err(ErrorKind::TimedOut | ErrorKind::Interrupted) => Report::Received(0),
            Err(kind) => Report::Port(kind),
        };
    }

    /// [`Io::Sink`] ended. A failure ends the call at once: a modem cannot be told to stop a
    /// download, and the next operation's resynchronisation drains what is left (with
    /// `Config::resync` off, nothing does: the line is then the caller's to clear).
    pub(crate) fn sunk(&mut self, result: Result<(), ErrorKind>) {
        if let Err(kind) = result {
            self.report = Report::Abandon(kind);
        }
    }

    /// [`Io::Source`] ended: the count put in the buffer (0 at the end), or a failure, which
    /// aborts the upload.
    pub(crate) fn sourced(&mut self, result: Result<usize, ErrorKind>) {
        match result {
            Ok(n) => self.report = Report::Uploaded(n),
            Err(ErrorKind::Interrupted) => {}
            Err(kind) => {
                if self.local.is_none() {
                    crate::log_failure!("at-ftp: the source failed: {:?}", kind);
                    self.local = Some(kind);
                    self.report = Report::Abort;
                }
            }
        }
    }

    fn start<const P: usize, const C: usize, const L: usize, const S: usize>(
        &self,
        engine: &mut Engine<P, C, L, S>,
        now: Instant,
    ) -> Result<(), StartError> {
        match self.op {
            Op::Get(req) => engine.start_get(now, req),
            Op::Put(req) => engine.start_put(now, req),
            Op::Link(req) => engine.start_link(now, req),
            Op::Unlink => engine.stop_link(now),
            Op::Read(param, dialect) => engine.read_param(now, param, dialect),
            Op::Resync => engine.resync(now),
        }
    }
}

/// Writes all of `bytes` to `sink`; a sink that takes nothing is `WriteZero` (not the panic of
/// `embedded_io::Write::write_all`).
pub(crate) fn write_all<W: embedded_io::Write>(
    sink: &mut W,
    mut bytes: &[u8],
) -> Result<(), ErrorKind> {
    use embedded_io::Error as _;
    while !bytes.is_empty() {
        match sink.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(e) => return Err(e.kind()),
        }
    }
    Ok(())
}
