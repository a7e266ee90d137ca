//! The test rig (a served directory, the in-process FTP server, the emulator on a pty) and the
//! host's side: a minimal run loop of the core's `Engine` over the pty, and raw wire access.

use std::io::{ErrorKind, Read, Write};
use std::sync::OnceLock;
use std::time::Duration;

use at_ftp_modem::{Options, Testbed};
use at_ftp_proto::{Action, Engine, Error, Event, Instant, Request};
use serialport::{SerialPort, TTYPort};

pub(crate) const HOST: &str = Testbed::HOST;
pub(crate) const USER: &str = Testbed::USER;
pub(crate) const PASSWORD: &str = Testbed::PASSWORD;

/// The shared test bench, with the conveniences these tests use.
pub(crate) struct Rig(Testbed);

impl Rig {
    pub(crate) fn new(options: Options) -> Rig {
        Rig(Testbed::new(options).unwrap())
    }

    pub(crate) fn request<'a>(&self, file: &'a str) -> Request<'a> {
        self.0.request(file)
    }

    pub(crate) fn port(&self) -> u16 {
        self.0.server().addr().port()
    }

    /// The host's end of the line.
    pub(crate) fn open(&self) -> TTYPort {
        serialport::new(self.0.line().to_string_lossy(), 115_200)
            .timeout(Duration::from_millis(20))
            .open_native()
            .unwrap()
    }

    pub(crate) fn put_file(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.0.file(name), bytes).unwrap();
    }

    pub(crate) fn file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.0.file(name)).unwrap()
    }
}

/// What the host saw of one operation.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) payload: Vec<u8>,
    /// `Ok(bytes)` after the modem's `OK`.
    pub(crate) end: Result<u64, Error>,
    pub(crate) unsolicited: Vec<String>,
}

/// The engine's clock: the time since the first call, for every engine of the test process.
pub(crate) fn now() -> Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    Instant::from_elapsed(ORIGIN.get_or_init(std::time::Instant::now).elapsed())
}

/// Runs the engine's operation to its end over `port`, uploading `upload` when asked: the
/// minimal adapter, carrying out every action as asked (a read returns at the port's short
/// timeout, before the engine's deadline: the engine is polled again and fires its own).
pub(crate) fn drive(port: &mut TTYPort, engine: &mut Engine, upload: &[u8]) -> Outcome {
    drive_until(port, engine, upload, None).expect("not killed")
}

/// Like [`drive`], but the host dies (returns `None`, the engine to be dropped) once `kill`
/// payload bytes went either way.
pub(crate) fn drive_until(
    port: &mut TTYPort,
    engine: &mut Engine,
    upload: &[u8],
    kill: Option<usize>,
) -> Option<Outcome> {
    let mut payload = Vec::new();
    let mut unsolicited = Vec::new();
    let mut rest = upload;
    let start = std::time::Instant::now();
    loop {
        assert!(start.elapsed() < Duration::from_secs(600), "no end after ten minutes");
        if kill.is_some_and(|k| payload.len().max(upload.len() - rest.len()) >= k) {
            return None;
        }
        let t = now();
        match engine.poll(t) {
            Action::Transmit(out) => {
                let n = match port.write(out.bytes()) {
                    Ok(n) => n,
                    // A full pty (a busy emulator reads late): nothing written this time.
                    Err(e) if e.kind() == ErrorKind::TimedOut => 0,
                    Err(e) => panic!("the line failed: {e}"),
                };
                engine.transmitted(now(), n);
            }
            Action::Payload(p) => payload.extend_from_slice(p),
            Action::Event(Event::Unsolicited(l)) => {
                unsolicited.push(String::from_utf8_lossy(l).into());
            }
            Action::Event(_) => {}
            Action::Upload(buf) => {
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                engine.uploaded(n);
            }
            Action::Peek(buf) => {
                let ready = port.bytes_to_read().map_or(0, |n| n as usize).min(buf.len());
                let n = if ready == 0 { 0 } else { read(port, &mut buf[..ready]) };
                engine.received(n);
            }
            Action::Read { buf, .. } => {
                let n = read(port, buf);
                engine.received(n);
            }
            Action::Done(result) => {
                let end = result.map(|o| match o {
                    at_ftp_proto::Outcome::Transferred { bytes } => bytes,
                    other => panic!("not a transfer: {other:?}"),
                });
                return Some(Outcome { payload, end, unsolicited });
            }
            Action::Idle => panic!("idle before Done"),
        }
    }
}

/// One read of the port: what it has, or nothing after its timeout.
fn read(port: &mut TTYPort, buf: &mut [u8]) -> usize {
    match port.read(buf) {
        Ok(n) => n,
        Err(e) if e.kind() == ErrorKind::TimedOut => 0,
        Err(e) => panic!("the line failed: {e}"),
    }
}

/// Writes all of `bytes`, waiting out a full pty (a busy emulator reads late).
pub(crate) fn write_all(port: &mut TTYPort, mut bytes: &[u8]) {
    let start = std::time::Instant::now();
    while !bytes.is_empty() {
        match port.write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e)
                if e.kind() == ErrorKind::TimedOut && start.elapsed() < Duration::from_secs(60) => {
            }
            Err(e) => panic!("the line failed: {e}"),
        }
    }
}

/// Downloads `file` with a fresh engine (a new process: it resynchronises the line first).
pub(crate) fn get(rig: &Rig, file: &str) -> Outcome {
    let mut port = rig.open();
    let mut engine = Engine::default();
    engine.start_get(now(), &rig.request(file)).unwrap();
    drive(&mut port, &mut engine, &[])
}

/// Uploads `bytes` as `file` with a fresh engine.
pub(crate) fn put(rig: &Rig, file: &str, bytes: &[u8]) -> Outcome {
    let mut port = rig.open();
    let mut engine = Engine::default();
    engine.start_put(now(), &rig.request(file)).unwrap();
    drive(&mut port, &mut engine, bytes)
}

/// Reads until the bytes read end with `end`, for at most `limit`; returns all of them.
pub(crate) fn read_until(port: &mut TTYPort, end: &[u8], limit: Duration) -> Vec<u8> {
    let start = std::time::Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.ends_with(end) && start.elapsed() < limit {
        match port.read(&mut buf) {
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::TimedOut => {}
            Err(e) => panic!("the line failed: {e}"),
        }
    }
    seen
}

/// Writes a command line and returns everything up to and including `end`.
pub(crate) fn command(port: &mut TTYPort, line: &str, end: &[u8]) -> Vec<u8> {
    write_all(port, line.as_bytes());
    write_all(port, b"\r");
    read_until(port, end, Duration::from_secs(10))
}

/// Bytes as text, with others escaped, for readable assertion failures.
pub(crate) fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}
