//! `Call` against the sans-IO modem emulator in memory, on a virtual clock: the policies the
//! adapters rely on (settle, the port error, the local error, timeouts as "nothing yet").
#![allow(clippy::unwrap_used)]

use std::io::{self, ErrorKind};
use std::sync::{Arc, Mutex};

use at_ftp_host::{Call, Error, Finished, Io, Op, PartFile, Session};
use at_ftp_modem::Modem;
use at_ftp_proto::{Config, Dialect, Engine, Instant, Param, Request, Timer};

/// The far end of the line: the emulator, serving `file` to every download, and what the host
/// wrote.
struct Line {
    modem: Modem,
    file: Vec<u8>,
    /// How much of the file each download sends at once.
    chunk: usize,
    /// A download in its data phase: what is left of the file.
    sending: Option<usize>,
    written: Vec<u8>,
    now: Instant,
}

impl Line {
    fn new(file: Vec<u8>) -> Line {
        Line {
            modem: Modem::default(),
            file,
            chunk: 1000,
            sending: None,
            written: Vec::new(),
            now: Instant::ZERO,
        }
    }

    /// The modem's side of the exchange, after each host write and before each host read.
    fn step(&mut self) {
        if let Some(job) = self.modem.poll_job() {
            assert!(!job.put);
            self.modem.data_begin();
            self.sending = Some(0);
        }
        if let Some(at) = self.sending {
            let end = (at + self.chunk).min(self.file.len());
            self.modem.send_data(&self.file[at..end]);
            if end == self.file.len() {
                self.modem.data_end(Ok(()));
                self.sending = None;
            } else {
                self.sending = Some(end);
            }
        }
    }

    /// Carries out one `Io` as an adapter would, on a port that never fails; `None` while the
    /// call goes on.
    fn run(
        &mut self,
        call: &mut Call<'_>,
        engine: &mut Engine,
        sink: &mut Vec<u8>,
    ) -> Option<Result<Finished, Error>> {
        match call.poll(engine, self.now) {
            Io::Write(t) => {
                self.modem.handle_input(t.bytes());
                self.written.extend_from_slice(t.bytes());
                call.wrote(t, Ok(t.bytes().len()));
            }
            Io::Read { buf, deadline } => {
                self.step();
                let out = self.modem.take_output();
                if out.is_empty() {
                    // Silence until the deadline: the read times out.
                    self.now = deadline;
                    call.read(buf, Err(ErrorKind::TimedOut.into()));
                } else {
                    let n = out.len().min(buf.len());
                    buf[..n].copy_from_slice(&out[..n]);
                    assert_eq!(n, out.len(), "a read buffer too small for the test modem");
                    call.read(buf, Ok(n));
                }
            }
            Io::Peek(buf) => {
                let out = self.modem.take_output();
                let n = out.len().min(buf.len());
                assert_eq!(n, out.len(), "a read buffer too small for the test modem");
                buf[..n].copy_from_slice(&out[..n]);
                let read = if n == 0 { Err(ErrorKind::WouldBlock.into()) } else { Ok(n) };
                call.read(buf, read);
            }
            Io::Sink(data) => {
                sink.extend_from_slice(data);
                call.sunk(Ok(()));
            }
            Io::Source(_) => call.sourced(Ok(0)),
            Io::Again => {}
            Io::Done(result) => return Some(result),
        }
        None
    }

    fn finish(&mut self, op: Op<'_>, engine: &mut Engine, hooks: &mut Session) -> Finished {
        let mut call = Call::new(hooks, op);
        loop {
            if let Some(done) = self.run(&mut call, engine, &mut Vec::new()) {
                return done.unwrap();
            }
        }
    }
}

fn request() -> Request<'static> {
    Request::new("ftp.example.com", "f").with_login("u", "p").with_dir("/")
}

#[test]
fn a_call_resynchronises_a_new_engine_then_downloads() {
    let file: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let mut line = Line::new(file.clone());
    let mut engine = Engine::default();
    let mut hooks = Session::default();
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    hooks.on_event(move |e| seen.lock().unwrap().push(format!("{e:?}")));
    let req = request();
    let mut call = Call::new(&mut hooks, Op::Get(&req));
    let mut sink = Vec::new();
    let done = loop {
        if let Some(done) = line.run(&mut call, &mut engine, &mut sink) {
            break done;
        }
    };
    assert_eq!(done.unwrap().transferred().unwrap(), 20_000);
    assert!(sink == file);
    assert!(line.written.starts_with(b"\x03\x03AT\r"), "{:?}", line.written.escape_ascii());
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| e == "Resync(InCommandMode)"), "{events:?}");
    assert_eq!(events.last().map(String::as_str), Some("Progress(20000)"));
}

