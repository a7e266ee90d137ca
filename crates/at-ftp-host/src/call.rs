//! One adapter call around the engine, as a sans-IO state machine: [`Call`].
//!
//! This module owns what an adapter would otherwise decide for itself, and so differently in
//! each: settling an operation left in flight before the call's own starts, which engine
//! actions the adapter sees ([`Io`]) and which it does not (events go to the [`Session`], payload
//! nobody waits for is dropped), what a port result means (a timeout is "nothing yet", an end
//! or an error is a port failure that resets the engine), and what a failed sink or source
//! does (be the error reported: a source's aborts the upload, a sink's abandons the download
//! to the next operation's resynchronisation).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, ErrorKind};

use at_ftp_proto::{
    Action, Dialect, Engine, Event, Instant, Known, LinkRequest, Param, Request, Setting,
    StartError, Transmit,
};

use crate::{Error, Finished, Wire};

/// The operation a call runs.
#[derive(Clone, Copy, Debug)]
pub enum Op<'a> {
    /// A download ([`Engine::start_get`]).
    Get(&'a Request<'a>),
    /// An upload ([`Engine::start_put`]).
    Put(&'a Request<'a>),
    /// Bringing the link up ([`Engine::start_link`]).
    Link(&'a LinkRequest<'a>),
    /// Taking the link down ([`Engine::stop_link`]).
    Unlink,
    /// Reading a parameter back ([`Engine::read_param`]).
    Read(Param, Dialect),
    /// Resynchronising the line ([`Engine::resync`]).
    Resync,
}

