//! The async client end to end: the emulator on a pty, the in-process FTP server, real files,
//! byte for byte; and the same client on an in-memory duplex stream.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use at_ftp_modem::{Faults, Modem, Options, Testbed, sample};
use at_ftp_proto::{Config, DLE, Dialect, ETX, LinkRequest, ModemError, Param, Request, Timer};
use at_ftp_tokio::{Algorithm, Client, Digest, Error, Event, Serial, Verify};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_serial::SerialStream;

fn bed(faults: Faults) -> Testbed {
    Testbed::new(Options { faults, ..Options::default() }).unwrap()
}

fn client(bed: &Testbed, config: Config) -> Client<SerialStream> {
    Client::open(&bed.line().to_string_lossy(), &Serial { config, ..Serial::default() }).unwrap()
}

fn is_cme(err: &Error, code: u32) -> bool {
    matches!(err, Error::Failed(at_ftp_proto::Error::Modem(ModemError::Cme(c))) if *c == code)
}

/// The last progress count of `c`'s transfers, as they go.
fn watch_progress<T: AsyncRead + AsyncWrite + Unpin>(c: &mut Client<T>) -> Arc<AtomicU64> {
    let progress = Arc::new(AtomicU64::new(0));
    let seen = progress.clone();
    c.on_event(move |e| {
        if let Event::Progress(n) = e {
            seen.store(n, Ordering::Relaxed);
        }
    });
    progress
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trips_in_every_modem_style() {
    let files =
        [vec![], vec![ETX], vec![DLE], [DLE, ETX, ETX, DLE, DLE].repeat(1000), sample(1 << 20, 1)];
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
        for (i, bytes) in files.iter().enumerate() {
            let name = format!("f{i}");
            let sent = c.put(&bed.request(&name), &mut bytes.as_slice()).await.unwrap();
            assert_eq!(sent, bytes.len() as u64, "{name} {faults:?}");
            assert!(std::fs::read(bed.file(&name)).unwrap() == *bytes, "{name} {faults:?}");
            let mut back = Vec::new();
            let got = c.get(&bed.request(&name), &mut back).await.unwrap();
            assert_eq!(got, bytes.len() as u64, "{name} {faults:?}");
            assert!(back == *bytes, "{name} {faults:?}: the download differs");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_mebibytes_both_ways_and_to_a_file() {
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let bytes = sample(16 << 20, 2);
    assert_eq!(c.put(&bed.request("big"), &mut bytes.as_slice()).await.unwrap(), 16 << 20);
    assert!(std::fs::read(bed.file("big")).unwrap() == bytes);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("big.bin");
    assert_eq!(
        c.get_to_file(&bed.request("big"), &target, &Verify::new()).await.unwrap(),
        16 << 20
    );
    assert!(std::fs::read(&target).unwrap() == bytes);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_parameters_and_failures_before_data() {
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let link = LinkRequest { apn: "internet", user: "", password: "" };
    assert_eq!(c.link_up(&link).await.unwrap(), Some([10, 64, 3, 17].into()));
    assert_eq!(c.link_up(&link).await.unwrap(), None);
    assert_eq!(c.read_param(Param::LinkState, Dialect::Query).await.unwrap(), b"CONNECTED");
    c.link_down().await.unwrap();
    assert_eq!(c.read_param(Param::LinkState, Dialect::Query).await.unwrap(), b"IDLE");

    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("kept.bin");
    std::fs::write(&target, b"the old file").unwrap();
    let err = c.get_to_file(&bed.request("missing"), &target, &Verify::new()).await.unwrap_err();
    assert!(is_cme(&err, 38016), "{err}");
    let mut req = bed.request("missing");
    req.server = "no-such-host.test";
    let err = c.get_to_file(&req, &target, &Verify::new()).await.unwrap_err();
    assert!(is_cme(&err, 38027), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), b"the old file");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1, "a temporary file was left");

    for dialect in [Dialect::Query, Dialect::Legacy] {
        let value = c.read_param(Param::GetFileName, dialect).await.unwrap();
        assert_eq!(value, b"missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_handle_ends_a_download_and_the_client_goes_on() {
    let bed = Testbed::new(Options { baud: Some(2_000_000), ..Options::default() }).unwrap();
    let bytes = sample(400_000, 4);
    std::fs::write(bed.file("f"), &bytes).unwrap();
    let mut c = client(&bed, Config::default());
    let abort = c.abort_handle();
    c.on_event(move |e| {
        if let Event::Progress(n) = e
            && n >= 100_000
        {
            abort.abort();
        }
    });
    let mut part = Vec::new();
    let err = c.get(&bed.request("f"), &mut part).await.unwrap_err();
    assert!(matches!(err, Error::Failed(at_ftp_proto::Error::Aborted)), "{err}");
    assert!(part.len() >= 100_000 && part.len() < bytes.len(), "{}", part.len());
    assert!(part == bytes[..part.len()]);
    c.on_event(|_| {});
    assert_eq!(c.read_param(Param::GetFileName, Dialect::Query).await.unwrap(), b"f");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_future_is_drained_by_the_next_call() {
    let bed = Testbed::new(Options { baud: Some(2_000_000), ..Options::default() }).unwrap();
    let bytes = sample(300_000, 5);
    std::fs::write(bed.file("f"), &bytes).unwrap();
    let mut c = client(&bed, Config::default());
    // The line's first resynchronisation first, so that the cancellation lands in the data.
    c.resync().await.unwrap();
    let progress = watch_progress(&mut c);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("f.bin");
    // Cancelled in the middle of the data (300 kB take 1.5 s at this rate).
    let cut = tokio::time::timeout(
        Duration::from_millis(400),
        c.get_to_file(&bed.request("f"), &target, &Verify::new()),
    )
    .await;
    assert!(cut.is_err(), "the download finished before the cancellation");
    let at_cut = progress.load(Ordering::Relaxed);
    assert!(at_cut > 0 && at_cut < 300_000, "not cancelled in the data: {at_cut} bytes came");
    assert!(!target.exists());
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "the temporary file was left");
    // The next call first drains the cancelled download, then works.
    let mut back = Vec::new();
    assert_eq!(c.get(&bed.request("f"), &mut back).await.unwrap(), 300_000);
    assert!(back == bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modem_silence_is_a_timeout_within_the_deadline() {
    let bed = bed(Faults { silence_after: Some(1000), ..Faults::default() });
    std::fs::write(bed.file("f"), sample(5000, 6)).unwrap();
    let config = Config { data_timeout: Duration::from_millis(400), ..Config::default() };
    let mut c = client(&bed, config);
    // The line's first resynchronisation is not part of the measure.
    c.resync().await.unwrap();
    let start = Instant::now();
    let mut part = Vec::new();
    let err = c.get(&bed.request("f"), &mut part).await.unwrap_err();
    let elapsed = start.elapsed();
    assert!(matches!(err, Error::Failed(at_ftp_proto::Error::Timeout(Timer::Data))), "{err}");
    assert_eq!(part.len(), 1000);
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_port_going_away_is_a_port_error() {
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    drop(bed);
    let err = c
        .get(&Request::new("h", "f").with_login("u", "p").with_dir("/"), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Port(_)), "{err}");
}

/// Any `AsyncRead + AsyncWrite` works: here an in-memory duplex with the sans-IO modem on the
/// other end, serving one download from memory.
#[tokio::test]
async fn a_duplex_stream_works_as_well_as_a_port() {
    let (near, mut far) = tokio::io::duplex(64);
    let file = sample(20_000, 7);
    let served = file.clone();
    let modem = tokio::spawn(async move {
        let mut m = Modem::default();
        let mut buf = [0u8; 256];
        loop {
            let n = far.read(&mut buf).await.unwrap();
            if n == 0 {
                return;
            }
            m.handle_input(&buf[..n]);
            if m.poll_job().is_some() {
                m.data_begin();
                m.send_data(&served);
                m.data_end(Ok(()));
            }
            far.write_all(&m.take_output()).await.unwrap();
        }
    });
    let mut c = Client::new(near, Config::default()).unwrap();
    let mut back = Vec::new();
    let req = Request::new("ftp.example.com", "f").with_login("u", "p").with_dir("/");
    assert_eq!(c.get(&req, &mut back).await.unwrap(), 20_000);
    assert!(back == file);
    drop(c);
    modem.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_modem_fails_midway_stops_and_the_next_call_is_in_step() {
    let bed = bed(Faults { fail_upload_after: Some(20_000), ..Faults::default() });
    let mut c = client(&bed, Config::default());
    let mut file = sample(20_000, 10);
    for _ in 0..20_000 {
        file.extend_from_slice(b"\rAT#FTPGETFILENAME=\"evil\"\r");
    }
    let err = c.put(&bed.request("up"), &mut file.as_slice()).await.unwrap_err();
    assert!(is_cme(&err, 37966), "{err}");
    // The answers to the bytes that reached a modem in command mode were drained.
    assert_eq!(c.read_param(Param::PutFileName, Dialect::Query).await.unwrap(), b"up");
}

/// A modem on the far end of a narrow duplex that reads slowly: an upload takes a while.
async fn slow_modem(mut far: tokio::io::DuplexStream) -> Modem {
    let mut m = Modem::default();
    let mut buf = [0u8; 64];
    let mut uploading = false;
    loop {
        let n = match far.read(&mut buf).await {
            Ok(0) | Err(_) => return m,
            Ok(n) => n,
        };
        tokio::time::sleep(Duration::from_micros(300)).await;
        m.handle_input(&buf[..n]);
        if let Some(job) = m.poll_job() {
            assert!(job.put);
            m.ready_for_data();
            uploading = true;
        }
        if uploading {
            let (_, ended) = m.take_upload();
            if ended {
                m.upload_done(Ok(()));
                uploading = false;
            }
        }
        if far.write_all(&m.take_output()).await.is_err() {
            return m;
        }
    }
}

#[tokio::test]
async fn a_call_dropped_mid_write_is_resumed_so_the_modem_stays_in_step() {
    let (near, far) = tokio::io::duplex(63);
    let modem = tokio::spawn(slow_modem(far));
    let mut c = Client::new(near, Config::default()).unwrap();
    // The line's first resynchronisation first, so that the cancellation lands in the data.
    c.resync().await.unwrap();
    let progress = watch_progress(&mut c);
    // All DLEs: every byte is stuffed in two, so a write cut anywhere may split a pair.
    let file = vec![DLE; 200_000];
    let req = Request::new("ftp.example.com", "up.bin").with_login("u", "p").with_dir("/");
    let mut source = file.as_slice();
    let cut = tokio::time::timeout(Duration::from_millis(300), c.put(&req, &mut source)).await;
    assert!(cut.is_err(), "the upload finished before the cancellation");
    let at_cut = progress.load(Ordering::Relaxed);
    assert!(at_cut > 0 && at_cut < 200_000, "not cancelled in the data: {at_cut} bytes taken");
    // The next call finishes the cut write, ends the upload, and is answered.
    let value = c.read_param(Param::PutFileName, Dialect::Query).await.unwrap();
    assert_eq!(value, b"up.bin");
    drop(c);
    let m = modem.await.unwrap();
    assert_eq!(m.param("FTPPUTFILENAME"), Some("up.bin"));
}

/// URCs, progress and the steps of the first resynchronisation all reach the one hook.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_reaches_the_event_hook() {
    use std::sync::Mutex;
    let bed = bed(Faults { urc_before_data: true, urc_after_data: true, ..Faults::default() });
    std::fs::write(bed.file("f"), sample(10_000, 14)).unwrap();
    let mut c = client(&bed, Config::default());
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    c.on_event(move |e| seen.lock().unwrap().push(format!("{e:?}")));
    c.get(&bed.request("f"), &mut tokio::io::sink()).await.unwrap();
    let events = events.lock().unwrap();
    let has = |what: &str| events.iter().any(|e| e.contains(what));
    assert!(has("Resync(Probed") && has("Resync(InCommandMode)"), "{events:?}");
    // `RING`, before the data and after it.
    let rings = events.iter().filter(|e| *e == "Unsolicited([82, 73, 78, 71])").count();
    assert!(rings == 2 && has("DataBegin"), "{events:?}");
    assert_eq!(events.iter().rfind(|e| e.starts_with("Progress")).unwrap(), "Progress(10000)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_download_and_its_checksum_file() {
    let bed = bed(Faults::default());
    let bytes = sample(40_000, 23);
    std::fs::write(bed.file("f.bin"), &bytes).unwrap();
    let line = std::process::Command::new("sha256sum").arg(bed.file("f.bin")).output().unwrap();
    let line = String::from_utf8(line.stdout).unwrap();
    let digest = Digest::from_hex(Algorithm::Sha256, line.split_whitespace().next().unwrap());
    let mut c = client(&bed, Config::default());
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("f.bin");
    let verify = Verify::new().size(40_000).expect(digest.unwrap());
    assert_eq!(c.get_to_file(&bed.request("f.bin"), &target, &verify).await.unwrap(), 40_000);
    assert!(std::fs::read(&target).unwrap() == bytes);
    // No checksum file yet: a failure naming both, the good file kept.
    let sidecar = Verify::new().sidecar();
    let err = c.get_to_file(&bed.request("f.bin"), &target, &sidecar).await.unwrap_err();
    assert!(err.to_string().contains("f.bin.sha256 and f.bin.md5"), "{err}");
    // A checksum file for other bytes: a mismatch, the good file kept.
    std::fs::write(bed.file("f.bin.sha256"), format!("{}  f.bin\n", "ab".repeat(32))).unwrap();
    let err = c.get_to_file(&bed.request("f.bin"), &target, &sidecar).await.unwrap_err();
    assert!(matches!(err, Error::Mismatch(_)), "{err}");
    assert!(std::fs::read(&target).unwrap() == bytes);
    std::fs::write(bed.file("f.bin.sha256"), line).unwrap();
    assert_eq!(c.get_to_file(&bed.request("f.bin"), &target, &sidecar).await.unwrap(), 40_000);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_upload_proves_the_servers_copy_or_says_it_differs() {
    let bytes = sample(20_000, 25);
    let bed = bed(Faults::default());
    let mut c = client(&bed, Config::default());
    let (sent, digest) =
        c.put_verified(&bed.request("up.bin"), &mut bytes.as_slice()).await.unwrap();
    assert_eq!(sent, 20_000);
    let line = std::process::Command::new("sha256sum").arg(bed.file("up.bin")).output().unwrap();
    let line = String::from_utf8(line.stdout).unwrap();
    assert_eq!(digest.hex(), line.split_whitespace().next().unwrap());

    let corrupting = self::bed(Faults { corrupt_upload_at: Some(19_999), ..Faults::default() });
    let mut c = client(&corrupting, Config::default());
    let err =
        c.put_verified(&corrupting.request("up.bin"), &mut bytes.as_slice()).await.unwrap_err();
    assert!(matches!(err, Error::Mismatch(_)), "{err}");
}
