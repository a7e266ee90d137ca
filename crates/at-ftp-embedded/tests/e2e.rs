//! The embedded clients end to end on the host: the emulator on a pty with the in-process FTP
//! server, real files, byte for byte. The async client runs over the pty through
//! `embedded-io-adapters` (tokio), the blocking one over the pty as an `embedded-io` UART
//! (`ReadReady` from the bytes the tty holds); both with the default engine and the
//! microcontroller preset.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

mod common;

use at_ftp_embedded::{AsyncClock, Clock, Error, asynch, blocking};
use at_ftp_modem::{Faults, Options, Testbed, sample};
use at_ftp_proto::{
    Config, DLE, Dialect, ETX, Engine, Instant, LinkRequest, ModemError, Param, SmallEngine, Timer,
};
use common::{StdClock, Uart};
use embedded_io_adapters::tokio_1::FromTokio;
use tokio_serial::SerialStream;

fn bed(faults: Faults) -> Testbed {
    Testbed::new(Options { faults, ..Options::default() }).unwrap()
}

fn is_cme(err: &Error, code: u32) -> bool {
    matches!(err, Error::Failed(at_ftp_proto::Error::Modem(ModemError::Cme(c))) if *c == code)
}

/// Time since the clock was made, from tokio's clock.
#[derive(Clone, Copy)]
struct TokioClock(tokio::time::Instant);

impl TokioClock {
    fn new() -> Self {
        TokioClock(tokio::time::Instant::now())
    }
}

impl Clock for TokioClock {
    fn now(&mut self) -> Instant {
        Instant::from_elapsed(self.0.elapsed())
    }
}

impl AsyncClock for TokioClock {
    async fn wait_until(&mut self, deadline: Instant) {
        tokio::time::sleep_until(self.0 + deadline.elapsed()).await;
    }
}

/// The pty as an async `embedded-io` port.
fn async_port(bed: &Testbed) -> FromTokio<SerialStream> {
    let path = bed.line().to_string_lossy().into_owned();
    FromTokio::new(SerialStream::open(&tokio_serial::new(path, 115_200)).unwrap())
}

/// The files every adapter's end-to-end test moves: empty, one special byte each, a run of
/// them, 1 MiB of random data.
fn files() -> Vec<Vec<u8>> {
    vec![vec![], vec![ETX], vec![DLE], [DLE, ETX, ETX, DLE, DLE].repeat(1000), sample(1 << 20, 1)]
}

fn styles() -> [Faults; 4] {
    [
        Faults::default(),
        Faults { echo_off: true, ..Faults::default() },
        Faults { numeric: true, ..Faults::default() },
        Faults {
            urc_before_data: true,
            urc_after_data: true,
            nul_noise: true,
            ..Faults::default()
        },
    ]
}