#[test]
fn an_operation_left_in_flight_is_settled_first_and_its_data_goes_nowhere() {
    let file = vec![7u8; 50_000];
    let mut line = Line::new(file);
    let mut engine: Engine = Engine::new(Config { resync: false, ..Config::default() }).unwrap();
    let mut hooks = Session::default();
    let req = request();
    // A download whose caller went away (a dropped future) after some data.
    {
        let mut call = Call::new(&mut hooks, Op::Get(&req));
        let mut sink = Vec::new();
        while sink.len() < 5000 {
            assert!(line.run(&mut call, &mut engine, &mut sink).is_none());
        }
    }
    assert!(engine.is_busy());
    // The next call drains it (nothing of it reaches this call's sink), then reads.
    let mut call = Call::new(&mut hooks, Op::Read(Param::GetFileName, Dialect::Query));
    let mut sink = Vec::new();
    let done = loop {
        if let Some(done) = line.run(&mut call, &mut engine, &mut sink) {
            break done;
        }
    };
    assert_eq!(done.unwrap().value().unwrap(), b"f");
    assert!(sink.is_empty());
    assert!(!engine.is_busy() && !engine.is_line_lost());
}

#[test]
fn a_port_error_ends_the_call_and_resets_the_engine() {
    let mut line = Line::new(Vec::new());
    let mut engine: Engine = Engine::new(Config { resync: true, ..Config::default() }).unwrap();
    let mut hooks = Session::default();
    // Prove the line first, so that "lost" afterwards is the reset's doing.
    line.finish(Op::Resync, &mut engine, &mut hooks);
    assert!(!engine.is_line_lost());
    let mut call = Call::new(&mut hooks, Op::Read(Param::Server, Dialect::Query));
    let done = loop {
        match call.poll(&mut engine, line.now) {
            Io::Write(t) => call.wrote(t, Ok(t.bytes().len())),
            Io::Read { buf, .. } => call.read(buf, Err(ErrorKind::BrokenPipe.into())),
            Io::Peek(buf) => call.read(buf, Err(ErrorKind::WouldBlock.into())),
            Io::Done(done) => break done,
            other => panic!("{other:?}"),
        }
    };
    assert!(matches!(done, Err(Error::Port(e)) if e.kind() == ErrorKind::BrokenPipe));
    assert!(!engine.is_busy() && engine.is_line_lost());
    // The port's end (a read of nothing into room) is a port error too, and so is a write
    // that takes nothing.
    for eof in [true, false] {
        let mut call = Call::new(&mut hooks, Op::Resync);
        let mut now = line.now;
        let done = loop {
            match call.poll(&mut engine, now) {
                Io::Write(t) => call.wrote(t, Ok(0)),
                Io::Read { buf, .. } if eof => call.read(buf, Ok(0)),
                Io::Read { buf, deadline } => {
                    now = deadline;
                    call.read(buf, Err(ErrorKind::TimedOut.into()));
                }
                Io::Peek(buf) => call.read(buf, Err(ErrorKind::WouldBlock.into())),
                Io::Again => {}
                Io::Done(done) => break done,
                other => panic!("{other:?}"),
            }
        };
        let want = if eof { ErrorKind::UnexpectedEof } else { ErrorKind::WriteZero };
        assert!(matches!(&done, Err(Error::Port(e)) if e.kind() == want), "{done:?}");
    }
}

#[test]
fn a_sink_that_fails_ends_the_call_at_once_and_the_next_operation_drains_the_rest() {
    let mut line = Line::new(vec![1u8; 30_000]);
    let mut engine: Engine = Engine::new(Config::default()).unwrap();
    let mut hooks = Session::default();
    let req = request();
    let mut call = Call::new(&mut hooks, Op::Get(&req));
    let mut sunk = 0;
    let done = loop {
        match call.poll(&mut engine, line.now) {
            Io::Write(t) => {
                line.modem.handle_input(t.bytes());
                call.wrote(t, Ok(t.bytes().len()));
            }
            Io::Read { buf, deadline } => {
                line.step();
                let out = line.modem.take_output();
                if out.is_empty() {
                    line.now = deadline;
                }
                buf[..out.len()].copy_from_slice(&out);
                let read =
                    if out.is_empty() { Err(ErrorKind::TimedOut.into()) } else { Ok(out.len()) };
                call.read(buf, read);
            }
            Io::Peek(buf) => call.read(buf, Err(ErrorKind::WouldBlock.into())),
            Io::Sink(data) => {
                sunk += 1;
                assert_eq!(sunk, 1, "data delivered after the sink failed");
                let _ = data;
                call.sunk(Err(io::Error::new(ErrorKind::StorageFull, "disk full")));
            }
            Io::Again => {}
            Io::Done(done) => break done,
            other => panic!("{other:?}"),
        }
    };
    assert!(matches!(done, Err(Error::Local(e)) if e.kind() == ErrorKind::StorageFull));
    // No more data was waited for: the modem is still in its data phase, the line lost.
    assert!(line.sending.is_some(), "the call waited for the rest of the download");
    assert!(engine.is_line_lost() && !engine.is_busy());
    // The next operation's resynchronisation drains the rest, and it gets its answer.
    let value = line.finish(Op::Read(Param::GetFileName, Dialect::Query), &mut engine, &mut hooks);
    assert_eq!(value.value().unwrap(), b"f");
}

