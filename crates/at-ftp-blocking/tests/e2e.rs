//! The blocking client end to end: the emulator on a pty, the in-process FTP server, real
//! files, byte for byte.
#![allow(clippy::unwrap_used)]

use std::io::{self, Write};
use std::time::{Duration, Instant};

use at_ftp_blocking::{Algorithm, Client, Digest, Error, Event, Serial, Verify, Wire};
use at_ftp_modem::{Faults, Modem, Options, Testbed, sample};
use at_ftp_proto::{Config, DLE, Dialect, ETX, LinkRequest, ModemError, Param, Request, Timer};

fn bed(faults: Faults) -> Testbed {
    Testbed::new(Options { faults, ..Options::default() }).unwrap()
}

fn client(bed: &Testbed, config: Config) -> Client {
    Client::open(&bed.line().to_string_lossy(), &Serial { config, ..Serial::default() }).unwrap()
}

fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", vec![]),
        ("etx", vec![ETX]),
        ("dle", vec![DLE]),
        ("specials", [DLE, ETX, ETX, DLE, DLE].repeat(1000)),
        ("mib", sample(1 << 20, 1)),
    ]
}

fn cme(code: u32) -> ModemError {
    ModemError::Cme(code)
}

/// Aborts `c`'s transfer once `bytes` of it have moved.
fn abort_at(c: &mut Client, bytes: u64) {
    let abort = c.abort_handle();
    c.on_event(move |e| {
        if let Event::Progress(n) = e
            && n >= bytes
        {
            abort.abort();
        }
    });
}

/// Puts then gets every file, in every modem style the issue names.
#[test]
fn round_trips_in_every_modem_style() {
    let styles = [
        Faults::default(),
        Faults { echo_off: true, ..Faults::default() },
        Faults { numeric: true, ..Faults::default() },
        Faults {
            urc_before_data: true,
            urc_after_data: true,
            nul_noise: true,
            ..Faults::default()
        },
    ];
    for faults in styles {
        let bed = bed(faults.clone());
        let mut c = client(&bed, Config::default());
        for (name, bytes) in files() {
            let sent = c.put(&bed.request(name), &mut bytes.as_slice()).unwrap();
            assert_eq!(sent, bytes.len() as u64, "{name} {faults:?}");
            assert!(std::fs::read(bed.file(name)).unwrap() == bytes, "{name} {faults:?}");
            let mut back = Vec::new();
            let got = c.get(&bed.request(name), &mut back).unwrap();
            assert_eq!(got, bytes.len() as u64, "{name} {faults:?}");
            assert!(back == bytes, "{name} {faults:?}: the download differs");
        }
    }
}

#[test]
fn sixteen_mebibytes_both_ways_and_to_a_file() {
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let bytes = sample(16 << 20, 2);
    assert_eq!(c.put(&bed.request("big"), &mut bytes.as_slice()).unwrap(), 16 << 20);
    assert!(std::fs::read(bed.file("big")).unwrap() == bytes);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("big.bin");
    assert_eq!(c.get_to_file(&bed.request("big"), &target, &Verify::new()).unwrap(), 16 << 20);
    assert!(std::fs::read(&target).unwrap() == bytes);
    // Nothing else is left beside it: the temporary file became the target.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
}

#[test]
fn link_and_parameters_read_back() {
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let link = LinkRequest { apn: "internet", user: "", password: "" };
    assert_eq!(c.link_up(&link).unwrap(), Some([10, 64, 3, 17].into()));
    // A second time the modem says 35840: already up, which is success without an address.
    assert_eq!(c.link_up(&link).unwrap(), None);
    assert_eq!(c.read_param(Param::LinkState, Dialect::Query).unwrap(), b"CONNECTED");
    c.link_down().unwrap();
    assert_eq!(c.read_param(Param::LinkState, Dialect::Legacy).unwrap(), b"IDLE");
    // Down, it comes up again with an address.
    assert_eq!(c.link_up(&link).unwrap(), Some([10, 64, 3, 17].into()));
    c.get(&bed.request("nothing"), &mut io::sink()).unwrap_err();
    for dialect in [Dialect::Query, Dialect::Legacy] {
        assert_eq!(c.read_param(Param::Server, dialect).unwrap(), Testbed::HOST.as_bytes());
        assert_eq!(c.read_param(Param::GetFileName, dialect).unwrap(), b"nothing");
    }
}

