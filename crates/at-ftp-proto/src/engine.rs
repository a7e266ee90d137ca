//! The engine: the one deterministic state machine that drives a modem through link bring-up,
//! parameter reads, downloads, uploads and the recovery of a line left in an unknown state
//! (PROTOCOL.md sections 1 to 7).
//!
//! This module owns an operation's life: the order of its commands, what each phase waits for
//! and does with an answer it did not expect, the switch into and out of data mode, the
//! deadlines ([`Timer`], one table), the resynchronisation of the line, and every buffer
//! (port input, the transmit in flight, decoded payload, upload data). It does no I/O and reads
//! no clock. The run loop is [`Engine::poll`]: see the crate documentation.
//!
//! # Phases
//!
//! An operation is one [`Phase`] at a time, each carrying its own data, each with its own
//! handler and its own policy for an answer it did not expect. Every policy leaves the modem in
//! command mode before the operation ends, or, when that cannot be known (a deadline passed, a
//! write stalled), marks the line lost so that the next operation resynchronises first:
//!
//! | phase | waits for | an unexpected data phase | a deadline |
//! |---|---|---|---|
//! | `Resync` | the line to be quiet, then `OK` to `AT` | drained / ended | next probe (a download streaming through one is drained, bounded by `Timeout(Resync)`), then `Unsynchronised` |
//! | `Command` | the answer to one command line | drained / ended, then failure | failure, line lost |
//! | `Download` | data up to the lone ETX (fresh decoder) | n/a | failure, line lost |
//! | `Upload` | the caller's data; a modem ETX or failure cuts it | n/a | (write timer) |
//! | `Verdict` | the final result (after the modem's ETX, for an upload) | drained / ended, then failure | failure, line lost |
//! | `Quiet` | silence, after a cut upload (stray bytes draw answers) | n/a | ends the operation |

//!
//! # Room for a second modem family
//!
//! The Quectel `+QFTP` client (`PROTOCOL-QUECTEL.md`) fits the same phases with a profile of
//! three parts, none of which changes the run loop, the timer table or the resynchronisation:
//! the *command scripts* ([`Script`]: each line carries the [`Step`] it waits for; Quectel
//! adds a step whose `OK` only means "accepted" and whose outcome is a later
//! `+QFTP<NAME>: <err>,<value>` line), the *result grammar* (the `answer` module's
//! classification, which already separates a line's meaning from the phase that judges it),
//! and the *data framing* (`Download`/`Upload` hold a decoder and an encoder; a Quectel data
//! phase after `CONNECT` is raw and delimited by a byte count, and left with `+++` between
//! guard times, which are two more timers).

use core::fmt;
use core::net::Ipv4Addr;
use core::time::Duration;

use crate::answer::{Reply, classify};
use crate::codec::{Escaper, Specials, Strictness, Unescaper};
use crate::command::{
    Command, Dialect, Limits, LinkRequest, Param, Request, SCRIPT_ROOM, Script, Setting, Step,
};
use crate::error::{
    Buffer, ConfigError, Error, Field, ModemError, ProtocolError, StartError, Timer,
};
use crate::line::{Frame, Framer, MAX_LINE, MIN_LINE};
use crate::time::Instant;
use crate::trace;

/// The default engine's `CHUNK`: the most decoded payload one [`Action::Payload`] holds,
/// and the most upload data one [`Action::Upload`] asks for.
pub const PAYLOAD_CHUNK: usize = 2048;
/// The default engine's `PORT`: the most one [`Action::Read`] asks of the port, and the room
/// for stuffed upload bytes (twice a chunk, but for the two bytes an upload's end keeps free:
/// a chunk of special bytes goes out in two transmits).
pub const INPUT_BUFFER: usize = 4096;
/// The smallest `PORT` an engine takes.
pub const MIN_PORT: usize = 8;
/// The most bytes an upload's end needs: a pair's second half, and the terminator.
const TERMINATOR_ROOM: usize = 2;
/// The most notices waiting for `poll`; input is taken only when none waits, and no single
/// step queues more.
const MAX_EVENTS: usize = 4;
/// The most bytes peeked between reading a piece of the upload and sending it: each peek
/// that brings bytes is followed by another, until the port has nothing or this much came
/// (a line that never falls silent must not stall the upload). Counted in bytes, not peeks,
/// so that neither the size of the reads nor the engine's buffers change what is heard.
const MAX_PEEKED: usize = 4096;

/// The engine's settings. Every default is PROTOCOL.md's, where the manual is silent our
/// choice (\[ours\]); [`Config::check`] refuses a config that could not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// A parameter command (or a resynchronisation probe) until its final result. Default 5 s.
    pub command_timeout: Duration,
    /// `AT#CONNECTIONSTART` or `AT#CONNECTIONSTOP` until its result. Default 120 s.
    pub link_timeout: Duration,
    /// `AT#FTPGET`/`AT#FTPPUT` until the data phase starts (DNS, connect, login). Default 120 s.
    pub start_timeout: Duration,
    /// Silence inside the download data phase. Default 60 s.
    pub data_timeout: Duration,
    /// From the end of the data (an upload's terminator written) to the final result.
    /// Default 30 s.
    pub result_timeout: Duration,
    /// A write to the port that takes no byte for this long fails the operation. Default
    /// 60 s, our choice (as long as the data timeout).
    pub write_timeout: Duration,
    /// How long the line must be quiet: after the modem cut an upload (the bytes already sent
    /// reach it as command lines and draw answers that belong to no command), between the
    /// steps of a resynchronisation, and before an upload verdict from a modem that did not
    /// echo the terminator is believed. Default 500 ms, our choice.
    pub quiet_time: Duration,
    /// The longest a quiet wait lasts however busy the line stays (noise, URCs). Default 30 s,
    /// our choice.
    pub quiet_cap: Duration,
    /// The longest response line; longer ones are reported and discarded.
    /// [`MIN_LINE`]..=[`MAX_LINE`], default 256.
    pub max_line_len: usize,
    /// What a DLE followed by an ordinary byte means in download data. Default strict: an error.
    pub strictness: Strictness,
    /// The two special bytes of the stuffing. Default DLE 0x10, ETX 0x03.
    pub specials: Specials,
    /// The string length limits of the parameters (PROTOCOL.md section 2, \[ours\]).
    pub limits: Limits,
    /// Resynchronise a line whose state is unknown before the next operation: at the first
    /// operation of a new engine (a new process; the last one may have been killed
    /// mid-transfer) and after any operation that did not end cleanly. Default on. Off, the
    /// modem is assumed in command mode (for a line known clean, such as a test bench), except
    /// where the engine may have left an upload waiting for data: that one is ended, and
    /// command mode proven, whatever this says, so that no command lands in a remote file.
    pub resync: bool,
    /// How many `AT` probes a resynchronisation sends before it gives up. Default 3.
    pub resync_probes: u8,
    /// The longest a resynchronisation drains a download it finds still streaming (the last
    /// process was killed in its data phase), from the moment it finds it: a download cannot
    /// be stopped, only drained to its end, and neither the probes' deadlines nor the quiet
    /// cap bound that. At 115,200 baud this drains about 6.9 MB. Default 10 min, our choice.
    pub resync_timeout: Duration,
}

impl Config {
    /// PROTOCOL.md's defaults (and ours where it is silent): [`Config::default`], as a
    /// constant for a `static` engine.
    pub const DEFAULT: Config = Config {
        command_timeout: Duration::from_secs(5),
        link_timeout: Duration::from_secs(120),
        start_timeout: Duration::from_secs(120),
        data_timeout: Duration::from_secs(60),
        result_timeout: Duration::from_secs(30),
        write_timeout: Duration::from_secs(60),
        quiet_time: Duration::from_millis(500),
        quiet_cap: Duration::from_secs(30),
        max_line_len: 256,
        strictness: Strictness::Strict,
        specials: Specials::DEFAULT,
        limits: Limits::DEFAULT,
        resync: true,
        resync_probes: 3,
        resync_timeout: Duration::from_secs(600),
    };

    /// The duration of `timer`.
    pub const fn timeout(&self, timer: Timer) -> Duration {
        match timer {
            Timer::Command => self.command_timeout,
            Timer::Link => self.link_timeout,
            Timer::Start => self.start_timeout,
            Timer::Data => self.data_timeout,
            Timer::Result => self.result_timeout,
            Timer::Write => self.write_timeout,
            Timer::Quiet => self.quiet_time,
            Timer::QuietCap => self.quiet_cap,
            Timer::Resync => self.resync_timeout,
        }
    }

