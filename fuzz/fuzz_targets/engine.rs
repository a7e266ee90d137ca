//! The engine driven by arbitrary modem bytes, time steps and caller actions, every action
//! it asks for carried out as an adapter would (short and zero writes, peeks, reads of any
//! size, upload data, aborts, resets, resynchronisations, new operations): never a panic,
//! never an endless loop, payload within its bound, no password in any output, and no
//! transfer reported done without a data phase.
#![no_main]

use arbitrary::Arbitrary;
use at_ftp_proto::{
    Action, Config, Dialect, Engine, Event, Instant, Outcome, PAYLOAD_CHUNK, Param, Request,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Step {
    /// The modem sends these bytes.
    Modem(Vec<u8>),
    /// Time passes (milliseconds).
    Wait(u32),
    /// The caller's upload source gets these bytes.
    Source(Vec<u8>),
    /// The upload source ends.
    SourceEnd,
    /// Reads and writes take at most this many bytes (0: writes take nothing).
    Size(u8),
    Abort,
    /// The port failed: the adapter resets the engine.
    Reset,
    /// The caller starts an operation (refused while one is in flight).
    Start(Op),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Get,
    Put,
    Read,
    Link,
    Resync,
}

#[derive(Arbitrary, Debug)]
struct Input {
    resync: bool,
    first: Op,
    steps: Vec<Step>,
}

/// Distinctive enough that arbitrary modem bytes will not spell it.
const PASSWORD: &str = "pw-Zq7x-9Kd";

struct World {
    engine: Engine,
    now: Instant,
    modem: Vec<u8>,
    source: Vec<u8>,
    source_end: bool,
    size: usize,
    /// The operation in flight reached a data phase: a transfer may complete only then.
    began: bool,
}

fuzz_target!(|input: Input| {
    let config = Config { resync: input.resync, ..Config::default() };
    let mut w = World {
        engine: Engine::new(config).expect("a valid config"),
        now: Instant::ZERO,
        modem: Vec::new(),
        source: Vec::new(),
        source_end: false,
        size: 64,
        began: false,
    };
    start(&mut w, input.first);
    pump(&mut w);
    for step in input.steps {
        match step {
            Step::Modem(bytes) => w.modem.extend_from_slice(&bytes),
            Step::Wait(ms) => w.now = w.now + core::time::Duration::from_millis(ms.into()),
            Step::Source(bytes) => w.source.extend_from_slice(&bytes),
            Step::SourceEnd => w.source_end = true,
            Step::Size(n) => w.size = n.into(),
            Step::Abort => {
                w.engine.abort(w.now);
            }
            Step::Reset => {
                w.engine.reset();
                w.began = false;
                assert!(!w.engine.is_busy());
            }
            Step::Start(op) => start(&mut w, op),
        }
        pump(&mut w);
    }
});

fn start(w: &mut World, op: Op) {
    let request = Request::new("ftp.example.com", "user", PASSWORD, "/pub", "f.bin");
    let link = at_ftp_proto::LinkRequest { apn: "apn", user: "u", password: PASSWORD };
    let now = w.now;
    let started = match op {
        Op::Get => w.engine.start_get(now, &request),
        Op::Put => w.engine.start_put(now, &request),
        Op::Read => w.engine.read_param(now, Param::Server, Dialect::Query),
        Op::Link => w.engine.start_link(now, &link),
        Op::Resync => w.engine.resync(now),
    };
    if started.is_ok() {
        w.began = false;
        w.source.clear();
        w.source_end = false;
    }
}

/// Carries out the engine's actions until it waits for what the input has not given yet.
fn pump(w: &mut World) {
    let budget = 10_000 + 8 * (w.modem.len() + w.source.len());
    for _ in 0..budget {
        let now = w.now;
        match w.engine.poll(now) {
            Action::Transmit(t) => {
                assert!(!t.bytes().is_empty(), "an empty transmit");
                assert!(!format!("{t:?}").contains(PASSWORD));
                assert!(!format!("{t}").contains(PASSWORD));
                if w.size == 0 {
                    // The port takes nothing: only time (the write deadline) moves on.
                    w.engine.transmitted(now, 0);
                    return;
                }
                let n = t.bytes().len().min(w.size);
                w.engine.transmitted(now, n);
            }
            Action::Payload(p) => assert!(!p.is_empty() && p.len() <= PAYLOAD_CHUNK),
            Action::Event(event) => {
                match event {
                    Event::DataBegin | Event::ReadyForData => w.began = true,
                    Event::Unsolicited(line) => {
                        assert!(!line.windows(PASSWORD.len()).any(|x| x == PASSWORD.as_bytes()))
                    }
                    _ => {}
                }
                assert!(!format!("{event:?}").contains(PASSWORD));
            }
            Action::Upload(buf) => {
                if w.source.is_empty() && !w.source_end {
                    return;
                }
                let n = w.source.len().min(buf.len());
                buf[..n].copy_from_slice(&w.source[..n]);
                w.source.drain(..n);
                w.engine.uploaded(n);
            }
            Action::Peek(buf) => {
                let n = w.modem.len().min(buf.len()).min(w.size.max(1));
                buf[..n].copy_from_slice(&w.modem[..n]);
                w.modem.drain(..n);
                w.engine.received(n);
            }
            Action::Read { buf, deadline } => {
                assert!(deadline > now, "a deadline that has passed is fired, not handed out");
                if w.modem.is_empty() {
                    return;
                }
                let n = w.modem.len().min(buf.len()).min(w.size.max(1));
                buf[..n].copy_from_slice(&w.modem[..n]);
                w.modem.drain(..n);
                w.engine.received(n);
            }
            Action::Done(result) => {
                if let Ok(Outcome::Transferred { .. }) = result {
                    assert!(w.began, "a transfer done without a data phase");
                }
                if let Ok(Outcome::Param { value, .. }) = result {
                    assert!(!value.windows(PASSWORD.len()).any(|x| x == PASSWORD.as_bytes()));
                }
                w.began = false;
                assert!(!w.engine.is_busy(), "Done leaves the engine idle");
            }
            Action::Idle => return,
        }
    }
    panic!("no progress within the budget");
}