#[test]
fn a_failed_get_to_file_leaves_the_old_file_and_nothing_else() {
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("kept.bin");
    std::fs::write(&target, b"the old file").unwrap();

    let err = c.get_to_file(&bed.request("missing"), &target, &Verify::new()).unwrap_err();
    assert!(
        matches!(err, Error::Failed(at_ftp_proto::Error::Modem(e)) if e == cme(38016)),
        "{err}"
    );
    let mut req = bed.request("missing");
    req.server = "no-such-host.test";
    let err = c.get_to_file(&req, &target, &Verify::new()).unwrap_err();
    assert!(
        matches!(err, Error::Failed(at_ftp_proto::Error::Modem(e)) if e == cme(38027)),
        "{err}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"the old file");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1, "a temporary file was left");

    // A transfer that breaks after its data started fails too, and leaves nothing new.
    let bed = Testbed::new(Options {
        faults: Faults { abort_after: Some(10_000), ..Faults::default() },
        ..Options::default()
    })
    .unwrap();
    std::fs::write(bed.file("f"), sample(50_000, 3)).unwrap();
    let mut c = client(&bed, Config::default());
    let fresh = out.path().join("fresh.bin");
    let err = c.get_to_file(&bed.request("f"), &fresh, &Verify::new()).unwrap_err();
    assert!(
        matches!(err, Error::Failed(at_ftp_proto::Error::Modem(e)) if e == cme(37966)),
        "{err}"
    );
    assert!(!fresh.exists());
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1, "a temporary file was left");
}

#[test]
fn an_abort_mid_download_ends_it_and_the_client_goes_on() {
    let bed = Testbed::new(Options { baud: Some(2_000_000), ..Options::default() }).unwrap();
    let bytes = sample(400_000, 4);
    std::fs::write(bed.file("f"), &bytes).unwrap();
    let mut c = client(&bed, Config::default());
    abort_at(&mut c, 100_000);
    let mut part = Vec::new();
    let err = c.get(&bed.request("f"), &mut part).unwrap_err();
    assert!(matches!(err, Error::Failed(at_ftp_proto::Error::Aborted)), "{err}");
    assert!(part.len() >= 100_000 && part.len() < bytes.len(), "{}", part.len());
    assert!(part == bytes[..part.len()]);
    // The modem is back in command mode: the next call works.
    c.on_event(|_| {});
    assert_eq!(c.read_param(Param::GetFileName, Dialect::Query).unwrap(), b"f");
}