    /// Refuses a config the engine cannot work with: a zero timeout, a line limit outside
    /// [`MIN_LINE`]..=[`MAX_LINE`], a string limit of zero or beyond [`Limits::MAX`], no probe.
    pub const fn check(&self) -> Result<(), ConfigError> {
        let mut i = 0;
        while i < Timer::ALL.len() {
            let timer = Timer::ALL[i];
            if self.timeout(timer).is_zero() {
                return Err(ConfigError::ZeroTimeout(timer));
            }
            i += 1;
        }
        if self.max_line_len < MIN_LINE || self.max_line_len > MAX_LINE {
            return Err(ConfigError::LineLength {
                got: self.max_line_len,
                min: MIN_LINE,
                max: MAX_LINE,
            });
        }
        let (l, max) = (self.limits, Limits::MAX);
        let limits = [
            (Field::Server, l.server, max.server),
            (Field::User, l.credential, max.credential),
            (Field::File, l.path, max.path),
            (Field::Apn, l.apn, max.apn),
        ];
        let mut i = 0;
        while i < limits.len() {
            let (field, got, max) = limits[i];
            if got == 0 || got > max {
                return Err(ConfigError::Limit { field, got, max });
            }
            i += 1;
        }
        if self.resync_probes == 0 {
            return Err(ConfigError::NoProbes);
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// What the adapter does next; from [`Engine::poll`].
#[derive(Debug)]
#[must_use = "an action is an instruction: carry it out, then poll again"]
pub enum Action<'a> {
    /// Write these bytes to the port, then call [`Engine::transmitted`] with how many were
    /// written (all, fewer, or none: the rest comes again with the next poll). A write that is
    /// cut off (an async call dropped mid-write) is thus resumed, or, after an abort, never
    /// sent. Give up waiting for the port at [`Transmit::deadline`].
    Transmit(Transmit<'a>),
    /// Decoded download data, in order: write it to the destination. Provisional until
    /// [`Action::Done`] with `Ok`.
    Payload(&'a [u8]),
    /// Something worth knowing, nothing to do.
    Event(Event<'a>),
    /// Fill this buffer with the next bytes of the upload, then call [`Engine::uploaded`]
    /// with their count; 0 means the end of the file.
    Upload(&'a mut [u8]),
    /// Read what the port has right now into `buf`, without waiting, then call
    /// [`Engine::received`] (with 0 when it had nothing). Asked between pieces of an upload:
    /// a modem that ends the upload says so while the data still flows, and must be heard
    /// before more of the file reaches it in command mode.
    Peek(&'a mut [u8]),
    /// Read the port into `buf`, waiting no later than `deadline`; then call
    /// [`Engine::received`] with the count (0 when the deadline passed with nothing), and poll
    /// again with the time: the engine fires its own deadlines.
    Read {
        /// Where the bytes go.
        buf: &'a mut [u8],
        /// When to stop waiting and poll again.
        deadline: Instant,
    },
    /// The operation ended; the modem is in command mode, or the line is marked lost and the
    /// next operation resynchronises it first.
    Done(Result<Outcome<'a>, Error>),
    /// No operation in flight: start one.
    Idle,
}

/// Something the engine reports on the way; from [`Action::Event`].
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The modem sent `Ok_Info_DataBegin`: download data follows.
    DataBegin,
    /// The modem sent `Ok_Info_WaitingForData`: the engine asks for the file with
    /// [`Action::Upload`].
    ReadyForData,
    /// The payload bytes received (download), or written to the port (upload: counted from
    /// what the port took, stuffing and terminator left out), so far.
    Progress(u64),
    /// The modem answered `OK` to this setting's command: it holds the request's value now.
    Set(Setting),
    /// A line that answers no command: an unsolicited result code, such as `RING`.
    Unsolicited(&'a [u8]),
    /// A response line was longer than [`Config::max_line_len`]; it was discarded.
    LineTooLong,
    /// A step of the resynchronisation of a line whose state was unknown.
    Resync(Resync),
}

/// A step of a resynchronisation (see [`Engine`]).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resync {
    /// The line was quiet; this many bytes were read and dropped before it was.
    Drained {
        /// The count.
        bytes: u64,
    },
    /// A modem possibly waiting for upload data was sent its terminator.
    EndedUpload,
    /// `AT` was sent (the count of probes so far).
    Probed {
        /// 1 for the first probe.
        count: u8,
    },
    /// `AT` was answered `OK` and the line stayed quiet: the modem is in command mode.
    InCommandMode,
}

/// How an operation succeeded; from [`Action::Done`].
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome<'a> {
    /// A download or upload, after the modem's final `OK`.
    Transferred {
        /// Payload bytes received or sent.
        bytes: u64,
    },
    /// The link is up. `address` is the IP address the modem reported, if it did (not when
    /// the link was already up: `#CME ERROR: 35840`).
    LinkUp {
        /// The assigned address.
        address: Option<Ipv4Addr>,
    },
    /// The link was taken down ([`Engine::stop_link`]).
    LinkDown,
    /// A parameter's value: the text after `#NAME: `, without the quotes if it had them.
    Param {
        /// The parameter.
        param: Param,
        /// Its value.
        value: &'a [u8],
    },
    /// The line was resynchronised ([`Engine::resync`]): the modem is in command mode.
    Resynced,
}

/// Bytes to write to the modem, from [`Action::Transmit`].
///
/// Its `Debug` and `Display` show the bytes with any password replaced by `***`, so they can be
/// logged; [`bytes`](Transmit::bytes) gives the real ones for the port.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    bytes: &'a [u8],
    secret: Option<(usize, usize)>,
    command: bool,
    deadline: Instant,
}

impl<'a> Transmit<'a> {
    /// The bytes to write, in order.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The first `n` bytes (all, if fewer): what a short write wrote, for a transcript. A
    /// password cut in two stays hidden.
    pub fn head(&self, n: usize) -> Transmit<'a> {
        let n = n.min(self.bytes.len());
        let secret = self.secret.filter(|&(start, _)| start < n).map(|(s, e)| (s, e.min(n)));
        Transmit { bytes: &self.bytes[..n], secret, ..*self }
    }

    /// Whether these are command bytes (as opposed to upload data).
    pub fn is_command(&self) -> bool {
        self.command
    }

    /// When the engine gives up on a port that takes nothing ([`Timer::Write`]).
    pub fn deadline(&self) -> Instant {
        self.deadline
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

/// The deadlines, one slot per [`Timer`] (quinn-proto's timer table).
#[derive(Clone, Copy, Debug)]
struct Timers([Option<Instant>; Timer::ALL.len()]);

impl Timers {
    /// No deadline.
    const NONE: Timers = Timers([None; Timer::ALL.len()]);

    fn set(&mut self, timer: Timer, at: Instant) {
        self.0[timer.index()] = Some(at);
    }

    fn stop(&mut self, timer: Timer) {
        self.0[timer.index()] = None;
    }

    fn get(&self, timer: Timer) -> Option<Instant> {
        self.0[timer.index()]
    }

    /// Stops every timer of the phase: all but the write timer, which belongs to the
    /// transmit in flight, and the resynchronisation's, which spans its steps.
    fn stop_phase(&mut self) {
        let (write, resync) = (self.get(Timer::Write), self.get(Timer::Resync));
        *self = Timers::NONE;
        self.0[Timer::Write.index()] = write;
        self.0[Timer::Resync.index()] = resync;
    }

    /// The earliest deadline.
    fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    /// A timer whose deadline is `now` or earlier (the earliest), stopped.
    fn expire(&mut self, now: Instant) -> Option<Timer> {
        let (i, _) = self
            .0
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (i, t)))
            .filter(|&(_, t)| t <= now)
            .min_by_key(|&(_, t)| t)?;
        self.0[i] = None;
        Timer::ALL.get(i).copied()
    }
}

/// What is known of the modem's state between operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sync {
    /// Command mode: the last operation ended on a final result.
    InCommandMode,
    /// Unknown; the next operation resynchronises first.
    Lost(Suspect),
}

/// What a lost line may be doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Suspect {
    /// Anything: a new process, a port that failed, a deadline that passed.
    Anything,
    /// Still streaming a download whose data phase timed out.
    Download,
    /// Waiting for upload data; `dangling`: the last byte written was the DLE of a pair.
    Upload { dangling: bool },
}

/// What the line may be doing after `step` was sent and not answered as it should be: a
/// transfer command may still open its data phase. An upload suspect is ended even with
/// [`Config::resync`] off, so that no command of ours lands in the remote file.
fn suspect_after(step: Step) -> Suspect {
    match step {
        Step::Get => Suspect::Download,
        Step::Put => Suspect::Upload { dangling: false },
        Step::Set(_) | Step::Connect | Step::Disconnect | Step::Read(_) => Suspect::Anything,
    }
}

/// What a resynchronisation cut short (aborted, or its write stalled) leaves suspected, in
/// `step`, with nothing (`untouched`) or part of its transmit written.
fn cut_resync(suspect: Suspect, step: &Recovery, untouched: bool) -> Suspect {
    match step {
        _ if untouched => suspect,
        // One terminator of two went: it completed a dangling pair (the upload still waits,
        // the pair closed), ended the upload, or was ignored. A lone one more is right in
        // every case, before any command.
        Recovery::EndUpload => Suspect::Upload { dangling: false },
        // A probe half written leaves a partial line in the modem.
        _ => Suspect::Anything,
    }
}

/// The upload's data source, as far as the engine knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The source has more; `peeked`: the port was peeked since the stage was last filled.
    Open { peeked: bool },
    /// The source ended; the terminator is not yet queued.
    Ended,
}

/// Finds the modem's own lone terminator in bytes that may hold stuffed data (an echo of the
/// upload that a modem should not send, PROTOCOL.md section 5): an ETX counts only when it is
/// not the second byte of a pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct EtxScan {
    after_dle: bool,
}

impl EtxScan {
    /// The offset of the first lone terminator in `input`, if any.
    fn find(&mut self, input: &[u8], specials: Specials) -> Option<usize> {
        let (dle, etx) = (specials.dle(), specials.etx());
        let mut i = 0;
        while i < input.len() {
            if self.after_dle {
                self.after_dle = false;
                i += 1;
                continue;
            }
            let at = i + memchr::memchr2(dle, etx, &input[i..])?;
            if input[at] == etx {
                return Some(at);
            }
            self.after_dle = true;
            i = at + 1;
        }
        None
    }
}

/// A step of a resynchronisation.
#[derive(Clone, Debug)]
enum Recovery {
    /// Read and drop until the line is quiet; `busy`: input kept coming up to the quiet
    /// wait's cap (each byte restarted the wait, which was cut at the cap), as opposed to a
    /// quiet line whose deadlines all passed before the engine was polled again.
    Drain { bytes: u64, busy: bool },
    /// The terminator(s) to a modem that may wait for upload data are being written.
    EndUpload,
    /// `AT` waits to be written (`sent` false: like a command, only once the port was peeked
    /// empty, `clear`, and all input before it taken), or its answer is awaited; `ok`: it was
    /// answered `OK` and the line must now stay quiet; `heard`: the bytes that arrived since
    /// it was written; `stale`: a line had begun when it was written, so the line that
    /// completes is not its answer (a data phase that line announces is acted on all the
    /// same: its first bytes may have come before the probe).
    Probe { sent: bool, clear: bool, ok: bool, heard: usize, stale: bool },
}

/// The phase of the operation in flight, with its data.
#[derive(Clone, Debug)]
enum Phase {
    /// Bringing a lost line back to command mode before the script.
    ///
    /// Its input is framed as lines, so that a data phase announced on the way is seen (the
    /// framer keeps the tail of a download still streaming and the line after its terminator
    /// apart).
    Resync { suspect: Suspect, step: Recovery, probes: u8, upload_ended: bool },
    /// A command line of the script: written from the script, then its answer awaited.
    Command {
        command: Command,
        /// The last byte was written.
        sent: bool,
        /// A line had begun before the command was written: the line it completes is not
        /// the answer.
        stale: bool,
        /// The port was peeked empty since the command became next: what arrived before is
        /// taken (as unsolicited) before the command is written.
        clear: bool,
        /// A parameter read got its value (in the payload buffer).
        value: Option<usize>,
        /// A line was too long while a parameter read waited: it may have been the value.
        overlong: bool,
    },
    /// Download data, expected or not, with a fresh decoder. `skip_lf`: the LF of the
    /// `Ok_Info_DataBegin\r\n` line end may come first.
    Download { decoder: Unescaper, skip_lf: bool },
    /// Upload data from the caller's source.
    Upload { escaper: Escaper, source: Source, scan: EtxScan },
    /// The final result after the data. For an upload (`scan` is `Some` until the ETX), only a
    /// result that follows the modem's own ETX counts, so that no echoed byte of our payload is taken for
    /// the verdict; a final result without that ETX is a `candidate`, believed once the line
    /// stays quiet. `cut`: the modem ended the upload before our terminator.
    Verdict {
        upload: bool,
        scan: Option<EtxScan>,
        terminated: bool,
        etx: bool,
        cut: bool,
        candidate: Option<Reply<'static>>,
    },
    /// The modem cut an upload: wait for quiet, then end a partial line with CR
    /// (`cleared`), then wait for quiet again.
    Quiet { cleared: bool },
}

