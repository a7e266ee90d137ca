//! Replays a transcript against an `Engine`, the way an adapter would drive it.
//!
//! A transcript is a list of [`Item`]s in wire order: what the host must have sent by then,
//! what the modem sends, time passing, upload data, operations started. The harness feeds the
//! modem's bytes in reads of a chosen size (one byte at a time included), carries out every
//! action the engine asks for, and records what comes out, so the same scenario can be
//! checked under every split.

#![allow(unreachable_pub, dead_code)]

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use at_ftp_proto::{Action, Config, Dialect, Error, Event, Instant, Outcome as Done, Param, Resync};

use super::Engine;

/// One step of a transcript.
#[derive(Clone, Debug)]
pub enum Item {
    /// The host must have sent exactly these bytes since the last `Host` item.
    Host(Vec<u8>),
    /// The modem sends these bytes.
    Modem(Vec<u8>),
    /// Time passes; due deadlines fire.
    Wait(u64),
    /// The caller's upload source gets these bytes.
    Write(Vec<u8>),
    /// The caller's upload source ends.
    Finish,
    /// The caller aborts.
    Abort,
    /// The port stops taking bytes: the next transmit is handed out but never reported
    /// written (an async write dropped before any byte left), until `Unstall`.
    Stall,
    /// The port takes bytes again.
    Unstall,
    /// A new operation starts on the same engine.
    Start(Op),
}

/// An operation to start.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Get,
    Put,
    Read(Param),
    Resync,
}

/// What the caller saw, minus the split-dependent `Payload`/`Progress` boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    LinkUp(Option<Ipv4Addr>),
    LinkDown,
    DataBegin,
    ReadyForData,
    Complete(u64),
    /// The error, and the byte count of the last progress.
    Failed(Error, u64),
    Unsolicited(Vec<u8>),
    ParamRead(Param, Vec<u8>),
    LineTooLong,
    Resync(Resync),
    Resynced,
}

/// Everything a run produced.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub events: Vec<Seen>,
    pub payload: Vec<u8>,
    /// The byte count of the last `Progress`, which must equal the payload length.
    pub last_progress: u64,
    /// The settings reported set (`Event::Set`), in order.
    pub sets: Vec<at_ftp_proto::Setting>,
    /// Everything the host wrote after the last `Host` item (normally nothing).
    pub unchecked_host: Vec<u8>,
    /// When the run ended (ms).
    pub now: u64,
}

/// The line and the caller around the engine.
struct World<'a> {
    now: u64,
    sent: Vec<u8>,
    from_modem: VecDeque<u8>,
    source: Vec<u8>,
    source_done: bool,
    stalled: bool,
    next_read: &'a mut dyn FnMut() -> usize,
    out: Outcome,
}

/// Runs `items` on `engine` (an operation already started at time 0), feeding the modem's
/// bytes `step` at a time.
pub fn run(engine: &mut Engine, items: &[Item], step: usize) -> Outcome {
    run_with(engine, items, &mut || step)
}

/// Like [`run`], with the size of each read of the modem's bytes drawn from `next_read`.
pub fn run_with(
    engine: &mut Engine,
    items: &[Item],
    next_read: &mut dyn FnMut() -> usize,
) -> Outcome {
    let mut w = World {
        now: 0,
        sent: Vec::new(),
        from_modem: VecDeque::new(),
        source: Vec::new(),
        source_done: false,
        stalled: false,
        next_read,
        out: Outcome {
            events: Vec::new(),
            payload: Vec::new(),
            last_progress: 0,
            sets: Vec::new(),
            unchecked_host: Vec::new(),
            now: 0,
        },
    };
    pump(engine, &mut w);
    for item in items {
        match item {
            Item::Host(expected) => {
                pump(engine, &mut w);
                assert_eq!(
                    String::from_utf8_lossy(&w.sent),
                    String::from_utf8_lossy(expected),
                    "host bytes"
                );
                w.sent.clear();
            }
            Item::Modem(bytes) => w.from_modem.extend(bytes.iter().copied()),
            Item::Wait(ms) => w.now += ms,
            Item::Write(data) => w.source.extend_from_slice(data),
            Item::Finish => w.source_done = true,
            Item::Abort => {
                engine.abort(Instant::from_millis(w.now));
            }
            Item::Stall => w.stalled = true,
            Item::Unstall => w.stalled = false,
            Item::Start(op) => {
                let now = Instant::from_millis(w.now);
                let req = request();
                let started = match op {
                    Op::Get => engine.start_get(now, &req),
                    Op::Put => engine.start_put(now, &req),
                    Op::Read(p) => engine.read_param(now, *p, Dialect::Query),
                    Op::Resync => engine.resync(now),
                };
                started.expect("the engine is idle and the request valid");
                w.source.clear();
                w.source_done = false;
            }
        }
        pump(engine, &mut w);
    }
    pump(engine, &mut w);
    w.out.unchecked_host = w.sent;
    w.out.now = w.now;
    w.out
}