#[test]
fn a_sink_that_fails_aborts_and_reports_the_local_error() {
    struct Full(usize);
    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 > 50_000 {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let bed = bed(Faults::default());
    std::fs::write(bed.file("f"), sample(1 << 20, 5)).unwrap();
    let mut c = client(&bed, Config::default());
    let err = c.get(&bed.request("f"), &mut Full(0)).unwrap_err();
    assert!(matches!(&err, Error::Local(e) if e.kind() == io::ErrorKind::StorageFull), "{err}");
    assert_eq!(c.read_param(Param::GetFileName, Dialect::Query).unwrap(), b"f");
}

#[test]
fn modem_silence_is_a_timeout_within_the_deadline() {
    let bed = bed(Faults { silence_after: Some(1000), ..Faults::default() });
    std::fs::write(bed.file("f"), sample(5000, 6)).unwrap();
    let config = Config { data_timeout: Duration::from_millis(400), ..Config::default() };
    let mut c = client(&bed, config);
    // The line's first resynchronisation is not part of the measure.
    c.resync().unwrap();
    let start = Instant::now();
    let mut part = Vec::new();
    let err = c.get(&bed.request("f"), &mut part).unwrap_err();
    let elapsed = start.elapsed();
    assert!(matches!(err, Error::Failed(at_ftp_proto::Error::Timeout(Timer::Data))), "{err}");
    assert_eq!(part.len(), 1000);
    // Not before the deadline; after it, within the abort latency and some slack.
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn the_port_going_away_is_a_port_error() {
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let line = bed.line().to_owned();
    drop(bed); // the emulator, its pty and the server go away
    let req = Request::new("h", "f").with_login("u", "p").with_dir("/");
    let err = c.get(&req, &mut io::sink()).unwrap_err();
    assert!(matches!(err, Error::Port(_)), "{err} ({})", line.display());
}

#[test]
fn refused_parameters_never_reach_the_port() {
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let req =
        Request::new(Testbed::HOST, "evil\"\rAT#FTPPW=\"x").with_login("u", "p").with_dir("/");
    let err = c.get(&req, &mut io::sink()).unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err}");
    // Nothing was sent: the stored file name is still unset.
    assert_eq!(c.read_param(Param::GetFileName, Dialect::Query).unwrap(), b"");
}

#[test]
fn the_wire_tap_sees_both_directions_and_progress_counts_uploads() {
    use std::sync::{Arc, Mutex};
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let sent = Arc::new(Mutex::new(String::new()));
    let received = Arc::new(Mutex::new(Vec::new()));
    let (s, r) = (sent.clone(), received.clone());
    c.on_wire(move |w| match w {
        Wire::Sent(t) => s.lock().unwrap().push_str(&t.to_string()),
        Wire::Received(b) => r.lock().unwrap().extend_from_slice(b),
    });
    let counts = Arc::new(Mutex::new(Vec::new()));
    let k = counts.clone();
    c.on_event(move |e| {
        if let Event::Progress(n) = e {
            k.lock().unwrap().push(n);
        }
    });
    let bytes = sample(10_000, 8);
    c.put(&bed.request("f"), &mut bytes.as_slice()).unwrap();

    let sent = sent.lock().unwrap();
    assert!(sent.contains("AT#FTPPW=\"***\"\\x0d"), "{sent}");
    assert!(sent.contains("AT#FTPPUT\\x0d"), "{sent}");
    assert!(!sent.contains(Testbed::PASSWORD));
    // The modem's echo carries the password back: the raw tap shows it, as documented.
    let received = String::from_utf8_lossy(&received.lock().unwrap()).into_owned();
    assert!(received.contains("Ok_Info_WaitingForData"), "{received}");
    assert!(received.contains(Testbed::PASSWORD));
    let counts = counts.lock().unwrap();
    assert_eq!(counts.last(), Some(&10_000));
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
}

/// A file whose tail would be commands if it reached a modem in command mode.
fn poisoned(len: usize) -> Vec<u8> {
    let mut file = sample(len, 10);
    for _ in 0..20_000 {
        file.extend_from_slice(b"\rAT#FTPGETFILENAME=\"evil\"\r");
    }
    file
}

#[test]
fn an_upload_the_modem_fails_midway_stops_and_the_next_call_is_in_step() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let faults = Faults { fail_upload_after: Some(20_000), ..Faults::default() };
    let bed = bed(faults);
    let mut c = client(&bed, Config::default());
    let sent = std::sync::Arc::new(AtomicU64::new(0));
    let seen = sent.clone();
    c.on_event(move |e| {
        if let Event::Progress(n) = e {
            seen.store(n, Ordering::Relaxed);
        }
    });
    let file = poisoned(20_000);
    let err = c.put(&bed.request("up"), &mut file.as_slice()).unwrap_err();
    assert!(
        matches!(err, Error::Failed(at_ftp_proto::Error::Modem(e)) if e == cme(37966)),
        "{err}"
    );
    // The host heard the failure while sending and stopped: of 540 kB, little more than the
    // 20 kB the modem took went out (what was already in the pty's buffer reached a modem in
    // command mode, which no host can recall).
    let sent = sent.load(Ordering::Relaxed);
    assert!(sent < 20_000 + 128 * 1024 && (sent as usize) < file.len(), "{sent} bytes sent");
    // The answers to those stray lines were drained: the next command gets its own answer.
    assert_eq!(c.read_param(Param::PutFileName, Dialect::Query).unwrap(), b"up");
}

/// The sans-IO modem on the far end of a byte stream: serves `file` to a download, keeps an
/// upload, until the host goes away.
fn serve(mut stream: impl io::Read + io::Write, file: &[u8]) -> (Modem, Vec<u8>) {
    let mut m = Modem::default();
    let mut uploaded = Vec::new();
    let mut uploading = false;
    let mut buf = [0u8; 4096];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return (m, uploaded),
            Ok(n) => n,
        };
        m.handle_input(&buf[..n]);
        if let Some(job) = m.poll_job() {
            if job.put {
                m.ready_for_data();
                uploading = true;
            } else {
                m.data_begin();
                m.send_data(file);
                m.data_end(Ok(()));
            }
        }
        if uploading {
            let (data, ended) = m.take_upload();
            uploaded.extend_from_slice(&data);
            if ended {
                m.upload_done(Ok(()));
                uploading = false;
            }
        }
        if stream.write_all(&m.take_output()).is_err() {
            return (m, uploaded);
        }
    }
}

