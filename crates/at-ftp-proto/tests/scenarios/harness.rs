//! Replays a transcript against a `Session`, the way an adapter would drive it.
//!
//! A transcript is a list of [`Item`]s in wire order: what the host must have sent by then,
//! what the modem sends, time passing, upload writes. The driver feeds the modem's bytes in
//! pieces of a chosen size (one byte at a time included) and records what comes out, so the
//! same scenario can be checked under every split.

#![allow(unreachable_pub, dead_code)]

use std::net::Ipv4Addr;

use at_ftp_proto::{Error, Event, Instant, Param, Session};

/// One step of a transcript.
#[derive(Clone, Debug)]
pub enum Item {
    /// The host must have sent exactly these bytes since the last `Host` item.
    Host(Vec<u8>),
    /// The modem sends these bytes.
    Modem(Vec<u8>),
    /// Time passes; due deadlines fire.
    Wait(u64),
    /// The caller uploads these bytes (all of them, draining the transmit buffer as needed).
    Write(Vec<u8>),
    /// The caller ends the upload.
    Finish,
    /// The caller aborts.
    Abort,
}

/// What the caller saw, minus the split-dependent `Payload`/`Progress` boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    LinkUp(Option<Ipv4Addr>),
    DataBegin,
    ReadyForData,
    Complete(u64),
    Failed(Error, u64),
    Unsolicited(Vec<u8>),
    ParamRead(Param, Vec<u8>),
    LineTooLong,
}

/// Everything a run produced.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub events: Vec<Seen>,
    pub payload: Vec<u8>,
    /// The byte count of the last `Progress`, which must equal the payload length.
    pub last_progress: u64,
    /// Everything the host wrote after the last `Host` item (normally nothing).
    pub unchecked_host: Vec<u8>,
    /// When the run ended (ms).
    pub now: u64,
}

/// The transmitted bytes of a run, for `Host` checks.
struct Wire {
    sent: Vec<u8>,
}

/// Runs `items` on `session` (an operation already started at time 0), feeding the modem's
/// bytes `step` at a time.
pub fn run(session: &mut Session, items: &[Item], step: usize) -> Outcome {
    run_with(session, items, &mut || step)
}

/// Like [`run`], with the size of each read of the modem's bytes drawn from `next_read`.
pub fn run_with(
    session: &mut Session,
    items: &[Item],
    next_read: &mut dyn FnMut() -> usize,
) -> Outcome {
    let mut now = 0u64;
    let mut out = Outcome {
        events: Vec::new(),
        payload: Vec::new(),
        last_progress: 0,
        unchecked_host: Vec::new(),
        now: 0,
    };
    let mut wire = Wire { sent: Vec::new() };
    drain(session, &mut wire, &mut out);
    for item in items {
        match item {
            Item::Host(expected) => {
                drain(session, &mut wire, &mut out);
                assert_eq!(
                    String::from_utf8_lossy(&wire.sent),
                    String::from_utf8_lossy(expected),
                    "host bytes"
                );
                wire.sent.clear();
            }
            Item::Modem(bytes) => {
                let mut bytes = &bytes[..];
                while !bytes.is_empty() {
                    let (chunk, rest) = bytes.split_at(next_read().clamp(1, bytes.len()));
                    bytes = rest;
                    let mut input = chunk;
                    let mut spins = 0;
                    while !input.is_empty() {
                        let used = session.handle_input(Instant::from_millis(now), input);
                        input = &input[used..];
                        drain(session, &mut wire, &mut out);
                        spins += 1;
                        assert!(spins < 100_000, "handle_input makes no progress");
                    }
                }
            }
            Item::Wait(ms) => {
                now += ms;
                if session.poll_timeout().is_some_and(|t| t <= Instant::from_millis(now)) {
                    session.handle_timeout(Instant::from_millis(now));
                }
                drain(session, &mut wire, &mut out);
            }
            Item::Write(data) => {
                let mut data = &data[..];
                while !data.is_empty() {
                    let n = session.write_payload(data).expect("upload ready");
                    data = &data[n..];
                    drain(session, &mut wire, &mut out);
                }
            }
            Item::Finish => {
                session.finish_payload(Instant::from_millis(now)).expect("upload ready");
                drain(session, &mut wire, &mut out);
            }
            Item::Abort => {
                session.abort(Instant::from_millis(now));
                drain(session, &mut wire, &mut out);
            }
        }
    }
    drain(session, &mut wire, &mut out);
    out.unchecked_host = wire.sent;
    out.now = now;
    out
}

/// Drains transmit and events, in the documented order.
fn drain(session: &mut Session, wire: &mut Wire, out: &mut Outcome) {
    while let Some(t) = session.poll_transmit() {
        wire.sent.extend_from_slice(t.bytes());
    }
    while let Some(event) = session.poll_event() {
        let seen = match event {
            Event::Payload(p) => {
                assert!(!p.is_empty(), "empty payload event");
                assert!(p.len() <= at_ftp_proto::PAYLOAD_CHUNK, "payload beyond the bound");
                out.payload.extend_from_slice(p);
                continue;
            }
            Event::Progress { bytes } => {
                out.last_progress = bytes;
                continue;
            }
            Event::LinkUp { address } => Seen::LinkUp(address),
            Event::DataBegin => Seen::DataBegin,
            Event::ReadyForData => Seen::ReadyForData,
            Event::Complete { bytes } => Seen::Complete(bytes),
            Event::Failed { error, bytes } => Seen::Failed(error, bytes),
            Event::Unsolicited(line) => Seen::Unsolicited(line.to_vec()),
            Event::ParamRead { param, value } => Seen::ParamRead(param, value.to_vec()),
            Event::LineTooLong => Seen::LineTooLong,
        };
        out.events.push(seen);
    }
}

/// Runs the scenario under several splits (whole, one byte at a time, odd sizes) and checks
/// they all agree; returns the outcome.
pub fn run_all_splits(make: impl Fn() -> Session, items: &[Item]) -> Outcome {
    let whole = run(&mut make(), items, usize::MAX);
    for step in [1, 2, 3, 7, 64] {
        let split = run(&mut make(), items, step);
        assert_eq!(split, whole, "split into {step}-byte reads");
    }
    assert_eq!(whole.last_progress, whole.payload.len() as u64);
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
    at_ftp_proto::Request::new("ftp.example.com", "user", "hunter2", "/pub", "file.bin")
}

/// A download session, started at time 0.
pub fn get_session() -> Session {
    let mut s = Session::default();
    s.start_get(Instant::ZERO, &request()).expect("valid request");
    s
}

/// An upload session, started at time 0.
pub fn put_session() -> Session {
    let mut s = Session::default();
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
