//! The blocking client end to end: the emulator on a pty, the in-process FTP server, real
//! files, byte for byte.
#![allow(clippy::unwrap_used)]

use std::io::{self, Write};
use std::time::{Duration, Instant};

use at_ftp_blocking::{Client, Error, Line};
use at_ftp_modem::{Faults, Options, Testbed, sample};
use at_ftp_proto::{Config, DLE, Dialect, ETX, LinkRequest, ModemError, Param, Phase, Request};

fn bed(faults: Faults) -> Testbed {
    Testbed::new(Options { faults, ..Options::default() }).unwrap()
}

fn client(bed: &Testbed, config: Config) -> Client {
    Client::open(&bed.line().to_string_lossy(), &Line { config, ..Line::default() }).unwrap()
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
    assert_eq!(c.get_to_file(&bed.request("big"), &target).unwrap(), 16 << 20);
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

    let err = c.get_to_file(&bed.request("missing"), &target).unwrap_err();
    assert!(
        matches!(err, Error::Failed(at_ftp_proto::Error::Modem(e)) if e == cme(38016)),
        "{err}"
    );
    let mut req = bed.request("missing");
    req.server = "no-such-host.test";
    let err = c.get_to_file(&req, &target).unwrap_err();
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
    let err = c.get_to_file(&bed.request("f"), &fresh).unwrap_err();
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
    let abort = c.abort_handle();
    c.on_progress(move |n| {
        if n >= 100_000 {
            abort.abort();
        }
    });
    let mut part = Vec::new();
    let err = c.get(&bed.request("f"), &mut part).unwrap_err();
    assert!(matches!(err, Error::Failed(at_ftp_proto::Error::Aborted)), "{err}");
    assert!(part.len() >= 100_000 && part.len() < bytes.len(), "{}", part.len());
    assert!(part == bytes[..part.len()]);
    // The modem is back in command mode: the next call works.
    c.on_progress(|_| {});
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
    let start = Instant::now();
    let mut part = Vec::new();
    let err = c.get(&bed.request("f"), &mut part).unwrap_err();
    let elapsed = start.elapsed();
    assert!(matches!(err, Error::Failed(at_ftp_proto::Error::Timeout(Phase::Data))), "{err}");
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
    let req = Request::new("h", "u", "p", "/", "f");
    let err = c.get(&req, &mut io::sink()).unwrap_err();
    assert!(matches!(err, Error::Port(_)), "{err} ({})", line.display());
}

#[test]
fn refused_parameters_never_reach_the_port() {
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let req = Request::new(Testbed::HOST, "u", "p", "/", "evil\"\rAT#FTPPW=\"x");
    let err = c.get(&req, &mut io::sink()).unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err}");
    // Nothing was sent: the stored file name is still unset.
    assert_eq!(c.read_param(Param::GetFileName, Dialect::Query).unwrap(), b"");
}

/// Peak resident memory of this process, from `/proc/self/status`.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn memory_stays_flat_whatever_the_file_size() {
    let bed = bed(Faults::default());
    // Written in pieces, so that the test itself never holds the big file.
    let mut f = std::fs::File::create(bed.file("big")).unwrap();
    for i in 0..128 {
        f.write_all(&sample(1 << 20, i)).unwrap();
    }
    std::fs::write(bed.file("small"), sample(1 << 20, 1)).unwrap();
    let mut c = client(&bed, Config::default());
    let out = tempfile::tempdir().unwrap();
    c.get_to_file(&bed.request("small"), &out.path().join("small")).unwrap();
    let after_small = peak_kib();
    let got = c.get_to_file(&bed.request("big"), &out.path().join("big")).unwrap();
    let after_big = peak_kib();
    assert_eq!(got, 128 << 20);
    // 128 times the data moved through; the peak may not grow by more than a few buffers.
    let growth = after_big.saturating_sub(after_small);
    eprintln!("peak RSS after 1 MiB: {after_small} KiB, after 128 MiB: {after_big} KiB");
    assert!(growth < 8 * 1024, "peak grew by {growth} KiB ({after_small} -> {after_big})");
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
        at_ftp_proto::Wire::Sent(t) => s.lock().unwrap().push_str(&t.to_string()),
        at_ftp_proto::Wire::Received(b) => r.lock().unwrap().extend_from_slice(b),
    });
    let counts = Arc::new(Mutex::new(Vec::new()));
    let k = counts.clone();
    c.on_progress(move |n| k.lock().unwrap().push(n));
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
    c.on_progress(move |n| seen.store(n, Ordering::Relaxed));
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