/// What an operation ends with, when it succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Transfer,
    Link,
    Read(Param),
    Resync,
}

/// The operation in flight.
#[derive(Clone, Debug)]
struct Op {
    kind: Kind,
    /// The next command line of the script.
    next: usize,
    phase: Phase,
    /// The failure decided already, reported once the modem is back in command mode.
    failure: Option<Error>,
    /// Payload bytes received or taken from the source.
    bytes: u64,
    /// Upload data was written to the port (or queued with the terminator): after a failure
    /// it may still reach the modem as command lines, which calls for a quiet wait.
    wrote: bool,
    /// Payload bytes of the upload the port took (stuffing and terminator not counted).
    sent: u64,
    address: Option<Ipv4Addr>,
}

/// How an ended operation is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Transferred(u64),
    LinkUp(Option<Ipv4Addr>),
    LinkDown,
    /// The value is `payload[..len]`.
    Param(Param, usize),
    Resynced,
}

/// The engine's operation slot.
#[derive(Clone, Debug)]
enum State {
    Idle,
    Busy(Op),
    Ended(Result<End, Error>),
}

/// The transmit in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Out {
    None,
    /// A script line; `at` bytes of it written.
    Command {
        command: Command,
        at: usize,
    },
    /// `upload[at..upload_len]`.
    Upload,
    /// A control sequence of ours (`AT\r`, CR, terminators): `fixed[at..len]`.
    Fixed {
        buf: [u8; 3],
        len: u8,
        at: u8,
    },
}

/// A notice waiting for `poll`; the borrowed ones point into the engine's buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    DataBegin,
    ReadyForData,
    Payload(usize),
    Progress(u64),
    Set(Setting),
    Unsolicited,
    LineTooLong,
    Resync(Resync),
}

/// The sans-IO engine: give it bytes and time, take what to do next. One per port.
///
/// See the crate documentation for the run loop. Its buffers are its own, sized by the four
/// parameters; every borrowed output ([`Action`]) points into them and lives until the next
/// call. The engine needs no allocator, and [`Engine::new`] is a `const fn`, so an engine can
/// be a `static`.
///
/// | parameter | buffers | bounds | default | [`SmallEngine`] | smallest |
/// |---|---|---|---|---|---|
/// | `PORT` | port input; stuffed upload | one [`Action::Read`] or [`Action::Peek`]; one upload [`Action::Transmit`] | [`INPUT_BUFFER`] (4096) | 256 | [`MIN_PORT`] (8) |
/// | `CHUNK` | decoded payload, upload data, a parameter's value (one buffer: never two at once) | one [`Action::Payload`] or [`Action::Upload`] | [`PAYLOAD_CHUNK`] (2048) | 256 | [`Config::max_line_len`] (a value fits) |
/// | `LINE` | the response line | [`Config::max_line_len`] | [`MAX_LINE`] (512) | 256 | [`Config::max_line_len`] |
/// | `SCRIPT` | the operation's command lines | [`Config::limits`] | [`SCRIPT_ROOM`](crate::SCRIPT_ROOM) (1152) | `Limits::DEFAULT.script_len()` (619) | [`Limits::script_len`] of the config's limits |
///
/// Smaller buffers cost round trips, never correctness: a read, a payload or a piece of the
/// upload is smaller, a line longer than `max_line_len` is reported and skipped as ever.
/// [`Engine::new`] refuses sizes below the smallest ([`ConfigError::Buffer`]).
///
/// A new engine knows nothing of the line: unless [`Config::resync`] is off, its first
/// operation resynchronises first (drain, end a waiting upload, prove command mode with `AT`).
/// V.250 lets a modem ignore whatever precedes `AT` on a line, which is why a terminator sent
/// to a modem that was in command mode all along does no harm.
pub struct Engine<
    const PORT: usize = INPUT_BUFFER,
    const CHUNK: usize = PAYLOAD_CHUNK,
    const LINE: usize = MAX_LINE,
    const SCRIPT: usize = SCRIPT_ROOM,
> {
    config: Config,
    framer: Framer<LINE>,
    sync: Sync,
    state: State,
    /// The command lines of the operation in flight (`State::Busy`), built in place.
    script: Script<SCRIPT>,
    timers: Timers,
    events: [Option<Pending>; MAX_EVENTS],
    event_count: usize,
    out: Out,
    input: [u8; PORT],
    /// `input[input_at..input_len]` is port input not yet taken.
    input_at: usize,
    input_len: usize,
    /// Decoded download data; a parameter read's value; upload data from the source
    /// (`chunk[stage_at..stage_len]` is not yet stuffed). An operation uses it for one of
    /// these only: an upload's data phase decodes nothing.
    chunk: [u8; CHUNK],
    /// Stuffed upload bytes: `upload[upload_at..upload_len]` are not yet written.
    upload: [u8; PORT],
    upload_at: usize,
    upload_len: usize,
    /// The upload bytes written end inside a pair (after its DLE).
    pair_open: bool,
    /// Bytes peeked for the piece in the stage (bounded by `MAX_PEEKED`).
    peeked: usize,
    stage_at: usize,
    stage_len: usize,
}

/// An engine sized for a microcontroller: about 2.3 KB instead of about 12.6 KB (on a 64-bit
/// host; less on a 32-bit one), with the
/// default [`Config`] (its line length and [`Limits::DEFAULT`]). See [`Engine`] for what each
/// size bounds.
pub type SmallEngine = Engine<256, 256, 256, { Limits::DEFAULT.script_len() }>;

impl<const PORT: usize, const CHUNK: usize, const LINE: usize, const SCRIPT: usize> fmt::Debug
    for Engine<PORT, CHUNK, LINE, SCRIPT>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match &self.state {
            State::Idle => "idle",
            State::Ended(_) => "ended",
            State::Busy(op) => match op.phase {
                Phase::Resync { .. } => "resync",
                Phase::Command { .. } => "command",
                Phase::Download { .. } => "download",
                Phase::Upload { .. } => "upload",
                Phase::Verdict { .. } => "verdict",
                Phase::Quiet { .. } => "quiet",
            },
        };
        f.debug_struct("Engine")
            .field("sync", &self.sync)
            .field("phase", &phase)
            .field("input", &(self.input_len - self.input_at))
            .field("events", &self.event_count)
            .finish_non_exhaustive()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::with(Config::DEFAULT)
    }
}

