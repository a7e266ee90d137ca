//! The runner: puts a [`Modem`] on a serial line and does its FTP jobs for real.
//!
//! This module owns the emulator's thread, the line (a new pseudo-terminal or an existing
//! device), the pacing of both directions to a baud rate, the seeded chunking of writes, and the loop
//! that moves bytes between the line, the modem and the FTP server. The protocol itself stays
//! in [`Modem`]; the FTP client in [`crate::ftp`].

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serialport::{SerialPort, TTYPort};

use crate::ftp::{self, FtpOptions};
use crate::modem::{Faults, Job, Modem, code};

/// How long one read of the line waits before the loop looks at its stop flag again.
const POLL: Duration = Duration::from_millis(20);
/// The most download bytes taken from the server at once.
const DOWNLOAD_CHUNK: usize = 64 * 1024;
/// A paced line writes at most this much line time at once: a modem streams its output, it
/// does not send a chunk in one burst and then fall silent for the seconds the chunk took.
const PACE_SLICE: Duration = Duration::from_millis(10);

/// Writes split into random sizes with random pauses: a line that delivers in bursts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunking {
    /// The seed: the same seed gives the same sizes and pauses.
    pub seed: u64,
    /// The largest piece written at once (at least 1).
    pub max_chunk: usize,
    /// The longest pause before a piece.
    pub max_delay: Duration,
}

/// How the emulator behaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The modem's deviations (see [`Faults`]).
    pub faults: Faults,
    /// Pace the line to this many bits per second (10 bits a byte), in both directions: the
    /// modem's output, and the host's bytes, which are read no faster (a host writing faster
    /// waits, as on a real line, once the pseudo-terminal's buffer is full). `None` runs at
    /// memory speed, as a pseudo-terminal does.
    pub baud: Option<u32>,
    /// Split writes into random pieces with random pauses.
    pub chunking: Option<Chunking>,
    /// The FTP client's behaviour.
    pub ftp: FtpOptions,
    /// Where the modem's log goes ([`Modem::keep_log`]): each command line, with a
    /// password's value as `***`, each answer, each data phase's end; none by default.
    pub log: Option<Log>,
}

/// A receiver of the emulator's log entries, called on the emulator's thread.
#[derive(Clone)]
pub struct Log(Arc<dyn Fn(&str) + Send + Sync>);

impl Log {
    /// A log that calls `f` with each entry.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Log {
        Log(Arc::new(f))
    }
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Log")
    }
}

/// Two logs are the same when they are the same receiver.
impl PartialEq for Log {
    fn eq(&self, other: &Log) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Log {}

/// A running emulator. Dropping it stops it.
#[derive(Debug)]
pub struct Emulator {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<io::Result<()>>>,
}

impl Emulator {
    /// Runs the emulator on a new pseudo-terminal pair; the host opens [`path`](Self::path).
    pub fn on_pty(options: Options) -> io::Result<Emulator> {
        let (master, far) = TTYPort::pair().map_err(io::Error::from)?;
        let path = far.name().map(PathBuf::from).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "the pseudo-terminal has no name")
        })?;
        // The far end stays open for the emulator's whole life: when the last descriptor of
        // a pty's far end closes, the line hangs up and a host reopening it reads nothing.
        Emulator::spawn(Box::new(master), Some(far), path, options)
    }

    /// Runs the emulator on an existing serial device (a null-modem cable to the host).
    pub fn on_device(path: &Path, baud: u32, options: Options) -> io::Result<Emulator> {
        let name = path.to_string_lossy();
        let port = serialport::new(name, baud).open().map_err(io::Error::from)?;
        Emulator::spawn(port, None, path.to_owned(), options)
    }

    fn spawn(
        mut port: Box<dyn SerialPort>,
        far: Option<TTYPort>,
        path: PathBuf,
        options: Options,
    ) -> io::Result<Emulator> {
        port.set_timeout(POLL).map_err(io::Error::from)?;
        let stop = Arc::new(AtomicBool::new(false));
        let mut modem = Modem::new(options.faults.clone());
        if options.log.is_some() {
            modem.keep_log();
        }
        let mut runner = Runner {
            line: Line::new(port, &options, stop.clone()),
            modem,
            ftp: options.ftp,
            log: options.log,
            stop: stop.clone(),
        };
        let thread = thread::Builder::new().name("modem".into()).spawn(move || {
            let _far = far;
            runner.run()
        })?;
        Ok(Emulator { path, stop, thread: Some(thread) })
    }

    /// The serial line's path for the host: the pty's far end, or the device.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops the emulator and reports how its loop ended (an I/O error of the line).
    pub fn stop(mut self) -> io::Result<()> {
        self.halt()
    }

    fn halt(&mut self) -> io::Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the emulator thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.halt();
    }
}