/// Carries out the engine's actions until it waits for something the transcript has not
/// given yet (modem bytes, upload data, time).
fn pump(engine: &mut Engine, w: &mut World<'_>) {
    for _ in 0..1_000_000 {
        let now = Instant::from_millis(w.now);
        match engine.poll(now) {
            Action::Transmit(t) => {
                if w.stalled {
                    return;
                }
                let n = t.bytes().len();
                w.sent.extend_from_slice(t.bytes());
                engine.transmitted(now, n);
            }
            Action::Payload(p) => {
                assert!(!p.is_empty(), "empty payload");
                assert!(p.len() <= at_ftp_proto::PAYLOAD_CHUNK, "payload beyond the bound");
                w.out.payload.extend_from_slice(p);
            }
            Action::Event(event) => {
                let seen = match event {
                    Event::Progress(bytes) => {
                        w.out.last_progress = bytes;
                        continue;
                    }
                    Event::Set(setting) => {
                        w.out.sets.push(setting);
                        continue;
                    }
                    Event::DataBegin => Seen::DataBegin,
                    Event::ReadyForData => Seen::ReadyForData,
                    Event::Unsolicited(line) => Seen::Unsolicited(line.to_vec()),
                    Event::LineTooLong => Seen::LineTooLong,
                    Event::Resync(r) => Seen::Resync(r),
                    other => panic!("an event the harness does not know: {other:?}"),
                };
                w.out.events.push(seen);
            }
            Action::Upload(buf) => {
                if w.source.is_empty() && !w.source_done {
                    return;
                }
                let n = w.source.len().min(buf.len());
                buf[..n].copy_from_slice(&w.source[..n]);
                w.source.drain(..n);
                engine.uploaded(n);
            }
            Action::Peek(buf) => {
                let n = take(w, buf);
                engine.received(n);
            }
            Action::Read { buf, deadline } => {
                assert!(deadline >= now, "a deadline in the past: {deadline:?}");
                let n = take(w, buf);
                if n == 0 {
                    return;
                }
                engine.received(n);
            }
            Action::Done(result) => {
                let seen = match result {
                    Ok(Done::Transferred { bytes }) => Seen::Complete(bytes),
                    Ok(Done::LinkUp { address }) => Seen::LinkUp(address),
                    Ok(Done::LinkDown) => Seen::LinkDown,
                    Ok(Done::Param { param, value }) => Seen::ParamRead(param, value.to_vec()),
                    Ok(Done::Resynced) => Seen::Resynced,
                    Ok(other) => panic!("an outcome the harness does not know: {other:?}"),
                    Err(e) => Seen::Failed(e, w.out.last_progress),
                };
                w.out.events.push(seen);
                assert!(!engine.is_busy(), "Done leaves the engine idle");
            }
            Action::Idle => return,
        }
    }
    panic!("the engine makes no progress");
}

/// The modem's next bytes for a read into `buf`, at most one read's size.
fn take(w: &mut World<'_>, buf: &mut [u8]) -> usize {
    let n = w.from_modem.len().min(buf.len()).min((w.next_read)().max(1));
    for (slot, b) in buf.iter_mut().zip(w.from_modem.drain(..n)) {
        *slot = b;
    }
    n
}

/// Runs the scenario under several splits (whole, one byte at a time, odd sizes) and checks
/// they all agree; returns the outcome.
pub fn run_all_splits(make: impl Fn() -> Engine, items: &[Item]) -> Outcome {
    let whole = run(&mut make(), items, usize::MAX);
    for step in [1, 2, 3, 7, 64] {
        let split = run(&mut make(), items, step);
        assert_eq!(split, whole, "split into {step}-byte reads");
    }
    if !whole.payload.is_empty() {
        // A download's progress counts its payload (an upload's counts its source).
        assert_eq!(whole.last_progress, whole.payload.len() as u64);
    }
    whole
}

/// How the modem talks.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Echo on (ATE1).
    pub echo: bool,
    /// Numeric result codes (ATV0).
    pub numeric: bool,
}

impl Style {
    pub const ALL: [Style; 4] = [
        Style { echo: true, numeric: false },
        Style { echo: false, numeric: false },
        Style { echo: true, numeric: true },
        Style { echo: false, numeric: true },
    ];