/// Any `Port` works: a TCP stream to a serial server (here the sans-IO modem behind a
/// socket), and a `TTYPort` opened by the caller.
#[test]
fn a_tcp_stream_and_a_tty_port_work_as_well_as_a_boxed_port() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let file = sample(50_000, 11);
    let served = file.clone();
    let modem = std::thread::spawn(move || serve(listener.accept().unwrap().0, &served));
    let stream = std::net::TcpStream::connect(addr).unwrap();
    let mut c = Client::new(stream, Config::default()).unwrap();
    let req = Request::new("ftp.example.com", "f").with_login("u", "p").with_dir("/");
    let mut back = Vec::new();
    assert_eq!(c.get(&req, &mut back).unwrap(), 50_000);
    assert!(back == file);
    // An upload peeks at the port between pieces: a socket that has nothing must not block.
    let up = sample(30_000, 12);
    assert_eq!(c.put(&req, &mut up.as_slice()).unwrap(), 30_000);
    drop(c);
    let (m, uploaded) = modem.join().unwrap();
    assert!(uploaded == up);
    assert_eq!(m.param("FTPPUTFILENAME"), Some("f"));

    let bed = bed(Faults::default());
    let bytes = sample(20_000, 13);
    std::fs::write(bed.file("f"), &bytes).unwrap();
    let port = serialport::new(bed.line().to_string_lossy(), 115_200).open_native().unwrap();
    let mut c = Client::new(port, Config::default()).unwrap();
    let mut back = Vec::new();
    assert_eq!(c.get(&bed.request("f"), &mut back).unwrap(), 20_000);
    assert!(back == bytes);
}

/// URCs, progress and the steps of the first resynchronisation all reach the one hook.
#[test]
fn every_event_reaches_the_event_hook() {
    use std::sync::{Arc, Mutex};
    let bed = bed(Faults { urc_before_data: true, urc_after_data: true, ..Faults::default() });
    std::fs::write(bed.file("f"), sample(10_000, 14)).unwrap();
    let mut c = client(&bed, Config::default());
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    c.on_event(move |e| seen.lock().unwrap().push(format!("{e:?}")));
    c.get(&bed.request("f"), &mut io::sink()).unwrap();
    let events = events.lock().unwrap();
    let has = |what: &str| events.iter().any(|e| e.contains(what));
    assert!(has("Resync(Probed") && has("Resync(InCommandMode)"), "{events:?}");
    // `RING`, before the data and after it.
    let rings = events.iter().filter(|e| *e == "Unsolicited([82, 73, 78, 71])").count();
    assert!(rings == 2 && has("DataBegin"), "{events:?}");
    assert_eq!(events.iter().rfind(|e| e.starts_with("Progress")).unwrap(), "Progress(10000)");
}

#[test]
fn an_abort_mid_upload_leaves_a_prefix_on_the_server_and_the_client_goes_on() {
    let bed = Testbed::new(Options { baud: Some(2_000_000), ..Options::default() }).unwrap();
    let bytes = sample(400_000, 15);
    let mut c = client(&bed, Config::default());
    abort_at(&mut c, 100_000);
    let err = c.put(&bed.request("up"), &mut bytes.as_slice()).unwrap_err();
    assert!(matches!(err, Error::Failed(at_ftp_proto::Error::Aborted)), "{err}");
    let kept = std::fs::read(bed.file("up")).unwrap();
    // What was taken from the source, less what was staged or stuffed and not yet written.
    assert!(kept.len() >= 90_000 && kept.len() < bytes.len(), "{}", kept.len());
    assert!(kept == bytes[..kept.len()], "the server kept more than a prefix");
    c.on_event(|_| {});
    assert_eq!(c.read_param(Param::PutFileName, Dialect::Query).unwrap(), b"up");
}

/// The digest line the system's own tool (`sha256sum`, `md5sum`, ...) prints for `path`.
fn tool_line(tool: &str, path: &std::path::Path) -> String {
    let out = std::process::Command::new(tool).arg(path).output().unwrap();
    assert!(out.status.success(), "{tool}");
    String::from_utf8(out.stdout).unwrap()
}

fn tool_digest(tool: &str, algorithm: Algorithm, path: &std::path::Path) -> Digest {
    let line = tool_line(tool, path);
    Digest::from_hex(algorithm, line.split_whitespace().next().unwrap()).unwrap()
}