/// Every file up and down again through the async client on `engine`, in every modem style.
async fn round_trips<const P: usize, const C: usize, const L: usize, const S: usize>(
    engine: &mut Engine<P, C, L, S>,
) {
    for faults in styles() {
        let bed = bed(faults.clone());
        let mut c = asynch::Client::new(engine, async_port(&bed), TokioClock::new());
        for (i, bytes) in files().iter().enumerate() {
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
async fn the_async_client_round_trips_in_every_modem_style_at_both_sizes() {
    round_trips(&mut Engine::default()).await;
    round_trips(&mut SmallEngine::new(Config::DEFAULT).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_mebibytes_both_ways_on_the_small_engine() {
    let bed = bed(Faults::default());
    let mut engine = SmallEngine::new(Config::DEFAULT).unwrap();
    let mut c = asynch::Client::new(&mut engine, async_port(&bed), TokioClock::new());
    let bytes = sample(16 << 20, 2);
    assert_eq!(c.put(&bed.request("big"), &mut bytes.as_slice()).await.unwrap(), 16 << 20);
    assert!(std::fs::read(bed.file("big")).unwrap() == bytes);
    let mut back = Vec::with_capacity(16 << 20);
    assert_eq!(c.get(&bed.request("big"), &mut back).await.unwrap(), 16 << 20);
    assert!(back == bytes);
}

#[test]
fn the_blocking_client_round_trips_in_every_modem_style_at_both_sizes() {
    fn run<const P: usize, const C: usize, const L: usize, const S: usize>(
        engine: &mut Engine<P, C, L, S>,
    ) {
        for faults in styles() {
            let bed = bed(faults.clone());
            let clock = StdClock(std::time::Instant::now());
            let mut c = blocking::Client::new(engine, Uart::open(&bed), clock);
            for (i, bytes) in files().iter().enumerate() {
                let name = format!("f{i}");
                let sent = c.put(&bed.request(&name), &mut bytes.as_slice()).unwrap();
                assert_eq!(sent, bytes.len() as u64, "{name} {faults:?}");
                assert!(std::fs::read(bed.file(&name)).unwrap() == *bytes, "{name} {faults:?}");
                let mut back = Vec::new();
                assert_eq!(c.get(&bed.request(&name), &mut back).unwrap(), bytes.len() as u64);
                assert!(back == *bytes, "{name} {faults:?}: the download differs");
            }
        }
    }
    run(&mut Engine::default());
    run(&mut SmallEngine::new(Config::DEFAULT).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_parameters_and_failures_before_data() {
    let bed = bed(Faults::default());
    let mut engine = SmallEngine::new(Config::DEFAULT).unwrap();
    let mut c = asynch::Client::new(&mut engine, async_port(&bed), TokioClock::new());
    let link = LinkRequest { apn: "internet", user: "", password: "" };
    assert_eq!(c.link_up(&link).await.unwrap(), Some([10, 64, 3, 17].into()));
    assert_eq!(c.link_up(&link).await.unwrap(), None);
    let mut value = [0u8; 32];
    let n = c.read_param(Param::LinkState, Dialect::Query, &mut value).await.unwrap();
    assert_eq!(&value[..n], b"CONNECTED");
    c.link_down().await.unwrap();
    let n = c.read_param(Param::LinkState, Dialect::Query, &mut value).await.unwrap();
    assert_eq!(&value[..n], b"IDLE");

    let err = c.get(&bed.request("missing"), &mut Vec::new()).await.unwrap_err();
    assert!(is_cme(&err, 38016), "{err}");
    let mut req = bed.request("missing");
    req.server = "no-such-host.test";
    let err = c.get(&req, &mut Vec::new()).await.unwrap_err();
    assert!(is_cme(&err, 38027), "{err}");
    for dialect in [Dialect::Query, Dialect::Legacy] {
        let n = c.read_param(Param::GetFileName, dialect, &mut value).await.unwrap();
        assert_eq!(&value[..n], b"missing");
    }
    // A value longer than the caller's buffer is refused, not cut.
    let err = c.read_param(Param::GetFileName, Dialect::Query, &mut value[..3]).await.unwrap_err();
    assert_eq!(err, Error::Local(embedded_io::ErrorKind::OutOfMemory));
    // A parameter that could inject a command is refused before anything is sent.
    let mut req = bed.request("a\rAT#FTPPW=\"x\"");
    req.port = 21;
    assert!(matches!(c.get(&req, &mut Vec::new()).await, Err(Error::Start(_))));
}

/// A sink that keeps what it is given and raises the abort flag once `at` bytes came.
struct Tripwire<'a> {
    kept: Vec<u8>,
    at: usize,
    flag: &'a AtomicBool,
}

impl embedded_io::ErrorType for Tripwire<'_> {
    type Error = core::convert::Infallible;
}

impl embedded_io_async::Write for Tripwire<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.kept.extend_from_slice(buf);
        if self.kept.len() >= self.at {
            self.flag.store(true, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_abort_flag_ends_a_download_and_the_client_goes_on() {
    let bed = Testbed::new(Options { baud: Some(2_000_000), ..Options::default() }).unwrap();
    let bytes = sample(400_000, 4);
    std::fs::write(bed.file("f"), &bytes).unwrap();
    let flag = AtomicBool::new(false);
    let mut engine = SmallEngine::new(Config::DEFAULT).unwrap();
    let mut c =
        asynch::Client::new(&mut engine, async_port(&bed), TokioClock::new()).with_abort(&flag);
    let mut sink = Tripwire { kept: Vec::new(), at: 100_000, flag: &flag };
    let err = c.get(&bed.request("f"), &mut sink).await.unwrap_err();
    assert_eq!(err, Error::Failed(at_ftp_proto::Error::Aborted));
    let part = sink.kept;
    assert!(part.len() >= 100_000 && part.len() < bytes.len(), "{}", part.len());
    assert!(part == bytes[..part.len()]);
    flag.store(false, Ordering::Relaxed);
    let mut value = [0u8; 8];
    let n = c.read_param(Param::GetFileName, Dialect::Query, &mut value).await.unwrap();
    assert_eq!(&value[..n], b"f");
    // The same file, whole, on the same line.
    let mut back = Vec::new();
    assert_eq!(c.get(&bed.request("f"), &mut back).await.unwrap(), 400_000);
    assert!(back == bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_future_is_drained_by_the_next_call() {
    let bed = Testbed::new(Options { baud: Some(2_000_000), ..Options::default() }).unwrap();
    let bytes = sample(300_000, 5);
    std::fs::write(bed.file("f"), &bytes).unwrap();
    let mut engine = SmallEngine::new(Config::DEFAULT).unwrap();
    let mut c = asynch::Client::new(&mut engine, async_port(&bed), TokioClock::new());
    // The line's first resynchronisation first, so that the cancellation lands in the data.
    c.resync().await.unwrap();
    let mut part = Vec::new();
    // Cancelled in the middle of the data (300 kB take 1.5 s at this rate).
    let cut =
        tokio::time::timeout(Duration::from_millis(400), c.get(&bed.request("f"), &mut part)).await;
    assert!(cut.is_err(), "the download finished before the cancellation");
    assert!(!part.is_empty() && part.len() < 300_000, "not cancelled in the data: {}", part.len());
    // The next call first drains the cancelled download, then works.
    let mut back = Vec::new();
    assert_eq!(c.get(&bed.request("f"), &mut back).await.unwrap(), 300_000);
    assert!(back == bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modem_silence_is_a_timeout_within_the_deadline() {
    let bed = bed(Faults { silence_after: Some(1000), ..Faults::default() });
    std::fs::write(bed.file("f"), sample(5000, 6)).unwrap();
    let config = Config { data_timeout: Duration::from_millis(400), ..Config::DEFAULT };
    let mut engine = SmallEngine::new(config).unwrap();
    let mut c = asynch::Client::new(&mut engine, async_port(&bed), TokioClock::new());
    // The line's first resynchronisation is not part of the measure.
    c.resync().await.unwrap();
    let start = std::time::Instant::now();
    let mut part = Vec::new();
    let err = c.get(&bed.request("f"), &mut part).await.unwrap_err();
    let elapsed = start.elapsed();
    assert_eq!(err, Error::Failed(at_ftp_proto::Error::Timeout(Timer::Data)));
    assert_eq!(part.len(), 1000);
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn the_blocking_client_times_out_on_silence_and_sees_the_port_go() {
    let bed = bed(Faults { silence_after: Some(1000), ..Faults::default() });
    std::fs::write(bed.file("f"), sample(5000, 6)).unwrap();
    let config = Config { data_timeout: Duration::from_millis(400), ..Config::DEFAULT };
    let mut engine = SmallEngine::new(config).unwrap();
    let clock = StdClock(std::time::Instant::now());
    let mut c = blocking::Client::new(&mut engine, Uart::open(&bed), clock);
    c.resync().unwrap();
    let mut part = Vec::new();
    let err = c.get(&bed.request("f"), &mut part).unwrap_err();
    assert_eq!(err, Error::Failed(at_ftp_proto::Error::Timeout(Timer::Data)));
    assert_eq!(part.len(), 1000);
    drop(bed);
    let err = c.get(&at_ftp_proto::Request::new("h", "f"), &mut Vec::new()).unwrap_err();
    assert!(matches!(err, Error::Port(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_modem_fails_midway_stops_and_the_next_call_is_in_step() {
    let bed = bed(Faults { fail_upload_after: Some(20_000), ..Faults::default() });
    let mut engine = SmallEngine::new(Config::DEFAULT).unwrap();
    let mut c = asynch::Client::new(&mut engine, async_port(&bed), TokioClock::new());
    let mut file = sample(20_000, 10);
    for _ in 0..20_000 {
        file.extend_from_slice(b"\rAT#FTPGETFILENAME=\"evil\"\r");
    }
    let err = c.put(&bed.request("up"), &mut file.as_slice()).await.unwrap_err();
    assert!(is_cme(&err, 37966), "{err}");
    // The answers to the bytes that reached a modem in command mode were drained.
    let mut value = [0u8; 8];
    let n = c.read_param(Param::PutFileName, Dialect::Query, &mut value).await.unwrap();
    assert_eq!(&value[..n], b"up");
}

/// A source that fails after `ok` bytes.
struct Failing {
    data: Vec<u8>,
    at: usize,
    ok: usize,
}

impl embedded_io::ErrorType for Failing {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io_async::Read for Failing {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if self.at >= self.ok {
            return Err(embedded_io::ErrorKind::InvalidData);
        }
        let n = buf.len().min(self.ok - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A sink that fails once it holds `ok` bytes.
struct Full {
    kept: Vec<u8>,
    ok: usize,
}

impl embedded_io::ErrorType for Full {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Write for Full {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        if self.kept.len() >= self.ok {
            return Err(embedded_io::ErrorKind::OutOfMemory);
        }
        self.kept.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_source_aborts_the_upload_and_the_server_keeps_a_prefix() {
    let bed = bed(Faults::default());
    let mut engine = SmallEngine::new(Config::DEFAULT).unwrap();
    let mut c = asynch::Client::new(&mut engine, async_port(&bed), TokioClock::new());
    let data = sample(50_000, 11);
    let mut source = Failing { data: data.clone(), at: 0, ok: 10_000 };
    let err = c.put(&bed.request("cut"), &mut source).await.unwrap_err();
    assert_eq!(err, Error::Local(embedded_io::ErrorKind::InvalidData));
    // The upload was ended with its terminator: the server holds what was sent, no more.
    let kept = std::fs::read(bed.file("cut")).unwrap();
    assert!(kept.len() <= 10_000 && kept == data[..kept.len()], "{} bytes", kept.len());
    let mut value = [0u8; 8];
    let n = c.read_param(Param::PutFileName, Dialect::Query, &mut value).await.unwrap();
    assert_eq!(&value[..n], b"cut");
    // A port that is gone is a port error.
    drop(bed);
    let err = c.resync().await.unwrap_err();
    assert!(matches!(err, Error::Port(_)), "{err}");
}

#[test]
fn a_failing_sink_abandons_the_download_and_the_next_call_drains_it() {
    let bed = Testbed::new(Options { baud: Some(2_000_000), ..Options::default() }).unwrap();
    let bytes = sample(200_000, 12);
    std::fs::write(bed.file("f"), &bytes).unwrap();
    let mut engine = SmallEngine::new(Config::DEFAULT).unwrap();
    let clock = StdClock(std::time::Instant::now());
    let mut c = blocking::Client::new(&mut engine, Uart::open(&bed), clock);
    let mut full = Full { kept: Vec::new(), ok: 5_000 };
    let err = c.get(&bed.request("f"), &mut full).unwrap_err();
    assert_eq!(err, Error::Local(embedded_io::ErrorKind::OutOfMemory));
    // The call returned at once, in the data: the next call drains the rest first.
    let mut back = Vec::new();
    assert_eq!(c.get(&bed.request("f"), &mut back).unwrap(), 200_000);
    assert!(back == bytes);
}

#[test]
fn the_abort_flag_ends_a_blocking_download_as_aborted() {
    // The modem goes silent in the data (for good: this emulated modem never comes back). A
    // download cannot be stopped, only drained: the aborted call ends at the data deadline,
    // as aborted, not as timed out.
    let bed = bed(Faults { silence_after: Some(1000), ..Faults::default() });
    std::fs::write(bed.file("f"), sample(5000, 6)).unwrap();
    static FLAG: AtomicBool = AtomicBool::new(false);
    let config = Config { data_timeout: Duration::from_secs(2), ..Config::DEFAULT };
    let mut engine = SmallEngine::new(config).unwrap();
    let clock = StdClock(std::time::Instant::now());
    let mut c = blocking::Client::new(&mut engine, Uart::open(&bed), clock).with_abort(&FLAG);
    c.resync().unwrap();
    let raise = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(500));
        FLAG.store(true, Ordering::Relaxed);
    });
    let mut part = Vec::new();
    let err = c.get(&bed.request("f"), &mut part).unwrap_err();
    raise.join().unwrap();
    assert_eq!(err, Error::Failed(at_ftp_proto::Error::Aborted));
    assert_eq!(part.len(), 1000);
}