impl<const PORT: usize, const CHUNK: usize, const LINE: usize, const SCRIPT: usize>
    Engine<PORT, CHUNK, LINE, SCRIPT>
{
    /// An engine with `config`, refused if [`Config::check`] refuses it or the buffers are
    /// too small for it ([`ConfigError::Buffer`]). A `const fn`: a `static` engine is checked
    /// at compile time.
    ///
    /// ```
    /// use at_ftp_proto::{Config, SmallEngine};
    ///
    /// static ENGINE: std::sync::Mutex<SmallEngine> = std::sync::Mutex::new(
    ///     match SmallEngine::new(Config::DEFAULT) {
    ///         Ok(engine) => engine,
    ///         Err(_) => panic!("a config the small engine cannot hold"), // at compile time
    ///     },
    /// );
    /// assert!(!ENGINE.lock().unwrap().is_busy());
    /// ```
    pub const fn new(config: Config) -> Result<Self, ConfigError> {
        if let Err(e) = config.check() {
            return Err(e);
        }
        let buffers = [
            (Buffer::Port, PORT, MIN_PORT),
            (Buffer::Chunk, CHUNK, config.max_line_len),
            (Buffer::Line, LINE, config.max_line_len),
            (Buffer::Script, SCRIPT, config.limits.script_len()),
        ];
        let mut i = 0;
        while i < buffers.len() {
            let (buffer, got, min) = buffers[i];
            // The script's offsets are 16-bit.
            let max = if matches!(buffer, Buffer::Script) { u16::MAX as usize } else { usize::MAX };
            if got < min || got > max {
                return Err(ConfigError::Buffer { buffer, got, min, max });
            }
            i += 1;
        }
        Ok(Engine::with(config))
    }

    /// An engine with a config checked against its buffers.
    const fn with(config: Config) -> Self {
        Engine {
            config,
            framer: Framer::new(config.max_line_len, config.specials.etx()),
            sync: if config.resync { Sync::Lost(Suspect::Anything) } else { Sync::InCommandMode },
            state: State::Idle,
            script: Script::empty(),
            timers: Timers::NONE,
            events: [None; MAX_EVENTS],
            event_count: 0,
            out: Out::None,
            input: [0; PORT],
            input_at: 0,
            input_len: 0,
            chunk: [0; CHUNK],
            upload: [0; PORT],
            upload_at: 0,
            upload_len: 0,
            pair_open: false,
            stage_at: 0,
            stage_len: 0,
            peeked: 0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether an operation is in flight: started and not yet reported by [`Action::Done`].
    pub fn is_busy(&self) -> bool {
        !matches!(self.state, State::Idle)
    }

    /// Whether the next operation resynchronises the line first.
    pub fn is_line_lost(&self) -> bool {
        // An upload the engine may have left open is ended even with `resync` off: the next
        // command would otherwise land in the remote file.
        matches!(self.sync, Sync::Lost(suspect)
            if self.config.resync || matches!(suspect, Suspect::Upload { .. }))
    }

    /// The port failed or was replaced: forget everything in flight (no [`Action::Done`]
    /// follows) and treat the line as unknown (with [`Config::resync`] off, as in command
    /// mode, unless an upload may still be open: that one is ended first whatever the config).
    pub fn reset(&mut self) {
        // In place: a new engine on the stack would cost its size (a microcontroller's stack
        // is small); the buffers' bytes need no clearing.
        let config = self.config;
        self.framer.clear();
        // A modem that may still wait for upload data is the one state `resync: false` does
        // not excuse (the next command would land in the remote file): an upload in flight,
        // or one already suspected, is ended before the next command. Dangling: a write cut
        // short may have sent a pair's DLE the engine was not told of.
        let upload_open = match &self.state {
            State::Busy(op) => matches!(
                op.phase,
                Phase::Upload { .. } | Phase::Verdict { upload: true, terminated: false, .. }
            ),
            State::Idle | State::Ended(_) => false,
        };
        self.sync = match self.sync {
            _ if upload_open => Sync::Lost(Suspect::Upload { dangling: true }),
            Sync::Lost(suspect @ Suspect::Upload { .. }) => Sync::Lost(suspect),
            _ if config.resync => Sync::Lost(Suspect::Anything),
            _ => Sync::InCommandMode,
        };
        self.state = State::Idle;
        self.timers = Timers::NONE;
        self.events = [None; MAX_EVENTS];
        self.event_count = 0;
        self.out = Out::None;
        self.input_at = 0;
        self.input_len = 0;
        self.upload_at = 0;
        self.upload_len = 0;
        self.pair_open = false;
        self.stage_at = 0;
        self.stage_len = 0;
        self.peeked = 0;
    }

    /// Starts a download: the parameters, then `AT#FTPGET`. Payload comes as
    /// [`Action::Payload`]; the end is [`Action::Done`].
    pub fn start_get(&mut self, now: Instant, req: &Request<'_>) -> Result<(), StartError> {
        self.idle()?;
        self.script.transfer(req, false, &self.config.limits)?;
        self.start(now, Kind::Transfer);
        Ok(())
    }

    /// Starts an upload: the parameters, then `AT#FTPPUT`; the data is asked for with
    /// [`Action::Upload`].
    pub fn start_put(&mut self, now: Instant, req: &Request<'_>) -> Result<(), StartError> {
        self.idle()?;
        self.script.transfer(req, true, &self.config.limits)?;
        self.start(now, Kind::Transfer);
        Ok(())
    }

    /// Brings the GPRS link up; ends with [`Outcome::LinkUp`] (also when it was up already).
    pub fn start_link(&mut self, now: Instant, req: &LinkRequest<'_>) -> Result<(), StartError> {
        self.idle()?;
        self.script.link(req, &self.config.limits)?;
        self.start(now, Kind::Link);
        Ok(())
    }

    /// Takes the GPRS link down (`AT#CONNECTIONSTOP`); ends with [`Outcome::LinkDown`], or
    /// the modem's error as it gave it.
    pub fn stop_link(&mut self, now: Instant) -> Result<(), StartError> {
        self.idle()?;
        self.script.unlink();
        self.start(now, Kind::Link);
        Ok(())
    }

    /// Reads a parameter back (or the link's state, [`Param::LinkState`]); ends with
    /// [`Outcome::Param`].
    pub fn read_param(
        &mut self,
        now: Instant,
        param: Param,
        dialect: Dialect,
    ) -> Result<(), StartError> {
        self.idle()?;
        self.script.read(param, dialect);
        self.start(now, Kind::Read(param));
        Ok(())
    }

    /// Resynchronises the line now, whatever is known of it; ends with
    /// [`Outcome::Resynced`] or [`Error::Unsynchronised`].
    pub fn resync(&mut self, now: Instant) -> Result<(), StartError> {
        self.idle()?;
        self.sync = Sync::Lost(Suspect::Anything);
        self.script.none();
        self.start(now, Kind::Resync);
        Ok(())
    }

    /// Aborts the operation in flight. Returns whether there was one. Keep polling: it ends
    /// with [`Error::Aborted`]:
    ///
    /// - at once, when no byte of its current command was written (a command handed out in
    ///   [`Action::Transmit`] but not reported written is never sent), or during a
    ///   resynchronisation;
    /// - after the answer, when a command was sent (a data phase it starts is drained or
    ///   ended);
    /// - after the data, for a download (the modem cannot be told to stop one);
    /// - after the verdict, for an upload: no more of the file is sent, the pair in flight
    ///   is completed and the terminator follows (the server keeps the part sent so far).
    pub fn abort(&mut self, now: Instant) -> bool {
        let untouched = self.out_untouched();
        let State::Busy(op) = &mut self.state else { return false };
        self.stage_at = self.stage_len;
        if op.failure.is_some() {
            return true;
        }
        op.failure = Some(Error::Aborted);
        match &mut op.phase {
            Phase::Resync { suspect, step, .. } => {
                let suspect = cut_resync(*suspect, step, untouched);
                self.end_lost(Error::Aborted, suspect);
            }
            Phase::Command { sent: false, .. } if untouched => self.end(Err(Error::Aborted)),
            Phase::Command { sent: false, .. } => {
                // Part of the line is in the modem. Finishing it would execute it (an
                // `AT#FTPPUT` would empty the remote file): abandon it instead. The line is
                // lost: the next operation's resynchronisation makes the rest garbage (V.250
                // ignores what precedes `AT`; the first probe draws `ERROR`, the next `OK`).
                self.end_lost(Error::Aborted, Suspect::Anything);
            }
            Phase::Upload { source, .. } => {
                *source = Source::Ended;
                self.terminate(now, true);
            }
            Phase::Command { .. }
            | Phase::Download { .. }
            | Phase::Verdict { .. }
            | Phase::Quiet { .. } => {}
        }
        true
    }

    /// `n` bytes of the last [`Action::Transmit`] were written (0 for none).
    pub fn transmitted(&mut self, now: Instant, n: usize) {
        if n == 0 {
            return;
        }
        let done = match &mut self.out {
            Out::None => return,
            Out::Command { command, at } => {
                *at = (*at + n).min(command.len());
                *at == command.len()
            }
            Out::Fixed { len, at, .. } => {
                *at = (*at as usize + n).min(*len as usize) as u8;
                at == len
            }
            Out::Upload => {
                let end = (self.upload_at + n).min(self.upload_len);
                let (dle, etx) = (self.config.specials.dle(), self.config.specials.etx());
                // A payload byte is one outside a pair, or a pair's second half; a lone ETX
                // is the terminator.
                let mut payload = 0;
                for &b in &self.upload[self.upload_at..end] {
                    let opened = self.pair_open;
                    self.pair_open = !opened && b == dle;
                    payload += u64::from(opened || (b != dle && b != etx));
                }
                if let State::Busy(op) = &mut self.state {
                    if end > self.upload_at && matches!(op.phase, Phase::Upload { .. }) {
                        op.wrote = true;
                    }
                    if payload > 0 {
                        op.sent += payload;
                        let sent = op.sent;
                        self.push(Pending::Progress(sent));
                    }
                }
                self.upload_at = end;
                end == self.upload_len
            }
        };
        if done {
            let out = core::mem::replace(&mut self.out, Out::None);
            self.timers.stop(Timer::Write);
            self.written(now, out);
        } else {
            self.timers.set(Timer::Write, now + self.config.write_timeout);
        }
    }

    /// `n` bytes were read into the buffer of [`Action::Read`] or [`Action::Peek`].
    pub fn received(&mut self, n: usize) {
        self.input_len = (self.input_len + n).min(PORT);
        match &mut self.state {
            State::Busy(Op {
                phase:
                    Phase::Command { sent: false, clear, .. }
                    | Phase::Resync { step: Recovery::Probe { sent: false, clear, .. }, .. },
                ..
            }) if n == 0 => {
                *clear = true;
            }
            // A peek between reading a piece of the upload and sending it is repeated until
            // the port has nothing: a cut split over several reads is heard whole.
            State::Busy(Op {
                phase: Phase::Upload { source: source @ Source::Open { peeked: true }, .. },
                ..
            }) if n > 0 && self.stage_at < self.stage_len => {
                self.peeked += n;
                if self.peeked < MAX_PEEKED {
                    *source = Source::Open { peeked: false };
                }
            }
            _ => {}
        }
    }

    /// `n` bytes were put in the buffer of [`Action::Upload`]; 0 is the end of the file.
    pub fn uploaded(&mut self, n: usize) {
        let State::Busy(op) = &mut self.state else { return };
        let Phase::Upload { source, .. } = &mut op.phase else { return };
        if op.failure.is_some() {
            return;
        }
        if n == 0 {
            *source = Source::Ended;
            return;
        }
        *source = Source::Open { peeked: false };
        self.stage_at = 0;
        self.stage_len = n.min(CHUNK);
        self.peeked = 0;
        op.bytes += self.stage_len as u64;
    }

    /// What to do next. `now` is the time of the call, from the adapter's clock; a deadline
    /// that passed fires here.
    pub fn poll(&mut self, now: Instant) -> Action<'_> {
        loop {
            if let Some(timer) = self.timers.expire(now) {
                self.fire(now, timer);
                continue;
            }
            // Notices first: an event describes what led to the bytes that follow it.
            if let Some(pending) = self.take_event() {
                return self.event(pending);
            }
            if self.out != Out::None {
                return Action::Transmit(self.transmit());
            }
            match &self.state {
                State::Idle => return Action::Idle,
                State::Ended(_) => {
                    let State::Ended(result) = core::mem::replace(&mut self.state, State::Idle)
                    else {
                        continue;
                    };
                    let result = result.map(|end| match end {
                        End::Transferred(bytes) => Outcome::Transferred { bytes },
                        End::LinkUp(address) => Outcome::LinkUp { address },
                        End::LinkDown => Outcome::LinkDown,
                        End::Param(param, len) => {
                            Outcome::Param { param, value: &self.chunk[..len] }
                        }
                        End::Resynced => Outcome::Resynced,
                    });
                    trace::end(&result);
                    return Action::Done(result);
                }
                State::Busy(_) => {}
            }
            if self.input_at < self.input_len && self.feed(now) > 0 {
                continue;
            }
            match self.next(now) {
                Next::Again => continue,
                Next::Peek => return Action::Peek(self.free_input()),
                Next::Upload => return Action::Upload(&mut self.chunk[..]),
                Next::Read => {
                    let deadline = self.timers.next().unwrap_or(now + self.config.command_timeout);
                    return Action::Read { buf: self.free_input(), deadline };
                }
            }
        }
    }

    // ----- the operation's life ------------------------------------------------------------

    fn idle(&self) -> Result<(), StartError> {
        if self.is_busy() { Err(StartError::Busy) } else { Ok(()) }
    }

    /// Starts the operation whose script was just built.
    fn start(&mut self, now: Instant, kind: Kind) {
        self.timers = Timers::NONE;
        self.out = Out::None;
        self.reset_upload();
        let phase = match self.sync {
            Sync::Lost(suspect) if kind == Kind::Resync || self.is_line_lost() => {
                self.resync_phase(now, suspect)
            }
            _ => Phase::Command {
                command: Command::NONE,
                sent: false,
                stale: false,
                clear: false,
                value: None,
                overlong: false,
            },
        };
        self.state = State::Busy(Op {
            kind,
            next: 0,
            phase,
            failure: None,
            bytes: 0,
            wrote: false,
            sent: 0,
            address: None,
        });
        if let State::Busy(op) = &self.state
            && matches!(op.phase, Phase::Command { .. })
        {
            self.next_command(now);
        }
    }

    /// The first step of a resynchronisation: drain.
    fn resync_phase(&mut self, now: Instant, suspect: Suspect) -> Phase {
        self.start_quiet(now);
        Phase::Resync {
            suspect,
            step: Recovery::Drain { bytes: 0, busy: false },
            probes: 0,
            upload_ended: !matches!(suspect, Suspect::Anything | Suspect::Upload { .. }),
        }
    }

    fn start_quiet(&mut self, now: Instant) {
        self.timers.set(Timer::Quiet, now + self.config.quiet_time);
        self.timers.set(Timer::QuietCap, now + self.config.quiet_cap);
    }

    /// Any input during a quiet wait restarts it, though never past its cap.
    fn stay_quiet(&mut self, now: Instant) {
        if self.timers.get(Timer::Quiet).is_some() {
            let again = now + self.config.quiet_time;
            let cap = self.timers.get(Timer::QuietCap).unwrap_or(again);
            self.timers.set(Timer::Quiet, again.min(cap));
            if let State::Busy(Op {
                phase: Phase::Resync { step: Recovery::Drain { busy, .. }, .. },
                ..
            }) = &mut self.state
            {
                *busy = again >= cap;
            }
        }
    }

    /// Queues the script's next command, or ends the operation when there is none.
    fn next_command(&mut self, now: Instant) {
        let State::Busy(op) = &mut self.state else { return };
        self.timers.stop_phase();
        if op.failure.is_some() {
            let failure = op.failure;
            self.end(Err(failure.unwrap_or(Error::Aborted)));
            return;
        }
        let Some(command) = self.script.command(op.next) else {
            let end = match op.kind {
                Kind::Resync => Ok(End::Resynced),
                // Every other script ends on a command whose answer ends the operation.
                _ => Err(Error::Protocol(ProtocolError::UnexpectedResult)),
            };
            self.end(end);
            return;
        };
        op.next += 1;
        op.phase = Phase::Command {
            command,
            sent: false,
            stale: false,
            clear: false,
            value: None,
            overlong: false,
        };
        // The port is peeked until it has nothing before the command goes out; a port that
        // never falls silent fails the command within its own deadline.
        self.timers.set(Timer::Command, now + self.config.command_timeout);
    }

    /// Ends the operation; the line is in command mode unless `lost` is set.
    fn end(&mut self, result: Result<End, Error>) {
        self.end_with(result, None);
    }

    fn end_lost(&mut self, error: Error, suspect: Suspect) {
        self.end_with(Err(error), Some(suspect));
    }

    fn end_with(&mut self, result: Result<End, Error>, lost: Option<Suspect>) {
        let failure = match &self.state {
            State::Busy(op) => op.failure,
            _ => None,
        };
        // The first failure decided is the one reported.
        let result = match (failure, result) {
            (Some(failure), _) => Err(failure),
            (None, result) => result,
        };
        self.sync = match lost {
            Some(suspect) => Sync::Lost(suspect),
            None => Sync::InCommandMode,
        };
        self.timers = Timers::NONE;
        self.out = Out::None;
        self.reset_upload();
        self.state = State::Ended(result);
    }

    fn fail(&mut self, error: Error) {
        if let State::Busy(op) = &mut self.state {
            op.failure.get_or_insert(error);
        }
    }

    fn reset_upload(&mut self) {
        self.upload_at = 0;
        self.upload_len = 0;
        self.pair_open = false;
        self.stage_at = 0;
        self.stage_len = 0;
    }

    // ----- output ---------------------------------------------------------------------------

    /// No byte of the transmit in flight was written.
    fn out_untouched(&self) -> bool {
        match self.out {
            Out::None => true,
            Out::Command { at, .. } => at == 0,
            Out::Fixed { at, .. } => at == 0,
            Out::Upload => false,
        }
    }

    fn transmit(&self) -> Transmit<'_> {
        let deadline = self.timers.get(Timer::Write).unwrap_or(Instant::ZERO);
        let empty = Transmit { bytes: &[], secret: None, command: true, deadline };
        match (&self.out, &self.state) {
            (Out::Command { command, at }, State::Busy(_)) => {
                let bytes = self.script.bytes(*command);
                let secret = self
                    .script
                    .secret_in(*command)
                    .filter(|&(_, end)| end > *at)
                    .map(|(start, end)| (start.saturating_sub(*at), end - at));
                Transmit { bytes: bytes.get(*at..).unwrap_or_default(), secret, ..empty }
            }
            (Out::Fixed { buf, len, at }, _) => {
                Transmit { bytes: &buf[usize::from(*at)..usize::from(*len)], ..empty }
            }
            (Out::Upload, _) => Transmit {
                bytes: &self.upload[self.upload_at..self.upload_len],
                command: false,
                ..empty
            },
            _ => empty,
        }
    }

    /// Hands out `out`, with the write timer running.
    fn send(&mut self, now: Instant, out: Out) {
        self.out = out;
        self.timers.set(Timer::Write, now + self.config.write_timeout);
    }

    fn send_fixed(&mut self, now: Instant, bytes: &[u8]) {
        let mut buf = [0; 3];
        let len = bytes.len().min(3);
        buf[..len].copy_from_slice(&bytes[..len]);
        self.send(now, Out::Fixed { buf, len: len as u8, at: 0 });
    }

    /// The transmit `out` was written whole.
    fn written(&mut self, now: Instant, out: Out) {
        let stale = self.framer.is_mid_line();
        let config = self.config;
        let State::Busy(op) = &mut self.state else { return };
        match (&mut op.phase, out) {
            (Phase::Command { command, sent, stale: s, .. }, Out::Command { .. }) => {
                *sent = true;
                *s = stale;
                self.timers.stop(Timer::Command);
                self.timers.set(command.step.timer(), now + config.timeout(command.step.timer()));
            }
            (Phase::Resync { step, .. }, Out::Fixed { .. }) => match step {
                Recovery::EndUpload => {
                    *step = Recovery::Drain { bytes: 0, busy: false };
                    self.start_quiet(now);
                }
                Recovery::Probe { sent, stale: s, .. } => {
                    *sent = true;
                    *s = stale;
                    self.timers.set(Timer::Command, now + config.command_timeout);
                }
                Recovery::Drain { .. } => {}
            },
            (Phase::Verdict { terminated, .. }, Out::Upload) if self.upload_len > 0 => {
                // The whole upload, terminator included, is written: the verdict's clock
                // starts now, not when the terminator was queued.
                if !*terminated && self.upload_at == self.upload_len {
                    *terminated = true;
                    self.timers.set(Timer::Result, now + config.result_timeout);
                }
                self.upload_at = 0;
                self.upload_len = 0;
            }
            (Phase::Upload { .. }, Out::Upload) => {
                self.upload_at = 0;
                self.upload_len = 0;
            }
            (Phase::Quiet { .. }, Out::Fixed { .. }) => self.start_quiet(now),
            _ => {}
        }
    }

    // ----- notices --------------------------------------------------------------------------

    fn push(&mut self, pending: Pending) {
        // Input is taken only when no notice waits, and no step queues more than
        // `MAX_EVENTS`, so there is always room; were there not, dropping the newest notice
        // is the bounded choice.
        if let Some(slot) = self.events.get_mut(self.event_count) {
            *slot = Some(pending);
            self.event_count += 1;
        }
    }

    fn take_event(&mut self) -> Option<Pending> {
        let pending = self.events[0]?;
        // A copy, not `rotate_left`: on a microcontroller that is a `memmove`, 1.6 KB of flash.
        let [_, b, c, d] = self.events;
        self.events = [b, c, d, None];
        self.event_count -= 1;
        Some(pending)
    }

    fn event(&self, pending: Pending) -> Action<'_> {
        let event = match pending {
            Pending::Payload(len) => return Action::Payload(&self.chunk[..len]),
            Pending::DataBegin => Event::DataBegin,
            Pending::ReadyForData => Event::ReadyForData,
            Pending::Progress(bytes) => Event::Progress(bytes),
            Pending::Set(setting) => Event::Set(setting),
            Pending::Unsolicited => Event::Unsolicited(self.framer.line()),
            Pending::LineTooLong => Event::LineTooLong,
            Pending::Resync(step) => Event::Resync(step),
        };
        let secret = match &self.state {
            State::Busy(_) => self.script.secret(),
            State::Idle | State::Ended(_) => &[],
        };
        trace::event(&event, secret);
        Action::Event(event)
    }

    // ----- input ----------------------------------------------------------------------------

    /// The room behind the input not yet taken (moved to the front).
    fn free_input(&mut self) -> &mut [u8] {
        // In pieces that do not overlap, each as long as the gap: `copy_within` is a
        // `memmove`, 1.6 KB of flash on a microcontroller, for bytes that rarely wait here.
        let gap = self.input_at;
        let mut from = self.input_at;
        while gap > 0 && from < self.input_len {
            let n = (self.input_len - from).min(gap);
            let (head, tail) = self.input.split_at_mut(from);
            head[from - gap..from - gap + n].copy_from_slice(&tail[..n]);
            from += n;
        }
        self.input_len -= self.input_at;
        self.input_at = 0;
        &mut self.input[self.input_len..]
    }

    /// Hands the input not yet taken to the phase; returns how much it took.
    fn feed(&mut self, now: Instant) -> usize {
        /// Which handler takes the input.
        enum How {
            Download,
            Scan(EtxScan),
            Lines,
        }
        let State::Busy(op) = &self.state else { return 0 };
        let how = match &op.phase {
            Phase::Download { .. } => How::Download,
            Phase::Upload { scan, .. } | Phase::Verdict { scan: Some(scan), etx: false, .. } => {
                How::Scan(*scan)
            }
            _ => How::Lines,
        };
        let draining = matches!(op.phase, Phase::Resync { step: Recovery::Drain { .. }, .. });
        let probing =
            matches!(op.phase, Phase::Resync { step: Recovery::Probe { sent: true, .. }, .. });
        let (at, len) = (self.input_at, self.input_len);
        let used = match how {
            How::Download => self.download(now),
            // Only the bytes before the modem's own terminator are lines; the terminator
            // itself switches the phase, or ends the data a drain found.
            How::Scan(mut scan) => match scan.find(&self.input[at..len], self.config.specials) {
                Some(0) => {
                    self.modem_etx(now);
                    1
                }
                Some(n) => {
                    let used = self.lines(now, at + n);
                    self.advance_scan(at, used);
                    used
                }
                None => {
                    let used = self.lines(now, len);
                    self.advance_scan(at, used);
                    used
                }
            },
            How::Lines => self.lines(now, len),
        };
        self.input_at += used;
        if used > 0 {
            self.stay_quiet(now);
            // Counted only when the step was there before them: not the line that started a
            // drain, nor the one that answered a probe and ended it.
            if let State::Busy(Op { phase: Phase::Resync { step, .. }, .. }) = &mut self.state {
                match step {
                    Recovery::Drain { bytes, .. } if draining => *bytes += used as u64,
                    Recovery::Probe { heard, .. } if probing => *heard += used,
                    _ => {}
                }
            }
        }
        used
    }

    /// Moves the terminator scan of an upload phase over `input[at..at + used]`.
    fn advance_scan(&mut self, at: usize, used: usize) {
        let specials = self.config.specials;
        let State::Busy(op) = &mut self.state else { return };
        if let Phase::Upload { scan, .. } | Phase::Verdict { scan: Some(scan), .. } = &mut op.phase
        {
            let _ = scan.find(&self.input[at..at + used], specials);
        }
    }

    /// The modem's own lone terminator, in an upload phase: it ended the upload (ours, or
    /// early). Nothing more of the file is sent.
    fn modem_etx(&mut self, now: Instant) {
        self.framer.clear();
        let result_timeout = self.config.result_timeout;
        let State::Busy(op) = &mut self.state else { return };
        match &mut op.phase {
            Phase::Upload { .. } => {
                // The modem is back in command mode before our terminator: drop what is not
                // yet written, wait for its verdict, then for quiet (what went out after its
                // ETX reaches it as command lines).
                op.phase = Phase::Verdict {
                    upload: true,
                    scan: None,
                    terminated: true,
                    etx: true,
                    cut: true,
                    candidate: None,
                };
                if self.out == Out::Upload {
                    self.out = Out::None;
                    self.timers.stop(Timer::Write);
                }
                self.reset_upload();
                self.timers.stop_phase();
                self.timers.set(Timer::Result, now + result_timeout);
            }
            Phase::Verdict { scan, etx, candidate, .. } => {
                *scan = None;
                *etx = true;
                *candidate = None;
                self.timers.stop(Timer::Quiet);
                self.timers.stop(Timer::QuietCap);
            }
            _ => {}
        }
    }

    /// Frames one line out of `input[input_at..end]` and hands it to the phase.
    fn lines(&mut self, now: Instant, end: usize) -> usize {
        let (used, frame) = self.framer.push(&self.input[self.input_at..end]);
        match frame {
            None => {}
            Some(Frame::TooLong) => {
                let report = match &mut self.state {
                    State::Busy(Op { phase: Phase::Command { overlong, sent, .. }, .. }) => {
                        if *sent {
                            *overlong = true;
                        }
                        true
                    }
                    State::Busy(Op {
                        phase: Phase::Resync { .. } | Phase::Quiet { .. }, ..
                    }) => false,
                    _ => true,
                };
                if report {
                    self.push(Pending::LineTooLong);
                }
            }
            Some(Frame::Line { cr }) => self.line(now, cr),
        }
        used
    }

    /// One framed line, in `self.framer.line()`, for the phase in flight.
    fn line(&mut self, now: Instant, cr: bool) {
        /// Who takes the line.
        enum To {
            Resync,
            Early,
            Stale,
            Answer,
            Verdict,
            Upload,
        }
        let State::Busy(op) = &mut self.state else { return };
        let (reading, to) = match &mut op.phase {
            Phase::Resync { .. } => (None, To::Resync),
            Phase::Command { sent: false, .. } => (None, To::Early),
            Phase::Command { stale: stale @ true, .. } => {
                // The line begun before the command was written ends here, whatever it is
                // (an echo included): the next one may be the answer.
                *stale = false;
                (None, To::Stale)
            }
            Phase::Command { command, .. } => match command.step {
                Step::Read(p) => (Some(p), To::Answer),
                _ => (None, To::Answer),
            },
            Phase::Verdict { .. } => (None, To::Verdict),
            Phase::Upload { .. } => (None, To::Upload),
            // Answers to upload bytes the modem took for commands are dropped; download
            // data is never framed.
            Phase::Quiet { .. } | Phase::Download { .. } => return,
        };
        let reply = match classify(self.framer.line(), reading) {
            Reply::Echo => return,
            Reply::Value(v) => {
                // Kept in the payload buffer (a parameter read has no payload) until `Done`.
                let len = v.len().min(self.chunk.len());
                self.chunk[..len].copy_from_slice(&v[..len]);
                if let Phase::Command { value, .. } = &mut op.phase {
                    *value = Some(len);
                }
                return;
            }
            other => other.detach(),
        };
        match to {
            To::Resync => self.resync_line(now, reply),
            To::Early => match reply {
                // The command is not written yet: whatever this line is, it does not answer
                // it. A data phase, though, means the modem left command mode by itself:
                // bring it back before the command.
                Reply::DataBegin { .. } | Reply::WaitingForData => {
                    let suspect = match reply {
                        Reply::DataBegin { .. } => Suspect::Download,
                        _ => Suspect::Upload { dangling: false },
                    };
                    let phase = self.resync_phase(now, suspect);
                    if let State::Busy(op) = &mut self.state {
                        op.next = op.next.saturating_sub(1);
                        op.phase = phase;
                    }
                }
                _ => self.push(Pending::Unsolicited),
            },
            To::Stale => match reply {
                // Not the answer, but the modem is in a data phase now, whatever it answers:
                // it is drained or ended as an answer's would be, before the failure.
                Reply::DataBegin { .. } | Reply::WaitingForData => self.answer(now, reply, cr),
                _ => self.push(Pending::Unsolicited),
            },
            To::Answer => self.answer(now, reply, cr),
            To::Verdict => self.verdict(now, reply, cr),
            To::Upload => match reply {
                Reply::Ok | Reply::Failure(_) => {
                    // The modem ended the upload before the host did (without the ETX that
                    // would say so first): the file is not what the caller meant to send.
                    let error = match reply {
                        Reply::Failure(e) => Error::Modem(e),
                        _ => Error::Protocol(ProtocolError::UnexpectedResult),
                    };
                    self.upload_cut(now, error);
                }
                _ => self.push(Pending::Unsolicited),
            },
        }
    }

    /// The answer to a command that was written.
    fn answer(&mut self, now: Instant, reply: Reply<'static>, cr: bool) {
        let State::Busy(op) = &mut self.state else { return };
        let Phase::Command { command, value, overlong, .. } = &op.phase else { return };
        let (step, value, overlong, address) = (command.step, *value, *overlong, op.address);
        match (reply, step) {
            (Reply::Ok, Step::Set(setting)) => {
                if let Some(setting) = setting {
                    self.push(Pending::Set(setting));
                }
                self.next_command(now);
            }
            (Reply::Ok, Step::Read(param)) => {
                let end = match (value, overlong) {
                    (Some(len), _) => Ok(End::Param(param, len)),
                    (None, true) => Err(Error::LineTooLong),
                    (None, false) => Err(Error::Protocol(ProtocolError::MissingValue)),
                };
                self.end(end);
            }
            (Reply::Address(a), Step::Connect) => op.address = Some(a),
            (Reply::Ok | Reply::LinkUp, Step::Connect) => self.end(Ok(End::LinkUp(address))),
            // The link is up already (PROTOCOL.md section 3).
            (Reply::Failure(ModemError::Cme(35840)), Step::Connect) => {
                self.end(Ok(End::LinkUp(None)));
            }
            (Reply::Ok, Step::Disconnect) => self.end(Ok(End::LinkDown)),
            (Reply::Failure(e), _) => self.end(Err(Error::Modem(e))),
            (Reply::Ok, Step::Get | Step::Put) => {
                // A final result that cannot answer this command: the exchange is out of
                // step, and the transfer command may still be running (its data phase may
                // follow): the next operation resynchronises first.
                self.end_lost(
                    Error::Protocol(ProtocolError::UnexpectedResult),
                    suspect_after(step),
                );
            }
            (Reply::DataBegin { numeric }, _) => {
                if step != Step::Get {
                    self.fail(Error::Protocol(ProtocolError::UnexpectedResult));
                }
                self.enter_download(now, cr && !numeric);
            }
            (Reply::WaitingForData, _) => {
                if step != Step::Put {
                    self.fail(Error::Protocol(ProtocolError::UnexpectedResult));
                }
                self.enter_upload(now);
            }
            _ => self.push(Pending::Unsolicited),
        }
    }

    /// The one way into download data mode: a fresh decoder, in the configured mode unless
    /// the data is only drained (then lenient: nothing of it is judged).
    fn enter_download(&mut self, now: Instant, skip_lf: bool) {
        let (specials, strictness, data_timeout) =
            (self.config.specials, self.config.strictness, self.config.data_timeout);
        let State::Busy(op) = &mut self.state else { return };
        let wanted = op.failure.is_none();
        let mode = if wanted { strictness } else { Strictness::Lenient };
        op.phase = Phase::Download { decoder: Unescaper::with(specials, mode), skip_lf };
        self.framer.forget_cr();
        self.timers.stop_phase();
        self.timers.set(Timer::Data, now + data_timeout);
        if wanted {
            self.push(Pending::DataBegin);
        }
    }

    /// The one way into upload data mode. An upload nobody asked for (or aborted before the
    /// modem was ready) is ended at once with a lone terminator: not one byte of ours lands
    /// in that file.
    fn enter_upload(&mut self, now: Instant) {
        let specials = self.config.specials;
        let State::Busy(op) = &mut self.state else { return };
        let wanted = op.failure.is_none();
        op.phase = Phase::Upload {
            escaper: Escaper::with(specials),
            source: if wanted { Source::Open { peeked: false } } else { Source::Ended },
            scan: EtxScan::default(),
        };
        self.timers.stop_phase();
        self.reset_upload();
        if wanted {
            self.push(Pending::ReadyForData);
        } else {
            self.terminate(now, true);
        }
    }

    /// Queues the upload's end and waits for the verdict (its clock starts when the end is
    /// written). `cut` (an abort): upload bytes not yet written are dropped, all but the
    /// second half of a pair whose DLE went out, so that the server keeps a prefix of the file
    /// and never a byte we did not mean.
    fn terminate(&mut self, now: Instant, cut: bool) {
        let etx = self.config.specials.etx();
        let State::Busy(op) = &mut self.state else { return };
        let Phase::Upload { escaper, scan, .. } = &mut op.phase else { return };
        let scan = *scan;
        if self.upload_at < self.upload_len {
            // Data goes out with the terminator.
            op.wrote = true;
        }
        if cut && self.upload_at < self.upload_len {
            // The pair's second half, when its DLE went out, is the next byte in the buffer.
            self.upload_len = self.upload_at + usize::from(self.pair_open);
            self.upload[self.upload_len] = etx;
            self.upload_len += 1;
        } else {
            if self.upload_at == self.upload_len {
                self.upload_at = 0;
                self.upload_len = 0;
            }
            // The escaper completes a pair it split over a full buffer, then ends; the
            // buffer keeps room for both.
            let p = escaper.finish(&mut self.upload[self.upload_len..]);
            self.upload_len += p.written;
        }
        op.phase = Phase::Verdict {
            upload: true,
            scan: Some(scan),
            terminated: false,
            etx: false,
            cut: false,
            candidate: None,
        };
        self.timers.stop_phase();
        self.stage_at = self.stage_len;
        self.send(now, Out::Upload);
    }

    /// The modem failed the upload while the host was still sending (a failure line without
    /// its ETX first), or after it: send no more, and wait for the line to be quiet, since
    /// what was sent may reach the modem as command lines and draw answers.
    fn upload_cut(&mut self, now: Instant, error: Error) {
        self.fail(error);
        if self.out == Out::Upload {
            self.out = Out::None;
            self.timers.stop(Timer::Write);
        }
        self.reset_upload();
        let State::Busy(op) = &mut self.state else { return };
        if !op.wrote {
            // Nothing of ours can be on its way: the modem is in command mode, and done.
            self.end(Err(error));
            return;
        }
        op.phase = Phase::Quiet { cleared: false };
        self.timers.stop_phase();
        self.start_quiet(now);
    }

    /// A line while the verdict is awaited.
    fn verdict(&mut self, now: Instant, reply: Reply<'static>, cr: bool) {
        let State::Busy(op) = &mut self.state else { return };
        let Phase::Verdict { upload, etx, cut, candidate, .. } = &mut op.phase else { return };
        let (upload, etx, cut) = (*upload, *etx, *cut);
        match reply {
            Reply::Ok | Reply::Failure(_) if upload && !etx => {
                // Maybe a line of our own payload, echoed: believed only if the modem's ETX
                // does not follow within the quiet time.
                *candidate = Some(reply);
                self.start_quiet(now);
            }
            Reply::Ok | Reply::Failure(_) => self.decide(now, reply, upload, cut),
            Reply::DataBegin { numeric } => {
                // A data phase nobody asked for: drained to its end as data.
                self.fail(Error::Protocol(ProtocolError::UnexpectedResult));
                self.enter_download(now, cr && !numeric);
            }
            Reply::WaitingForData => {
                self.fail(Error::Protocol(ProtocolError::UnexpectedResult));
                self.enter_upload(now);
            }
            // Before the modem's ETX, a line may be our own payload, echoed: never reported.
            _ if upload && !etx => {}
            _ => self.push(Pending::Unsolicited),
        }
    }

    /// The verdict of a transfer. A failed upload waits for quiet before it ends: bytes it
    /// sent may still reach the modem as command lines.
    fn decide(&mut self, now: Instant, reply: Reply<'static>, upload: bool, cut: bool) {
        let State::Busy(op) = &mut self.state else { return };
        let (bytes, wrote) = (op.bytes, op.wrote);
        let failed = op.failure.is_some();
        match reply {
            Reply::Ok if !cut => self.end(Ok(End::Transferred(bytes))),
            // Nothing of ours can be on its way: the modem is in command mode, and done.
            Reply::Failure(e) if !upload || !wrote => self.end(Err(Error::Modem(e))),
            Reply::Ok if !wrote => self.end(Err(Error::Protocol(ProtocolError::UnexpectedResult))),
            // Aborted, and the modem confirmed the end: nothing more is in flight.
            Reply::Ok if failed => self.end(Ok(End::Transferred(bytes))),
            _ => {
                let error = match reply {
                    Reply::Failure(e) => Error::Modem(e),
                    _ => Error::Protocol(ProtocolError::UnexpectedResult),
                };
                self.upload_cut(now, error);
            }
        }
    }

    /// Download data: decoded into the payload buffer.
    fn download(&mut self, now: Instant) -> usize {
        let (specials, data_timeout, result_timeout) =
            (self.config.specials, self.config.data_timeout, self.config.result_timeout);
        let State::Busy(op) = &mut self.state else { return 0 };
        let Phase::Download { decoder, skip_lf } = &mut op.phase else { return 0 };
        let input = &self.input[self.input_at..self.input_len];
        self.timers.set(Timer::Data, now + data_timeout);
        if core::mem::take(skip_lf) && input.first() == Some(&b'\n') {
            return 1;
        }
        let (mut p, invalid) = match decoder.unescape(input, &mut self.chunk) {
            Ok(p) => (p, None),
            // What came before the bad pair is delivered all the same.
            Err(e) => (e.progress, Some(e)),
        };
        if invalid.is_some() {
            // Read the rest of the data through to its end without judging it.
            *decoder = Unescaper::with(specials, Strictness::Lenient);
            if p.consumed == 0 {
                // The bad pair's DLE came in an earlier read, so nothing was taken: drain on
                // now (delivering nothing), or the rest would wait for more input.
                let q = decoder.unescape(input, &mut self.chunk).unwrap_or_else(|e| e.progress);
                p = crate::codec::Progress { consumed: q.consumed, written: 0, end: q.end };
            }
        }
        let deliver = op.failure.is_none() && p.written > 0;
        if deliver {
            op.bytes += p.written as u64;
        }
        let bytes = op.bytes;
        if p.end {
            op.phase = Phase::Verdict {
                upload: false,
                scan: None,
                terminated: true,
                etx: true,
                cut: false,
                candidate: None,
            };
            self.timers.stop_phase();
            self.timers.set(Timer::Result, now + result_timeout);
        }
        if deliver {
            self.push(Pending::Payload(p.written));
            self.push(Pending::Progress(bytes));
        }
        if let Some(e) = invalid {
            let error = ProtocolError::InvalidEscape { offset: e.offset, byte: e.byte };
            self.fail(Error::Protocol(error));
        }
        p.consumed
    }

    /// A line during a resynchronisation.
    fn resync_line(&mut self, now: Instant, reply: Reply<'static>) {
        let probes_max = self.config.resync_probes;
        let State::Busy(op) = &mut self.state else { return };
        let Phase::Resync { step, probes, .. } = &mut op.phase else { return };
        let probes = *probes;
        // A drain that starts again keeps its count: it is one drain, reported once.
        let drained = match step {
            Recovery::Drain { bytes, .. } => *bytes,
            _ => 0,
        };
        match (step, reply) {
            (_, Reply::DataBegin { .. }) => {
                // A download starts (a late answer to the last process's `AT#FTPGET`, or to
                // a probe): it is drained to its terminator, however long it takes; no
                // terminator of ours is due.
                if let Phase::Resync { suspect, step, upload_ended, .. } = &mut op.phase {
                    *step = Recovery::Drain { bytes: drained, busy: false };
                    *suspect = Suspect::Download;
                    *upload_ended = true;
                }
                self.timers.stop_phase();
                self.start_quiet(now);
            }
            (_, Reply::WaitingForData) => {
                // An upload phase opens: once the line is quiet it gets its lone terminator
                // (nothing of ours was sent into it), before any probe.
                if let Phase::Resync { suspect, step, upload_ended, .. } = &mut op.phase {
                    *step = Recovery::Drain { bytes: drained, busy: false };
                    *suspect = Suspect::Upload { dangling: false };
                    *upload_ended = false;
                }
                self.timers.stop_phase();
                self.start_quiet(now);
            }
            (Recovery::Drain { .. }, _) => {}
            (Recovery::Probe { sent: true, stale: stale @ true, .. }, _) => {
                // A line begun before the probe (a half line a drain left behind) ends here:
                // never the probe's answer.
                *stale = false;
            }
            (Recovery::Probe { sent: true, ok, .. }, _) => match reply {
                Reply::Ok if !*ok => {
                    // Command mode, if the line now stays quiet: a second answer would mean
                    // this `OK` belonged to something else.
                    *ok = true;
                    self.timers.stop(Timer::Command);
                    self.start_quiet(now);
                }
                // An answer to a half line left in the modem, a late result, or a second
                // `OK`: probe again.
                Reply::Ok | Reply::Failure(_) => self.probe_again(now, probes, probes_max),
                _ => {
                    if *ok {
                        self.probe_again(now, probes, probes_max);
                    }
                }
            },
            (Recovery::Probe { sent: false, .. } | Recovery::EndUpload, _) => {}
        }
    }

    fn probe_again(&mut self, now: Instant, probes: u8, max: u8) {
        if probes >= max {
            self.end_lost(Error::Unsynchronised, Suspect::Anything);
        } else {
            self.probe(now);
        }
    }

    /// Sends the next `AT` probe.
    fn probe(&mut self, now: Instant) {
        let State::Busy(op) = &mut self.state else { return };
        let Phase::Resync { step, probes, .. } = &mut op.phase else { return };
        *probes += 1;
        let count = *probes;
        *step = Recovery::Probe { sent: false, clear: false, ok: false, heard: 0, stale: false };
        self.timers.stop_phase();
        // It bounds the peeks before the write too, as a command's does.
        self.timers.set(Timer::Command, now + self.config.command_timeout);
        self.push(Pending::Resync(Resync::Probed { count }));
    }

    /// A deadline passed.
    fn fire(&mut self, now: Instant, timer: Timer) {
        /// What the phase does about it.
        enum Then {
            Lost(Error, Suspect),
            Resync,
            Candidate,
            Quiet(bool),
            Nothing,
        }
        let State::Busy(op) = &self.state else { return };
        let quiet = matches!(timer, Timer::Quiet | Timer::QuietCap);
        let then = match &op.phase {
            // The port took nothing for the write timeout: whatever it holds, the modem's
            // state is unknown.
            Phase::Upload { .. } | Phase::Verdict { terminated: false, .. }
                if timer == Timer::Write =>
            {
                Then::Lost(Error::Timeout(timer), Suspect::Upload { dangling: self.pair_open })
            }
            // The port took nothing of the resync's terminators or probe: what it holds may
            // still reach the modem, and what the resync suspected stays suspected.
            Phase::Resync { suspect, step, .. } if timer == Timer::Write => {
                Then::Lost(Error::Timeout(timer), cut_resync(*suspect, step, self.out_untouched()))
            }
            _ if timer == Timer::Write => Then::Lost(Error::Timeout(timer), Suspect::Anything),
            Phase::Resync { .. } => Then::Resync,
            // A transfer command sent and not answered may still open its data phase.
            Phase::Command { command, sent: true, .. } => {
                Then::Lost(Error::Timeout(timer), suspect_after(command.step))
            }
            Phase::Command { .. } => Then::Lost(Error::Timeout(timer), Suspect::Anything),
            Phase::Download { .. } => Then::Lost(Error::Timeout(Timer::Data), Suspect::Download),
            Phase::Upload { .. } => Then::Nothing,
            Phase::Verdict { candidate: Some(_), .. } if quiet => Then::Candidate,
            Phase::Verdict { .. } if quiet => Then::Nothing,
            // No verdict: the modem may not have taken our terminator (a byte lost on the
            // line), and waits for data still.
            Phase::Verdict { upload: true, .. } => {
                Then::Lost(Error::Timeout(Timer::Result), Suspect::Upload { dangling: false })
            }
            Phase::Verdict { .. } => Then::Lost(Error::Timeout(Timer::Result), Suspect::Anything),
            Phase::Quiet { cleared } if quiet => Then::Quiet(*cleared),
            Phase::Quiet { .. } => Then::Nothing,
        };
        match then {
            Then::Lost(error, suspect) => self.end_lost(error, suspect),
            Then::Resync => self.resync_timer(now, timer),
            Then::Candidate => {
                // No ETX from the modem after a final result: a modem that does not echo the
                // terminator. Believe it.
                let reply = match &mut self.state {
                    State::Busy(Op { phase: Phase::Verdict { candidate, .. }, .. }) => {
                        candidate.take()
                    }
                    _ => None,
                };
                self.timers.stop(Timer::Quiet);
                self.timers.stop(Timer::QuietCap);
                if let Some(reply) = reply {
                    self.decide(now, reply, true, false);
                }
            }
            Then::Quiet(true) => {
                let failure = match &self.state {
                    State::Busy(op) => op.failure,
                    _ => None,
                };
                self.end(Err(failure.unwrap_or(Error::Aborted)));
            }
            Then::Quiet(false) => {
                // End whatever partial line the stray bytes left in the modem.
                if let State::Busy(Op { phase: Phase::Quiet { cleared }, .. }) = &mut self.state {
                    *cleared = true;
                }
                self.timers.stop_phase();
                self.send_fixed(now, b"\r");
            }
            Then::Nothing => {}
        }
    }

    /// A deadline of a resynchronisation.
    fn resync_timer(&mut self, now: Instant, timer: Timer) {
        let (probes_max, etx) = (self.config.resync_probes, self.config.specials.etx());
        let State::Busy(op) = &mut self.state else { return };
        let Phase::Resync { suspect, step, probes, upload_ended, .. } = &mut op.phase else {
            return;
        };
        let (suspect, probes, ended) = (*suspect, *probes, *upload_ended);
        let quiet = matches!(timer, Timer::Quiet | Timer::QuietCap);
        match step {
            _ if timer == Timer::Resync => {
                self.end_lost(Error::Timeout(Timer::Resync), suspect);
            }
            // The quiet wait is never restarted past its cap, so at the cap the quiet timer
            // fires too (first): when input kept restarting it, the line never fell quiet.
            Recovery::Drain { bytes, busy: true }
                if quiet
                    && (suspect == Suspect::Download
                        || (*bytes > 0 && suspect == Suspect::Anything)) =>
            {
                // A download still streaming (data without a pause for the whole cap, and
                // no terminator yet, is one) ends by itself: only its silence counts. It
                // cannot be told to stop, and no upload waits behind it.
                let (quiet_time, data_timeout) = (self.config.quiet_time, self.config.data_timeout);
                self.timers.set(Timer::Quiet, now + quiet_time);
                self.timers.set(Timer::QuietCap, now + data_timeout);
                if let Phase::Resync { suspect, upload_ended, .. } = &mut op.phase {
                    *suspect = Suspect::Download;
                    *upload_ended = true;
                }
                self.bound_download_drain(now);
            }
            Recovery::Drain { bytes, .. } if quiet => {
                let drained = *bytes;
                self.timers.stop_phase();
                self.push(Pending::Resync(Resync::Drained { bytes: drained }));
                if ended {
                    self.probe(now);
                    return;
                }
                // A modem waiting for upload data gets its terminator: after a dangling DLE
                // (or when that cannot be known) a second one, since the first then completes
                // the pair. In command mode both are ignored.
                if let State::Busy(Op { phase: Phase::Resync { step, upload_ended, .. }, .. }) =
                    &mut self.state
                {
                    *step = Recovery::EndUpload;
                    *upload_ended = true;
                }
                if matches!(suspect, Suspect::Upload { dangling: false }) {
                    self.send_fixed(now, &[etx]);
                } else {
                    self.send_fixed(now, &[etx, etx]);
                }
                self.push(Pending::Resync(Resync::EndedUpload));
            }
            Recovery::Probe { ok: true, .. } if quiet => {
                self.timers.stop_phase();
                self.timers.stop(Timer::Resync);
                self.sync = Sync::InCommandMode;
                self.push(Pending::Resync(Resync::InCommandMode));
                self.next_command(now);
            }
            Recovery::Probe { heard, .. }
                if timer == Timer::Command && *heard > self.config.max_line_len =>
            {
                // More than a line came and none answered: a data phase streams (a modem in
                // data mode ignores `AT`). Not a failed probe: the download is drained to
                // its end, then probed again.
                if let Phase::Resync { suspect, step, probes, upload_ended, .. } = &mut op.phase {
                    *suspect = Suspect::Download;
                    *step = Recovery::Drain { bytes: 0, busy: false };
                    *probes = probes.saturating_sub(1);
                    *upload_ended = true;
                }
                self.timers.stop_phase();
                self.start_quiet(now);
                self.bound_download_drain(now);
            }
            Recovery::Probe { .. } if timer == Timer::Command => {
                self.probe_again(now, probes, probes_max);
            }
            _ => {}
        }
    }

    /// A download found still streaming is drained to its end, which the probes' and quiet
    /// waits' deadlines no longer bound: [`Timer::Resync`] does, from the first time.
    fn bound_download_drain(&mut self, now: Instant) {
        if self.timers.get(Timer::Resync).is_none() {
            self.timers.set(Timer::Resync, now + self.config.resync_timeout);
        }
    }

    // ----- what the engine does when input does not drive it ---------------------------------

    fn next(&mut self, now: Instant) -> Next {
        let State::Busy(op) = &mut self.state else { return Next::Read };
        match &mut op.phase {
            Phase::Command { command, sent: false, clear, .. } => {
                if !*clear || self.input_at < self.input_len {
                    // Input that arrived before the command is written is not its answer:
                    // the port is peeked until it has nothing, and all of it is taken first.
                    return Next::Peek;
                }
                let command = *command;
                // From here the write timer bounds the wait, then the answer's own timer.
                self.timers.stop(Timer::Command);
                self.send(now, Out::Command { command, at: 0 });
                Next::Again
            }
            // The same for a probe: an answer already on its way is never the probe's.
            Phase::Resync { step: Recovery::Probe { sent: false, clear, .. }, .. } => {
                if !*clear || self.input_at < self.input_len {
                    return Next::Peek;
                }
                self.send_fixed(now, b"AT\r");
                Next::Again
            }
            Phase::Upload { escaper, source, .. } => {
                if self.stage_at < self.stage_len {
                    if *source == (Source::Open { peeked: false }) {
                        // The port is heard between reading a piece of the file and sending
                        // it: a modem that ended the upload gets no more of it.
                        *source = Source::Open { peeked: true };
                        return Next::Peek;
                    }
                    // Room is kept for the end: an abort can always terminate at once.
                    let room = PORT - TERMINATOR_ROOM;
                    if self.upload_at == self.upload_len {
                        self.upload_at = 0;
                        self.upload_len = 0;
                    }
                    let p = escaper.escape(
                        &self.chunk[self.stage_at..self.stage_len],
                        &mut self.upload[self.upload_len.min(room)..room],
                    );
                    self.stage_at += p.consumed;
                    self.upload_len += p.written;
                    if self.upload_len > self.upload_at {
                        self.send(now, Out::Upload);
                    }
                    return Next::Again;
                }
                match source {
                    Source::Open { .. } => Next::Upload,
                    Source::Ended => {
                        self.terminate(now, false);
                        Next::Again
                    }
                }
            }
            _ => Next::Read,
        }
    }
}