    /// The modem's answer to `command` (CR included) with the result `verbose`/`code`.
    pub fn answer(self, command: &[u8], verbose: &str, code: &str) -> Vec<u8> {
        let mut out = Vec::new();
        if self.echo {
            out.extend_from_slice(command);
        }
        out.extend_from_slice(&self.result(verbose, code));
        out
    }

    /// A result code: `\r\nOK\r\n` verbose, `0\r` numeric (V.250).
    pub fn result(self, verbose: &str, code: &str) -> Vec<u8> {
        if self.numeric {
            format!("{code}\r").into_bytes()
        } else {
            format!("\r\n{verbose}\r\n").into_bytes()
        }
    }

    /// The exchange of one parameter command answered `OK`.
    pub fn set(self, command: &str) -> Vec<Item> {
        let command = format!("{command}\r").into_bytes();
        vec![Item::Host(command.clone()), Item::Modem(self.answer(&command, "OK", "0"))]
    }

    /// The parameter exchanges of a transfer of `file` from `server` (defaults elsewhere).
    pub fn transfer_setup(self, put: bool) -> Vec<Item> {
        let (path, name) = if put { ("PUT", "PUT") } else { ("GET", "GET") };
        [
            "AT#FTPSERV=\"ftp.example.com\"".to_string(),
            "AT#FTPPORT=21".to_string(),
            "AT#FTPUN=\"user\"".to_string(),
            "AT#FTPPW=\"hunter2\"".to_string(),
            format!("AT#FTP{path}PATH=\"/pub\""),
            format!("AT#FTP{name}FILENAME=\"file.bin\""),
            "AT#FTPTYPE=I".to_string(),
        ]
        .iter()
        .flat_map(|c| self.set(c))
        .collect()
    }
}

/// The request every transfer scenario uses.
pub fn request() -> at_ftp_proto::Request<'static> {
    at_ftp_proto::Request::new("ftp.example.com", "file.bin")
        .with_login("user", "hunter2")
        .with_dir("/pub")
}

/// The config of a line known clean (no resynchronisation at the start).
pub fn clean() -> Config {
    Config { resync: false, ..Config::default() }
}

/// An idle engine on a clean line.
pub fn engine() -> Engine {
    Engine::new(clean()).expect("a valid config")
}

/// A download, started at time 0 on a clean line.
pub fn get_session() -> Engine {
    let mut s = engine();
    s.start_get(Instant::ZERO, &request()).expect("valid request");
    s
}

/// An upload, started at time 0 on a clean line.
pub fn put_session() -> Engine {
    let mut s = engine();
    s.start_put(Instant::ZERO, &request()).expect("valid request");
    s
}

/// `payload` stuffed and terminated, as the modem sends it.
pub fn stuffed(payload: &[u8]) -> Vec<u8> {
    let mut enc = at_ftp_proto::Escaper::new();
    let mut out = Vec::new();
    enc.escape_to_vec(payload, &mut out);
    enc.finish_to_vec(&mut out);
    out
}

/// A payload with many special bytes, CR, LF and NUL in it.
pub fn tricky_payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| [0x03, 0x10, b'\r', b'\n', 0, b'O', b'K', (i % 251) as u8][i % 8]).collect()
}

pub fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// An action in a few words (`Debug` of an action shows whole buffers).
pub fn describe(action: &Action<'_>) -> String {
    match action {
        Action::Transmit(t) => format!("Transmit({t})"),
        Action::Payload(p) => format!("Payload({} bytes)", p.len()),
        Action::Event(e) => format!("Event({e:?})"),
        Action::Upload(_) => "Upload".to_string(),
        Action::Peek(_) => "Peek".to_string(),
        Action::Read { deadline, .. } => format!("Read(until {deadline:?})"),
        Action::Done(result) => format!("Done({result:?})"),
        Action::Idle => "Idle".to_string(),
    }
}

/// Polls `engine` at `now` on a port that has nothing to read, until it hands out a transmit;
/// writes all of it and returns the bytes. Panics on anything but an empty peek on the way.
pub fn write_next(engine: &mut Engine, now: Instant) -> Vec<u8> {
    for _ in 0..100 {
        match engine.poll(now) {
            Action::Peek(_) => engine.received(0),
            Action::Transmit(t) => {
                let bytes = t.bytes().to_vec();
                engine.transmitted(now, bytes.len());
                return bytes;
            }
            other => panic!("a transmit, not {}", describe(&other)),
        }
    }
    panic!("no transmit");
}
