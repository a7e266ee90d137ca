//! The engine driven by arbitrary modem bytes, time steps and caller actions, with every
//! `Action` carried out as an adapter would, through a port that takes and gives arbitrary
//! amounts (zero included): operations of every kind started (refused while one is in
//! flight), aborts at arbitrary points, resets, explicit resynchronisations, uploads fed
//! through `Action::Upload`.
//!
//! Invariants: never a panic, never an endless loop (every poll either hands out work the
//! port or the caller can do, or waits for them); transmits non-empty, within their bound,
//! and their `Debug`/`Display` (whole or cut short) never show the password; payload only
//! within a download's data phase, within its bound; progress that never goes back within an
//! operation; read deadlines in the future (the engine fires what passed); one `Done` per
//! operation started, then `Idle` and not busy; no transfer succeeds without its data phase,
//! no aborted operation succeeds; no event, line or value shows the password.
#![no_main]

use arbitrary::Arbitrary;
use at_ftp_proto::{
    Action, Config, Dialect, Engine, Event, Instant, Limits, LinkRequest, MIN_PORT, Outcome, Param,
    Request, SmallEngine,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Step {
    /// These bytes reach the port from the modem.
    Modem(Vec<u8>),
    /// Time passes (milliseconds), then the engine is polled.
    Wait(u32),
    /// The caller's upload source gets these bytes.
    Write(Vec<u8>),
    /// The caller's upload source ends.
    Finish,
    Abort,
    /// The port failed: the engine forgets everything.
    Reset,
    /// The caller starts an operation (refused while one is in flight).
    Start(Op),
    /// The most the port takes from one transmit (0: nothing, a busy port).
    Writes(u8),
    /// The most one read or peek gives.
    Reads(u8),
    /// The engine is polled until it waits.
    Pump,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Get,
    Put,
    Link,
    Read { param: u8, legacy: bool },
    Resync,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Size {
    Default,
    Small,
    Smallest,
}

/// The smallest buffers the default config takes.
type Smallest = Engine<MIN_PORT, 256, 256, { Limits::DEFAULT.script_len() }>;

#[derive(Arbitrary, Debug)]
struct Input {
    resync: bool,
    /// The engine's sizes: the default, the microcontroller preset, or the smallest buffers
    /// the default config takes (8-byte reads and writes).
    size: Size,
    first: Op,
    steps: Vec<Step>,
}

/// Distinctive enough that arbitrary modem bytes will not spell it.
const PASSWORD: &str = "pw-Zq7x-9Kd";
const PARAMS: [Param; 13] = [
    Param::Server,
    Param::Port,
    Param::User,
    Param::GetPath,
    Param::GetFileName,
    Param::PutPath,
    Param::PutFileName,
    Param::Type,
    Param::Mode,
    Param::FileSize,
    Param::Apn,
    Param::ApnUser,
    Param::GprsMode,
];

/// The caller, the port, and what they know of the operation in flight.
struct Host<const PORT: usize, const CHUNK: usize, const LINE: usize, const SCRIPT: usize> {
    engine: Engine<PORT, CHUNK, LINE, SCRIPT>,
    now: Instant,
    /// What the modem sent that the engine did not read yet.
    port: Vec<u8>,
    writes: usize,
    reads: usize,
    source: Vec<u8>,
    finished: bool,
    /// The operation in flight: its kind, whether its data phase began, whether it was
    /// aborted, its last progress.
    op: Option<Op>,
    began: bool,
    aborted: bool,
    progress: u64,
}

fn leaks(bytes: &[u8]) -> bool {
    bytes.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes())
}

impl<const PORT: usize, const CHUNK: usize, const LINE: usize, const SCRIPT: usize>
    Host<PORT, CHUNK, LINE, SCRIPT>
{
    fn start(&mut self, op: Op) {
        let request =
            Request::new("ftp.example.com", "f.bin").with_login("user", PASSWORD).with_dir("/pub");
        let link = LinkRequest { apn: "internet", user: "u", password: PASSWORD };
        let busy = self.engine.is_busy();
        let now = self.now;
        let started = match op {
            Op::Get => self.engine.start_get(now, &request),
            Op::Put => self.engine.start_put(now, &request),
            Op::Link => self.engine.start_link(now, &link),
            Op::Read { param, legacy } => {
                let param = PARAMS[usize::from(param) % PARAMS.len()];
                let dialect = if legacy { Dialect::Legacy } else { Dialect::Query };
                self.engine.read_param(now, param, dialect)
            }
            Op::Resync => self.engine.resync(now),
        };
        assert_eq!(started.is_err(), busy, "refused exactly while busy: {started:?}");
        if started.is_ok() {
            assert!(self.engine.is_busy());
            self.op = Some(op);
            self.began = false;
            self.aborted = false;
            self.progress = 0;
            self.source.clear();
            self.finished = false;
        }
    }

    /// Carries out the engine's actions until it waits for the port, the caller or time.
    fn pump(&mut self) {
        // Each poll hands out work or waits; work is bounded by the bytes given.
        let budget = 10_000 + 8 * (self.port.len() + self.source.len());
        for _ in 0..budget {
            let now = self.now;
            match self.engine.poll(now) {
                Action::Transmit(t) => {
                    let bytes = t.bytes();
                    // Upload bytes come from the port-sized buffer; a command line from the
                    // script.
                    let bound = if t.is_command() { SCRIPT } else { PORT };
                    assert!(!bytes.is_empty() && bytes.len() <= bound, "{} bytes", bytes.len());
                    let n = bytes.len().min(self.writes);
                    for shown in [format!("{t:?}"), t.to_string(), t.head(n).to_string()] {
                        assert!(!shown.contains(PASSWORD), "a password in a transcript");
                    }
                    assert!(t.deadline() > now, "a write deadline that passed is fired");
                    self.engine.transmitted(now, n);
                    if n == 0 {
                        return;
                    }
                }
                Action::Payload(p) => {
                    assert!(!p.is_empty() && p.len() <= CHUNK);
                    assert!(matches!(self.op, Some(Op::Get)) && self.began, "payload out of data");
                }
                Action::Event(event) => {
                    match event {
                        Event::DataBegin | Event::ReadyForData => self.began = true,
                        Event::Progress(bytes) => {
                            assert!(bytes >= self.progress, "progress went back");
                            self.progress = bytes;
                        }
                        Event::Unsolicited(line) => assert!(!leaks(line)),
                        _ => {}
                    }
                    assert!(!format!("{event:?}").contains(PASSWORD));
                }
                Action::Upload(buf) => {
                    assert!(matches!(self.op, Some(Op::Put)) && self.began, "upload out of data");
                    if self.source.is_empty() && !self.finished {
                        // The caller has nothing yet.
                        return;
                    }
                    let n = self.source.len().min(buf.len());
                    buf[..n].copy_from_slice(&self.source[..n]);
                    self.source.drain(..n);
                    self.engine.uploaded(n);
                }
                Action::Peek(buf) => {
                    let n = self.port.len().min(buf.len()).min(self.reads);
                    buf[..n].copy_from_slice(&self.port[..n]);
                    self.port.drain(..n);
                    self.engine.received(n);
                }
                Action::Read { buf, deadline } => {
                    assert!(deadline > now, "a read deadline not in the future");
                    let n = self.port.len().min(buf.len()).min(self.reads.max(1));
                    buf[..n].copy_from_slice(&self.port[..n]);
                    self.port.drain(..n);
                    self.engine.received(n);
                    if n == 0 {
                        return;
                    }
                }
                Action::Done(result) => {
                    let op = self.op.take().expect("one Done per operation started");
                    match result {
                        Ok(Outcome::Transferred { .. }) => {
                            assert!(matches!(op, Op::Get | Op::Put), "{op:?}");
                            assert!(self.began, "a transfer succeeded without its data phase");
                        }
                        Ok(Outcome::Param { value, .. }) => {
                            assert!(matches!(op, Op::Read { .. }));
                            assert!(!leaks(value));
                        }
                        Ok(Outcome::LinkUp { .. }) => assert!(matches!(op, Op::Link)),
                        Ok(Outcome::Resynced) => assert!(matches!(op, Op::Resync)),
                        Ok(other) => panic!("an unknown outcome {other:?}"),
                        Err(_) => {}
                    }
                    if self.aborted {
                        // The first failure decided is reported: an abort never succeeds.
                        assert!(result.is_err(), "an aborted operation succeeded");
                    }
                    assert!(!self.engine.is_busy(), "Done leaves the engine idle");
                }
                Action::Idle => {
                    assert!(self.op.is_none(), "idle with an operation in flight");
                    return;
                }
            }
        }
        panic!("no progress within the budget");
    }
}

fuzz_target!(|input: Input| {
    let config = Config { resync: input.resync, ..Config::default() };
    match input.size {
        Size::Default => drive(<Engine>::new(config).expect("a valid config"), input),
        Size::Small => drive(SmallEngine::new(config).expect("a valid config"), input),
        Size::Smallest => drive(Smallest::new(config).expect("a valid config"), input),
    }
});

fn drive<const PORT: usize, const CHUNK: usize, const LINE: usize, const SCRIPT: usize>(
    engine: Engine<PORT, CHUNK, LINE, SCRIPT>,
    input: Input,
) {
    let mut host = Host {
        engine,
        now: Instant::ZERO,
        port: Vec::new(),
        writes: usize::MAX,
        reads: usize::MAX,
        source: Vec::new(),
        finished: false,
        op: None,
        began: false,
        aborted: false,
        progress: 0,
    };
    host.start(input.first);
    host.pump();
    for step in input.steps {
        match step {
            Step::Modem(bytes) => host.port.extend_from_slice(&bytes),
            Step::Wait(ms) => host.now = host.now + core::time::Duration::from_millis(ms.into()),
            Step::Write(data) => host.source.extend_from_slice(&data),
            Step::Finish => host.finished = true,
            Step::Abort => {
                // Between pumps no `Done` waits: busy means an operation in flight.
                let busy = host.engine.is_busy();
                assert_eq!(busy, host.op.is_some());
                let aborted = host.engine.abort(host.now);
                assert_eq!(aborted, busy, "abort says whether there was an operation");
                host.aborted |= aborted;
            }
            Step::Reset => {
                host.engine.reset();
                assert!(!host.engine.is_busy());
                // Lost with resync on; with it off, lost only if an upload may be open (which
                // the host cannot tell from outside: a terminator may have gone already).
                if input.resync {
                    assert!(host.engine.is_line_lost());
                }
                host.op = None;
            }
            Step::Start(op) => host.start(op),
            Step::Writes(n) => host.writes = usize::from(n),
            Step::Reads(n) => host.reads = usize::from(n),
            Step::Pump => {}
        }
        host.pump();
    }
    // Time runs out: every operation ends.
    host.writes = usize::MAX;
    host.finished = true;
    for _ in 0..64 {
        if host.op.is_none() {
            break;
        }
        host.now = host.now + core::time::Duration::from_secs(600);
        host.pump();
    }
    assert!(host.op.is_none(), "an operation that never ends");
}