/// One direction of a paced line: bytes go no faster than its rate.
struct Pace {
    /// Bytes per second, when paced.
    rate: Option<f64>,
    /// The start of the current burst, and the bytes since.
    burst: (Instant, u64),
}

impl Pace {
    fn new(baud: Option<u32>) -> Pace {
        Pace { rate: baud.map(|baud| f64::from(baud.max(1)) / 10.0), burst: (Instant::now(), 0) }
    }

    /// The most bytes one step moves: [`PACE_SLICE`] of line time (all of them, unpaced).
    fn slice(&self, n: usize) -> usize {
        match self.rate {
            Some(rate) => n.min((rate * PACE_SLICE.as_secs_f64()).max(1.0) as usize),
            None => n,
        }
    }

    /// Waits until the bytes of the burst so far have had their line time, then counts `n`
    /// more.
    fn wait(&mut self, n: usize) {
        let Some(rate) = self.rate else { return };
        let now = Instant::now();
        let (start, bytes) = self.burst;
        let due = start + Duration::from_secs_f64(bytes as f64 / rate);
        if due < now {
            // The line was idle: idle time is not credit for a burst.
            self.burst = (now, n as u64);
            return;
        }
        thread::sleep(due - now);
        self.burst.1 += n as u64;
    }
}

/// The emulator's side of the serial line, with pacing and chunking of writes.
struct Line {
    port: Box<dyn SerialPort>,
    stop: Arc<AtomicBool>,
    /// To the host.
    output: Pace,
    /// From the host.
    input: Pace,
    chunking: Option<(Chunking, StdRng)>,
}