#[test]
fn a_port_that_takes_nothing_fails_at_the_engines_write_deadline() {
    let mut engine: Engine = Engine::new(Config { resync: false, ..Config::default() }).unwrap();
    let write_timeout = engine.config().write_timeout;
    let mut hooks = Session::default();
    let mut call = Call::new(&mut hooks, Op::Read(Param::Server, Dialect::Query));
    let mut now = Instant::ZERO;
    let mut attempts = 0;
    let done = loop {
        match call.poll(&mut engine, now) {
            Io::Write(t) => {
                attempts += 1;
                // Each attempt waits until the deadline the engine gave, at the most.
                assert_eq!(t.deadline(), Instant::ZERO + write_timeout);
                now = now + write_timeout / 4;
                call.wrote(t, Err(ErrorKind::TimedOut.into()));
            }
            Io::Peek(buf) => call.read(buf, Err(ErrorKind::WouldBlock.into())),
            Io::Done(done) => break done,
            other => panic!("{other:?}"),
        }
    };
    assert!(matches!(done, Err(Error::Failed(at_ftp_proto::Error::Timeout(Timer::Write)))));
    assert_eq!(attempts, 4);
}

#[test]
fn a_refused_request_sends_nothing() {
    let mut engine = Engine::default();
    let mut hooks = Session::default();
    let req = Request::new("h", "evil\"\rAT#FTPPW=\"x").with_login("u", "p").with_dir("/");
    let mut call = Call::new(&mut hooks, Op::Get(&req));
    assert!(matches!(call.poll(&mut engine, Instant::ZERO), Io::Done(Err(Error::Refused(_)))));
    assert!(!engine.is_busy());
}

#[test]
fn the_wire_hook_sees_what_the_port_took_and_gave() {
    let mut line = Line::new(Vec::new());
    let mut engine: Engine = Engine::new(Config { resync: false, ..Config::default() }).unwrap();
    let mut hooks = Session::default();
    let wire = Arc::new(Mutex::new(String::new()));
    let log = wire.clone();
    hooks.on_wire(move |w| {
        let mut log = log.lock().unwrap();
        match w {
            at_ftp_host::Wire::Sent(t) => log.push_str(&format!("> {t}\n")),
            at_ftp_host::Wire::Received(b) => log.push_str(&format!("< {}\n", b.escape_ascii())),
        }
    });
    let mut call = Call::new(&mut hooks, Op::Read(Param::Port, Dialect::Query));
    // Short writes of 3 bytes: each shows what went out.
    let done = loop {
        match call.poll(&mut engine, line.now) {
            Io::Write(t) => {
                let n = t.bytes().len().min(3);
                line.modem.handle_input(&t.bytes()[..n]);
                call.wrote(t, Ok(n));
            }
            Io::Read { buf, .. } => {
                let out = line.modem.take_output();
                buf[..out.len()].copy_from_slice(&out);
                call.read(buf, Ok(out.len()));
            }
            Io::Peek(buf) => call.read(buf, Err(ErrorKind::WouldBlock.into())),
            Io::Again => {}
            Io::Done(done) => break done,
            other => panic!("{other:?}"),
        }
    };
    drop(call);
    assert_eq!(done.unwrap().value().unwrap(), b"21");
    let wire = wire.lock().unwrap();
    assert!(wire.contains("> AT#\n> FTP\n> POR\n> T?\\x0d\n"), "{wire}");
    assert!(wire.contains("< AT#FTPPORT?"), "{wire}");
}

#[test]
fn a_part_file_appears_only_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("f");
    std::fs::write(&target, b"old").unwrap();
    let part = PartFile::create(&target).unwrap();
    io::Write::write_all(&mut part.file(), b"new").unwrap();
    let failed: Result<(), Error> = Err(Error::Local(ErrorKind::Other.into()));
    assert!(matches!(part.finish(failed), Err(Error::Local(_))));
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let part = PartFile::create(&target).unwrap();
    io::Write::write_all(&mut part.file(), b"new").unwrap();
    assert_eq!(part.finish(Ok(3)).unwrap(), 3);
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn a_part_file_gets_the_mode_of_the_file_it_replaces_or_a_new_files_mode() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    // What this process's umask makes of a new file: 0666 less it.
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"").unwrap();
    let new_mode = mode(&probe);
    let target = dir.path().join("new");
    let part = PartFile::create(&target).unwrap();
    assert_eq!(mode(part.path()), new_mode, "not the temporary file's 0600");
    part.finish(Ok(())).unwrap();
    assert_eq!(mode(&target), new_mode);
    // A replaced file keeps its mode, whatever it was.
    for old in [0o640, 0o664, 0o755, 0o600] {
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(old)).unwrap();
        PartFile::create(&target).unwrap().finish(Ok(())).unwrap();
        assert_eq!(mode(&target), old, "{old:o}");
    }
}