type WireHook = Box<dyn FnMut(Wire<'_>) + Send>;
type EventHook = Box<dyn FnMut(Event<'_>) + Send>;

/// What an adapter keeps across its calls on one port: the user's hooks, and the settings
/// this port session set ([`Event::Set`]), so that a transfer sends only the parameter
/// commands whose value differs from what the session last set (the modem keeps them
/// itself). Nothing is assumed of a value set by another process: a new session knows none,
/// and it forgets them all after anything that may have left a command half sent (a port
/// error, a local failure, an abort, a deadline, a line that could not be resynchronised or
/// was found lost).
#[derive(Default)]
pub struct Session {
    wire: Option<WireHook>,
    event: Option<EventHook>,
    settings: BTreeMap<Setting, String>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The values hold the password: only the names.
        f.debug_struct("Session")
            .field("wire", &self.wire.is_some())
            .field("event", &self.event.is_some())
            .field("settings", &self.settings.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Session {
    /// The settings the modem holds already with `req`'s values, as far as this session set
    /// them.
    pub fn known(&self, req: &Request<'_>) -> Known {
        Setting::ALL.into_iter().fold(Known::NONE, |known, setting| {
            match (req.value(setting), self.settings.get(&setting)) {
                (Some(value), Some(set)) if value.to_string() == *set => known.with(setting),
                _ => known,
            }
        })
    }

    /// Forgets every setting: the next transfer sends them all.
    pub fn forget(&mut self) {
        self.settings.clear();
    }

    fn set(&mut self, req: &Request<'_>, setting: Setting) {
        match req.value(setting) {
            Some(value) => self.settings.insert(setting, value.to_string()),
            None => self.settings.remove(&setting),
        };
    }

    /// Calls `f` with every byte written to and read from the port, for a transcript (see
    /// [`Wire`] about the password's echo).
    pub fn on_wire(&mut self, f: impl FnMut(Wire<'_>) + Send + 'static) {
        self.wire = Some(Box::new(f));
    }

    /// Calls `f` with every [`Event`] of the engine: progress ([`Event::Progress`]: the
    /// payload bytes received, or of an upload those the port took, so far), unsolicited result codes,
    /// over-long lines, the steps of a resynchronisation.
    pub fn on_event(&mut self, f: impl FnMut(Event<'_>) + Send + 'static) {
        self.event = Some(Box::new(f));
    }

    fn wire(&mut self, wire: Wire<'_>) {
        if let Some(f) = &mut self.wire {
            f(wire);
        }
    }

    fn event(&mut self, event: Event<'_>) {
        if let Some(f) = &mut self.event {
            f(event);
        }
    }
}

/// What the adapter does next; from [`Call::poll`]. Each is reported back with the method it
/// names, before anything else (in an async adapter: before the next `.await`), and then the
/// call is polled again.
#[derive(Debug)]
#[must_use = "an instruction: carry it out, report it, then poll again"]
pub enum Io<'a> {
    /// Write these bytes to the port, waiting no later than [`Transmit::deadline`]; then
    /// [`Call::wrote`]. A write that timed out (or was interrupted) wrote nothing: the engine
    /// fails the operation itself once the deadline passed.
    Write(Transmit<'a>),
    /// Read the port into `buf`, waiting no later than `deadline`; then [`Call::read`] (a
    /// timeout is no error: nothing came yet).
    Read {
        /// Where the bytes go.
        buf: &'a mut [u8],
        /// When to stop waiting.
        deadline: Instant,
    },
    /// Read what the port has right now into the buffer, without waiting; then
    /// [`Call::read`].
    Peek(&'a mut [u8]),
    /// Download data, in order: write it all to the sink; then [`Call::sunk`]. Provisional
    /// until [`Io::Done`] with `Ok`.
    Sink(&'a [u8]),
    /// Fill the buffer with the next bytes of the upload; then [`Call::sourced`] (0 is the
    /// end of the file).
    Source(&'a mut [u8]),
    /// Nothing to do (an event went to the hooks, or an operation left in flight was
    /// settled): poll again.
    Again,
    /// The call ended; the engine is idle.
    Done(Result<Finished, Error>),
}

/// Where a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The call's operation is not started yet.
    Start,
    /// An operation left in flight by an earlier call is aborted and drained first.
    Settle,
    /// The call's operation is in flight.
    Run,
}

/// What the adapter reported, applied to the engine at the next poll (the report cannot
/// reach the engine while the adapter still holds the engine's buffer).
#[derive(Debug)]
enum Report {
    None,
    Transmitted(usize),
    Received(usize),
    Uploaded(usize),
    Abort,
    Port(io::Error),
    Abandon(io::Error),
}

/// One call of an adapter (a download, an upload, ...), driven with the adapter's engine: see
/// the crate documentation for the loop.
///
/// - An operation left in flight (an earlier call's future was dropped, or it returned early)
///   is aborted and drained first, so that every call starts with the modem in command mode;
///   its own verdict is not this call's, a port failure is.
/// - A port error ends the call with [`Error::Port`] and resets the engine, so that the next
///   operation resynchronises the line.
/// - A source error aborts the operation (the engine ends the upload with its terminator and
///   brings the modem back to command mode) and ends the call with [`Error::Local`]; a sink
///   error ends the call at once (see [`Call::sunk`]).
#[derive(Debug)]
pub struct Call<'a> {
    session: &'a mut Session,
    op: Op<'a>,
    stage: Stage,
    report: Report,
    local: Option<io::Error>,
}

/// A wait that ended with nothing done: not a failure.
fn waited(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted)
}

impl<'a> Call<'a> {
    /// A call that will run `op`, reporting to `session`.
    pub fn new(session: &'a mut Session, op: Op<'a>) -> Call<'a> {
        Call { session, op, stage: Stage::Start, report: Report::None, local: None }
    }

    /// What to do next. `now` is the time of the call, from the adapter's clock.
    pub fn poll<'e>(&mut self, engine: &'e mut Engine, now: Instant) -> Io<'e> {
        match std::mem::replace(&mut self.report, Report::None) {
            Report::None => {}
            Report::Transmitted(n) => engine.transmitted(now, n),
            Report::Received(n) => engine.received(n),
            Report::Uploaded(n) => engine.uploaded(n),
            Report::Abort => {
                engine.abort(now);
            }
            Report::Port(e) => {
                // The port is gone or broken: the modem's state is unknown.
                engine.reset();
                self.session.forget();
                return Io::Done(Err(Error::Port(e)));
            }
            Report::Abandon(e) => {
                engine.reset();
                self.session.forget();
                return Io::Done(Err(Error::Local(e)));
            }
        }
        if self.stage == Stage::Start {
            if engine.is_busy() {
                engine.abort(now);
                // Left in flight: a command of it may be half sent.
                self.session.forget();
                self.stage = Stage::Settle;
            } else {
                if engine.is_line_lost() {
                    // What an earlier operation left: a command of it may be half sent.
                    self.session.forget();
                }
                if let Err(e) = self.start(engine, now) {
                    return Io::Done(Err(e.into()));
                }
                self.stage = Stage::Run;
            }
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
            Action::Event(event) => {
                if let (Event::Set(setting), Stage::Run, Op::Get(req) | Op::Put(req)) =
                    (event, self.stage, self.op)
                {
                    self.session.set(req, setting);
                }
                self.session.event(event);
                Io::Again
            }
            Action::Done(_) | Action::Idle if self.stage == Stage::Settle => {
                self.stage = Stage::Start;
                Io::Again
            }
            Action::Done(result) => {
                let verdict = Finished::verdict(result);
                // An abort, a deadline or a line that could not be resynchronised may have
                // left a command half sent (a line found out of step otherwise is lost, which
                // the next start sees); a result the modem gave leaves its commands done.
                use at_ftp_proto::Error as Failed;
                let half_sent = matches!(
                    verdict,
                    Err(Error::Failed(
                        Failed::Aborted | Failed::Timeout(_) | Failed::Unsynchronised
                    ))
                );
                if half_sent || self.local.is_some() {
                    self.session.forget();
                }
                Io::Done(match self.local.take() {
                    // The local failure is why the operation was aborted.
                    Some(e) => Err(Error::Local(e)),
                    None => verdict,
                })
            }
            // The engine lost the call's operation: it never does.
            Action::Idle => Io::Done(Err(Error::out_of_kind())),
        }
    }

    /// [`Io::Write`] of `t` ended: the count the port took, or the error. A timeout (or an
    /// interrupted or would-block write) took nothing; a write of no byte is a port failure.
    pub fn wrote(&mut self, t: Transmit<'_>, result: io::Result<usize>) {
        self.report = match result {
            Ok(0) if !t.bytes().is_empty() => Report::Port(ErrorKind::WriteZero.into()),
            Ok(n) => {
                let n = n.min(t.bytes().len());
                if n > 0 {
                    self.session.wire(Wire::Sent(t.head(n)));
                }
                Report::Transmitted(n)
            }
            Err(e) if waited(&e) => Report::Transmitted(0),
            Err(e) => Report::Port(e),
        };
    }

    /// [`Io::Read`] or [`Io::Peek`] into `buf` ended: the count read, or the error. A timeout
    /// (or an interrupted or would-block read) read nothing; the port's end is a failure.
    pub fn read(&mut self, buf: &[u8], result: io::Result<usize>) {
        self.report = match result {
            Ok(0) if !buf.is_empty() => {
                Report::Port(io::Error::new(ErrorKind::UnexpectedEof, "the port was closed"))
            }
            Ok(n) => {
                let n = n.min(buf.len());
                if n > 0 {
                    self.session.wire(Wire::Received(&buf[..n]));
                }
                Report::Received(n)
            }
            Err(e) if waited(&e) => Report::Received(0),
            Err(e) => Report::Port(e),
        };
    }

    /// [`Io::Sink`] ended. A failure ends the call at once with [`Error::Local`]: a modem
    /// cannot be told to stop a download, and draining the rest here would only make the
    /// caller wait for data nobody can keep. The engine is reset, so the next operation
    /// resynchronises first and drains what is left (unless `Config::resync` is off).
    pub fn sunk(&mut self, result: io::Result<()>) {
        if let Err(e) = result {
            self.report = Report::Abandon(e);
        }
    }

    /// [`Io::Source`] ended: the count put in the buffer (0 at the end of the file). An
    /// interrupted read is asked again; a failure aborts the operation.
    pub fn sourced(&mut self, result: io::Result<usize>) {
        match result {
            Ok(n) => self.report = Report::Uploaded(n),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => self.fail_local(e),
        }
    }

    /// An operation of the adapter's own on the port (a flush before a read) ended: a failure
    /// is a port failure; a timeout is nothing done.
    pub fn flushed(&mut self, result: io::Result<()>) {
        match result {
            Err(e) if !waited(&e) => self.report = Report::Port(e),
            _ => {}
        }
    }

    fn fail_local(&mut self, e: io::Error) {
        if self.local.is_none() {
            self.local = Some(e);
            self.report = Report::Abort;
        }
    }

    fn start(&self, engine: &mut Engine, now: Instant) -> Result<(), StartError> {
        match self.op {
            Op::Get(req) => engine.start_get(now, &req.with_known(self.session.known(req))),
            Op::Put(req) => engine.start_put(now, &req.with_known(self.session.known(req))),
            Op::Link(req) => engine.start_link(now, req),
            Op::Unlink => engine.stop_link(now),
            Op::Read(param, dialect) => engine.read_param(now, param, dialect),
            Op::Resync => engine.resync(now),
        }
    }
}