impl Line {
    fn new(port: Box<dyn SerialPort>, options: &Options, stop: Arc<AtomicBool>) -> Line {
        Line {
            port,
            stop,
            output: Pace::new(options.baud),
            input: Pace::new(options.baud),
            chunking: options.chunking.map(|c| (c, StdRng::seed_from_u64(c.seed))),
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Reads what the host wrote, no faster than the line's rate; empty after [`POLL`] of
    /// silence.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.input.slice(buf.len());
        match self.port.read(&mut buf[..room]) {
            Ok(n) => {
                // The bytes are taken once their line time has passed.
                self.input.wait(n);
                Ok(n)
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::Interrupted) => {
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the host wrote bytes that a read would return at once.
    fn ready(&mut self) -> bool {
        self.port.bytes_to_read().is_ok_and(|n| n > 0)
    }

    /// Writes all of `bytes` to the host, paced and chunked as configured. Gives up only when
    /// the emulator is stopped (a host that does not read blocks it, as a real line would).
    fn send(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = match &mut self.chunking {
                Some((c, rng)) => {
                    let delay = rng.random_range(Duration::ZERO..=c.max_delay);
                    thread::sleep(delay);
                    rng.random_range(1..=c.max_chunk.max(1)).min(bytes.len())
                }
                None => bytes.len(),
            };
            let n = self.output.slice(n);
            self.output.wait(n);
            self.write_all(&bytes[..n])?;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match self.port.write(bytes) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                // The host is not reading yet: wait, unless the emulator is stopping.
                Err(e)
                    if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::Interrupted) =>
                {
                    if self.stopped() {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The emulator's loop: the line, the modem state machine and the FTP client.
struct Runner {
    line: Line,
    modem: Modem,
    ftp: FtpOptions,
    log: Option<Log>,
    stop: Arc<AtomicBool>,
}

impl Runner {
    fn run(&mut self) -> io::Result<()> {
        let mut buf = vec![0u8; 4096];
        while !self.stop.load(Ordering::Relaxed) {
            let n = self.line.read(&mut buf)?;
            self.modem.handle_input(&buf[..n]);
            self.flush()?;
            if let Some(job) = self.modem.poll_job() {
                if job.put { self.upload(&job)? } else { self.download(&job)? }
            }
        }
        Ok(())
    }

    /// Sends what the modem has for the host (and hands its log on).
    fn flush(&mut self) -> io::Result<()> {
        if let Some(log) = &self.log {
            for entry in self.modem.take_log() {
                (log.0)(&entry);
            }
        }
        let out = self.modem.take_output();
        self.line.send(&out)
    }

    fn download(&mut self, job: &Job) -> io::Result<()> {
        let mut transfer = match ftp::open(job, &self.ftp) {
            Ok(t) => t,
            Err(code) => {
                self.modem.start_failed(code);
                return self.flush();
            }
        };
        self.modem.data_begin();
        self.flush()?;
        let mut buf = vec![0u8; DOWNLOAD_CHUNK];
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let n = match transfer.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(_) => {
                    self.ignore_host()?;
                    self.modem.data_end(Err(code::CLOSED_BY_PEER));
                    return self.flush();
                }
            };
            self.ignore_host()?;
            let more = self.modem.send_data(&buf[..n]);
            self.flush()?;
            if !more {
                // A fault cut the transfer; dropping it closes the data connection.
                return Ok(());
            }
        }
        let result = transfer.finish();
        self.ignore_host()?;
        self.modem.data_end(result);
        self.flush()
    }

    /// What the host wrote during the data phase of a download reaches a modem in data mode,
    /// which ignores it: it is read now, not kept for after the data.
    fn ignore_host(&mut self) -> io::Result<()> {
        let mut host = [0u8; 256];
        while self.line.ready() {
            let n = self.line.read(&mut host)?;
            if n == 0 {
                break;
            }
            self.modem.handle_input(&host[..n]);
        }
        Ok(())
    }

    fn upload(&mut self, job: &Job) -> io::Result<()> {
        let mut transfer = match ftp::open(job, &self.ftp) {
            Ok(t) => t,
            Err(code) => {
                self.modem.start_failed(code);
                return self.flush();
            }
        };
        self.modem.ready_for_data();
        self.flush()?;
        let mut buf = vec![0u8; 4096];
        // A broken data connection fails the upload, but only once the host's terminator came:
        // before it, the host's bytes are file data, not commands.
        let mut broken = false;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let n = self.line.read(&mut buf)?;
            self.modem.handle_input(&buf[..n]);
            let (data, ended) = self.modem.take_upload();
            if !broken && !data.is_empty() {
                broken = transfer.write_all(&data).is_err();
            }
            // A fault may have ended the upload: its result goes out now, not after the FTP
            // side is done.
            self.flush()?;
            if ended {
                break;
            }
        }
        if self.modem.in_command_mode() {
            // A fault cut the upload and the modem answers commands again: the server's
            // verdict no longer matters, and waiting for it must not stall the line.
            thread::spawn(move || {
                let _ = transfer.finish();
            });
            return Ok(());
        }
        let result = if broken { Err(code::CLOSED_BY_PEER) } else { transfer.finish() };
        self.modem.upload_done(result);
        self.flush()
    }
}