/// What `poll` does when neither output, notices nor input drive it.
enum Next {
    Again,
    Peek,
    Upload,
    Read,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_not_yet_taken_moves_to_the_front_whatever_the_overlap() {
        for (at, len) in [(0, 0), (0, 5), (3, 3), (2, 10), (5, 7), (7, 8), (1, 8), (4, 8)] {
            let mut e: Engine<8, 24, 24, 640> =
                Engine::new(Config { max_line_len: 24, ..Config::DEFAULT }).unwrap();
            let wire: [u8; 8] = *b"abcdefgh";
            let len = len.min(8);
            e.input = wire;
            (e.input_at, e.input_len) = (at, len);
            let room = e.free_input().len();
            assert_eq!(room, 8 - (len - at), "{at}..{len}");
            assert_eq!(&e.input[..len - at], &wire[at..len], "{at}..{len}");
            assert_eq!((e.input_at, e.input_len), (0, len - at));
        }
    }

    #[test]
    fn the_terminator_scan_skips_pairs_across_calls() {
        let mut scan = EtxScan::default();
        assert_eq!(scan.find(b"ab\x10", Specials::DEFAULT), None);
        assert_eq!(scan.find(b"\x03cd\x10\x10\x03", Specials::DEFAULT), Some(5));
        let mut scan = EtxScan::default();
        assert_eq!(scan.find(b"\x03", Specials::DEFAULT), Some(0));
    }

    #[test]
    fn a_config_that_cannot_work_is_refused() {
        let c = Config { max_line_len: 0, ..Config::default() };
        assert!(matches!(<Engine>::new(c), Err(ConfigError::LineLength { got: 0, .. })));
        let c = Config { data_timeout: Duration::ZERO, ..Config::default() };
        assert_eq!(<Engine>::new(c).err(), Some(ConfigError::ZeroTimeout(Timer::Data)));
        let c = Config { resync_probes: 0, ..Config::default() };
        assert_eq!(<Engine>::new(c).err(), Some(ConfigError::NoProbes));
        let limits = Limits { path: 0, ..Limits::DEFAULT };
        let c = Config { limits, ..Config::default() };
        assert!(matches!(<Engine>::new(c), Err(ConfigError::Limit { got: 0, .. })));
        assert!(<Engine>::new(Config::default()).is_ok());
    }

    #[test]
    fn dle_constant_is_the_default_escape() {
        assert_eq!(Specials::DEFAULT.dle(), crate::DLE);
    }
}
