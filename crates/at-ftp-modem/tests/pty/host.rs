//! The test rig (a served directory, the in-process FTP server, the emulator on a pty) and the
//! host's side: a minimal run loop of the core's `Session` over the pty, and raw wire access.

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

use at_ftp_modem::{Options, Testbed};
use at_ftp_proto::{Error, Event, Instant, Request, Session};
use serialport::TTYPort;

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

/// Runs the session's operation to its end over `port`, uploading `upload` when asked.
pub(crate) fn drive(port: &mut TTYPort, session: &mut Session, upload: &[u8]) -> Outcome {
    let origin = std::time::Instant::now();
    let now = || Instant::from_elapsed(origin.elapsed());
    let mut payload = Vec::new();
    let mut unsolicited = Vec::new();
    let mut rest = upload;
    let mut uploading = false;
    let mut buf = vec![0u8; 64 * 1024];
    let mut input: Vec<u8> = Vec::new();
    loop {
        while let Some(t) = session.poll_transmit() {
            write_all(port, t.bytes());
        }
        while let Some(event) = session.poll_event() {
            match event {
                Event::Payload(p) => payload.extend_from_slice(p),
                Event::ReadyForData => uploading = true,
                Event::Unsolicited(l) => unsolicited.push(String::from_utf8_lossy(l).into()),
                Event::Complete { bytes } => {
                    return Outcome { payload, end: Ok(bytes), unsolicited };
                }
                Event::Failed { error, .. } => {
                    return Outcome { payload, end: Err(error), unsolicited };
                }
                _ => {}
            }
        }
        if uploading {
            if rest.is_empty() {
                session.finish_payload(now()).unwrap();
                uploading = false;
            } else {
                let n = session.write_payload(rest).unwrap();
                rest = &rest[n..];
            }
            continue;
        }
        if input.is_empty() {
            match port.read(&mut buf) {
                Ok(n) => input.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::TimedOut => {
                    let deadline = session.poll_timeout().expect("an operation is in flight");
                    if now() >= deadline {
                        session.handle_timeout(now());
                    }
                    continue;
                }
                Err(e) => panic!("the line failed: {e}"),
            }
        }
        let used = session.handle_input(now(), &input);
        input.drain(..used);
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

/// Downloads `file` with a fresh session.
pub(crate) fn get(rig: &Rig, file: &str) -> Outcome {
    let mut port = rig.open();
    let mut session = Session::default();
    session.start_get(Instant::ZERO, &rig.request(file)).unwrap();
    drive(&mut port, &mut session, &[])
}

/// Uploads `bytes` as `file` with a fresh session.
pub(crate) fn put(rig: &Rig, file: &str, bytes: &[u8]) -> Outcome {
    let mut port = rig.open();
    let mut session = Session::default();
    session.start_put(Instant::ZERO, &rig.request(file)).unwrap();
    drive(&mut port, &mut session, bytes)
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