#[test]
fn a_verified_download_is_committed_only_when_it_is_the_right_file() {
    let bed = bed(Faults::default());
    let bytes = sample(100_000, 21);
    std::fs::write(bed.file("f.bin"), &bytes).unwrap();
    let mut c = client(&bed, Config::default());
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("f.bin");
    let served = bed.file("f.bin");
    let right = [
        tool_digest("sha256sum", Algorithm::Sha256, &served),
        tool_digest("sha1sum", Algorithm::Sha1, &served),
        tool_digest("md5sum", Algorithm::Md5, &served),
    ];
    for digest in &right {
        let verify = Verify::new().size(100_000).expect(digest.clone());
        assert_eq!(c.get_to_file(&bed.request("f.bin"), &target, &verify).unwrap(), 100_000);
        assert!(std::fs::read(&target).unwrap() == bytes, "{digest}");
    }
    // Wrong: each digest with one bit flipped, and a wrong size. The file that was there stays,
    // and nothing else is left.
    std::fs::write(&target, b"the old file").unwrap();
    for digest in &right {
        let mut hex = digest.hex().into_bytes();
        hex[0] = if hex[0] == b'0' { b'1' } else { b'0' };
        let wrong = Digest::from_hex(digest.algorithm(), std::str::from_utf8(&hex).unwrap());
        let verify = Verify::new().expect(wrong.unwrap());
        let err = c.get_to_file(&bed.request("f.bin"), &target, &verify).unwrap_err();
        assert!(
            matches!(&err, Error::Mismatch(at_ftp_blocking::Mismatch::Digest { got, .. })
            if got == digest),
            "{err}"
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"the old file");
    }
    let err = c.get_to_file(&bed.request("f.bin"), &target, &Verify::new().size(99_999));
    assert!(
        matches!(
            err,
            Err(Error::Mismatch(at_ftp_blocking::Mismatch::Size {
                expected: 99_999,
                got: 100_000
            }))
        ),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"the old file");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1, "a temporary file was left");
    // The line is clean after every mismatch: the next download is fine.
    assert_eq!(c.get_to_file(&bed.request("f.bin"), &target, &Verify::new()).unwrap(), 100_000);
}

#[test]
fn a_checksum_file_beside_the_file_says_what_it_must_be() {
    let bed = bed(Faults::default());
    let bytes = sample(30_000, 22);
    std::fs::write(bed.file("f.bin"), &bytes).unwrap();
    let mut c = client(&bed, Config::default());
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("f.bin");
    let sidecar = Verify::new().sidecar();
    // Missing: both names are in the error, nothing is written.
    let err = c.get_to_file(&bed.request("f.bin"), &target, &sidecar).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("f.bin.sha256") && text.contains("f.bin.md5"), "{text}");
    assert!(!target.exists());
    // md5sum's line format, with the server's path in it (ignored).
    let md5 = tool_line("md5sum", &bed.file("f.bin"));
    std::fs::write(bed.file("f.bin.md5"), &md5).unwrap();
    assert!(md5.contains(&bed.file("f.bin").display().to_string()), "{md5}");
    assert_eq!(c.get_to_file(&bed.request("f.bin"), &target, &sidecar).unwrap(), 30_000);
    assert!(std::fs::read(&target).unwrap() == bytes);
    // sha256sum's, preferred over the MD5 one; then a file that no longer matches it.
    let sha = tool_line("sha256sum", &bed.file("f.bin"));
    std::fs::write(bed.file("f.bin.sha256"), &sha).unwrap();
    assert_eq!(c.sidecar(&bed.request("f.bin")).unwrap().algorithm(), Algorithm::Sha256);
    let mut changed = bytes.clone();
    changed[12_345] ^= 1;
    std::fs::write(bed.file("f.bin"), &changed).unwrap();
    let err = c.get_to_file(&bed.request("f.bin"), &target, &sidecar).unwrap_err();
    assert!(matches!(err, Error::Mismatch(_)), "{err}");
    assert!(std::fs::read(&target).unwrap() == bytes, "the good file was replaced");
    // A checksum file that names only another file.
    std::fs::write(bed.file("f.bin.sha256"), sha.replace("f.bin", "g.bin")).unwrap();
    let err = c.get_to_file(&bed.request("f.bin"), &target, &sidecar).unwrap_err();
    assert!(err.to_string().contains("has no line for f.bin"), "{err}");
}

/// The command lines `c` writes while `f` runs.
fn commands_of<T>(c: &mut Client, f: impl FnOnce(&mut Client) -> T) -> (T, Vec<String>) {
    use std::sync::{Arc, Mutex};
    let sent = Arc::new(Mutex::new(String::new()));
    let s = sent.clone();
    c.on_wire(move |w| {
        if let Wire::Sent(t) = w
            && t.is_command()
        {
            s.lock().unwrap().push_str(&t.to_string());
        }
    });
    let out = f(c);
    let text = sent.lock().unwrap().clone();
    let lines = text.split("\\x0d").filter(|l| !l.is_empty()).map(str::to_owned).collect();
    (out, lines)
}

#[test]
fn a_session_sends_only_the_settings_whose_value_changed() {
    let bed = bed(Faults::default());
    for name in ["a", "b", "c"] {
        std::fs::write(bed.file(name), name.repeat(100)).unwrap();
    }
    let mut c = client(&bed, Config::default());
    let (got, first) = commands_of(&mut c, |c| c.get(&bed.request("a"), &mut io::sink()));
    assert_eq!(got.unwrap(), 100);
    // The first transfer of a session sets everything (after the resynchronisation's AT).
    assert!(first.iter().any(|l| l.starts_with("AT#FTPSERV=")), "{first:?}");
    assert_eq!(first.len(), 9, "{first:?}");
    // The next file of the same directory: its name and the transfer only.
    let (got, second) = commands_of(&mut c, |c| c.get(&bed.request("b"), &mut io::sink()));
    assert_eq!(got.unwrap(), 100);
    assert_eq!(second, ["AT#FTPGETFILENAME=\"b\"", "AT#FTPGET"]);
    // An upload has its own path and name commands; a failed download (the modem's answer)
    // keeps what was set.
    let (got, put) = commands_of(&mut c, |c| c.put(&bed.request("up"), &mut &b"xyz"[..]));
    assert_eq!(got.unwrap(), 3);
    assert_eq!(put, ["AT#FTPPUTPATH=\"/\"", "AT#FTPPUTFILENAME=\"up\"", "AT#FTPPUT"]);
    let (got, missing) = commands_of(&mut c, |c| c.get(&bed.request("nope"), &mut io::sink()));
    assert!(matches!(got, Err(Error::Failed(_))));
    assert_eq!(missing, ["AT#FTPGETFILENAME=\"nope\"", "AT#FTPGET"]);
    // Another password: its command goes again (shown redacted).
    let mut req = bed.request("c");
    req.password = "another";
    let (_, other) = commands_of(&mut c, |c| c.get(&req, &mut io::sink()));
    assert_eq!(other, ["AT#FTPPW=\"***\"", "AT#FTPGETFILENAME=\"c\"", "AT#FTPGET"]);
    // An abort may leave a command half sent: everything is set again after it.
    abort_at(&mut c, 1);
    let aborted = c.get(&bed.request("a"), &mut io::sink());
    assert!(matches!(aborted, Err(Error::Failed(at_ftp_proto::Error::Aborted))), "{aborted:?}");
    c.on_event(|_| {});
    let (got, after) = commands_of(&mut c, |c| c.get(&bed.request("a"), &mut io::sink()));
    assert_eq!(got.unwrap(), 100);
    assert!(after.iter().any(|l| l.starts_with("AT#FTPSERV=")), "{after:?}");
    // A new session (another process) assumes nothing.
    drop(c);
    let mut c = client(&bed, Config::default());
    let (_, fresh) = commands_of(&mut c, |c| c.get(&bed.request("b"), &mut io::sink()));
    assert_eq!(fresh.len(), 9, "{fresh:?}");
}

#[test]
fn a_verified_upload_proves_the_servers_copy_or_says_it_differs() {
    let bytes = sample(20_000, 24);
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let (sent, digest) = c.put_verified(&bed.request("up.bin"), &mut bytes.as_slice()).unwrap();
    assert_eq!(sent, 20_000);
    assert_eq!(digest, tool_digest("sha256sum", Algorithm::Sha256, &bed.file("up.bin")));

    let bed = bed_with_corruption(777);
    let mut c = client(&bed, Config::default());
    let err = c.put_verified(&bed.request("up.bin"), &mut bytes.as_slice()).unwrap_err();
    assert!(matches!(err, Error::Mismatch(at_ftp_blocking::Mismatch::Digest { .. })), "{err}");
}

fn bed_with_corruption(at: u64) -> Testbed {
    bed(Faults { corrupt_upload_at: Some(at), ..Faults::default() })
}
