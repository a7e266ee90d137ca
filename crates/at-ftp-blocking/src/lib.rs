//! The blocking adapter of at-ftp: moves bytes and time between a serial port and the core's
//! [`Driver`], and holds no protocol logic of its own.
//!
//! ```no_run
//! use at_ftp_blocking::{Client, Line};
//! use at_ftp_proto::Request;
//!
//! # fn main() -> Result<(), at_ftp_blocking::Error> {
//! let mut client = Client::open("/dev/ttyUSB0", &Line::default())?;
//! client.on_progress(|bytes| eprintln!("{bytes} bytes"));
//! let request = Request::new("ftp.example.com", "anonymous", "guest", "/pub", "hello.bin");
//! // The file appears at the path only after the modem's final `OK`.
//! let bytes = client.get_to_file(&request, "hello.bin".as_ref())?;
//! # Ok(())
//! # }
//! ```
//!
//! Every wait is the core's deadline, taken as the port's read timeout (capped, so that an
//! [`AbortHandle`] from another thread is seen within [`ABORT_LATENCY`]). A port read that
//! times out is "no data yet", never an error.
#![forbid(unsafe_code)]

use std::io::{self, BufWriter, ErrorKind, Read, Write};
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use at_ftp_proto::{
    Action, Config, Dialect, Driver, Finished, Instant, LinkRequest, Param, Request, Wire,
};
pub use at_ftp_proto::{Line, RunError as Error};
use serialport::{FlowControl, SerialPort};

/// The longest a blocked read waits before it looks at the abort flag.
pub const ABORT_LATENCY: Duration = Duration::from_millis(100);

/// Aborts the operation in flight from another thread; see [`Client::abort_handle`].
#[derive(Clone, Debug, Default)]
pub struct AbortHandle(Arc<AtomicBool>);

impl AbortHandle {
    /// Asks the operation in flight to abort. It then ends with `Error::Failed(Aborted)` once
    /// the modem is back in command mode (see `at_ftp_proto::Session::abort`).
    pub fn abort(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

type Progress = Box<dyn FnMut(u64) + Send>;
type Tap = Box<dyn FnMut(Wire<'_>) + Send>;

/// A modem on a serial port.
pub struct Client {
    port: Box<dyn SerialPort>,
    driver: Driver,
    origin: std::time::Instant,
    abort: AbortHandle,
    progress: Option<Progress>,
    tap: Option<Tap>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("driver", &self.driver).finish_non_exhaustive()
    }
}

impl Client {
    /// Opens the serial port at `path` (flow control as `line` says, DTR and RTS raised where
    /// the port supports them).
    pub fn open(path: &str, line: &Line) -> Result<Client, Error> {
        let flow = if line.rts_cts { FlowControl::Hardware } else { FlowControl::None };
        let mut port = serialport::new(path, line.baud)
            .flow_control(flow)
            .timeout(ABORT_LATENCY)
            .open()
            .map_err(|e| Error::Port(e.into()))?;
        // A pseudo-terminal answers "not a typewriter", and some adapters lack the lines:
        // neither stops a modem that ignores them (AT&D0).
        let _ = port.write_data_terminal_ready(true);
        if !line.rts_cts {
            let _ = port.write_request_to_send(true);
        }
        Ok(Client::new(port, line.config))
    }

    /// Wraps an open port (a `TTYPort`, boxed); the modem is assumed in command mode.
    pub fn new(port: Box<dyn SerialPort>, config: Config) -> Client {
        Client {
            port,
            driver: Driver::new(config),
            origin: std::time::Instant::now(),
            abort: AbortHandle::default(),
            progress: None,
            tap: None,
        }
    }

    /// Calls `f` with every byte written to and read from the port, for a transcript (see
    /// [`Wire`] about the password's echo).
    pub fn on_wire(&mut self, f: impl FnMut(Wire<'_>) + Send + 'static) {
        self.tap = Some(Box::new(f));
    }

    /// Calls `f` with the payload bytes received (download) or read from the source
    /// (upload) so far, as a transfer goes.
    pub fn on_progress(&mut self, f: impl FnMut(u64) + Send + 'static) {
        self.progress = Some(Box::new(f));
    }

    /// A handle that aborts the operation in flight, from any thread.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }

    /// The port, given back.
    pub fn into_inner(self) -> Box<dyn SerialPort> {
        self.port
    }

    /// Downloads the request's file into `sink`; its bytes after the modem's final `OK`.
    /// The bytes written are provisional until then: see [`get_to_file`](Self::get_to_file).
    pub fn get(&mut self, req: &Request<'_>, sink: &mut dyn Write) -> Result<u64, Error> {
        self.settle()?;
        self.driver.start_get(self.now(), req)?;
        self.run(Some(sink), None)?.transferred()
    }

    /// Downloads the request's file to `path`. It goes to a temporary file beside it first,
    /// which is synced and renamed over `path` only after the modem's `OK`; on any failure it
    /// is removed, and a file that was at `path` is left untouched.
    pub fn get_to_file(&mut self, req: &Request<'_>, path: &Path) -> Result<u64, Error> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".at-ftp-")
            .suffix(".part")
            .tempfile_in(dir)
            .map_err(Error::Local)?;
        let mut writer = BufWriter::new(temp);
        let bytes = self.get(req, &mut writer)?;
        let temp = writer.into_inner().map_err(|e| Error::Local(e.into_error()))?;
        temp.as_file().sync_all().map_err(Error::Local)?;
        temp.persist(path).map_err(|e| Error::Local(e.error))?;
        Ok(bytes)
    }

    /// Uploads everything `source` gives as the request's file; its bytes after the modem's
    /// final `OK`.
    pub fn put(&mut self, req: &Request<'_>, source: &mut dyn Read) -> Result<u64, Error> {
        self.settle()?;
        self.driver.start_put(self.now(), req)?;
        self.run(None, Some(source))?.transferred()
    }

    /// Brings the GPRS link up (also fine when it was up); the address, when the modem said.
    pub fn link_up(&mut self, req: &LinkRequest<'_>) -> Result<Option<Ipv4Addr>, Error> {
        self.settle()?;
        self.driver.start_link(self.now(), req)?;
        self.run(None, None)?.link_up()
    }

    /// Reads a parameter back from the modem.
    pub fn read_param(&mut self, param: Param, dialect: Dialect) -> Result<Vec<u8>, Error> {
        self.settle()?;
        self.driver.read_param(self.now(), param, dialect)?;
        self.run(None, None)?.value()
    }

    fn now(&self) -> Instant {
        Instant::from_elapsed(self.origin.elapsed())
    }

    /// An operation left in flight (its caller's I/O failed) is aborted and drained first,
    /// so that every call starts with the modem in command mode.
    fn settle(&mut self) -> Result<(), Error> {
        self.abort.0.store(false, Ordering::Relaxed);
        if self.driver.is_busy() {
            self.driver.abort(self.now());
            // The old operation's own verdict (aborted, most likely) is not this call's; a
            // port that fails is.
            if let Err(Error::Port(e)) = self.run(None, None) {
                return Err(Error::Port(e));
            }
        }
        Ok(())
    }

    /// Carries out the driver's actions until the operation is done.
    fn run(
        &mut self,
        mut sink: Option<&mut dyn Write>,
        mut source: Option<&mut dyn Read>,
    ) -> Result<Finished, Error> {
        let mut local: Option<io::Error> = None;
        loop {
            let now = self.now();
            let limit = self.driver.session().config().data_timeout;
            if self.abort.0.swap(false, Ordering::Relaxed) {
                self.driver.abort(now);
            }
            let failed = match self.driver.poll(now) {
                Action::Transmit(t) => {
                    let n = t.bytes().len();
                    let failed = send(&mut *self.port, t.bytes(), limit).err();
                    if failed.is_none()
                        && let Some(tap) = &mut self.tap
                    {
                        tap(Wire::Sent(t));
                    }
                    self.driver.transmitted(n);
                    failed
                }
                Action::Peek(buf) => {
                    match read_port(&mut *self.port, &mut self.tap, buf, Duration::ZERO) {
                        Ok(n) => {
                            self.driver.received(n);
                            None
                        }
                        Err(e) => Some(e),
                    }
                }
                Action::Payload(data) => {
                    if let Some(e) = sink.as_mut().and_then(|s| s.write_all(data).err()) {
                        local.get_or_insert(e);
                        self.driver.abort(now);
                    }
                    None
                }
                Action::Progress(bytes) => {
                    if let Some(f) = &mut self.progress {
                        f(bytes);
                    }
                    None
                }
                Action::Notice(_) => None,
                Action::Upload(buf) => {
                    match source.as_mut().map_or(Ok(0), |s| s.read(buf)) {
                        Ok(n) => self.driver.uploaded(n),
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => {
                            local.get_or_insert(e);
                            self.driver.abort(now);
                        }
                    }
                    None
                }
                Action::Read { buf, deadline } => {
                    let wait = deadline.map_or(ABORT_LATENCY, |d| d.duration_since(now));
                    if wait.is_zero() {
                        self.driver.timed_out(now);
                        continue;
                    }
                    let timeout = wait.min(ABORT_LATENCY);
                    match read_port(&mut *self.port, &mut self.tap, buf, timeout) {
                        Ok(n) => {
                            self.driver.received(n);
                            None
                        }
                        Err(e) => Some(e),
                    }
                }
                Action::Done(result) => return Finished::verdict(Some(result), local),
                Action::Idle => return Finished::verdict(None, local),
            };
            if let Some(e) = failed {
                // The port is gone or broken: the modem's state is unknown. Start over in
                // command mode, as after a timeout.
                self.driver = Driver::new(*self.driver.session().config());
                return Err(Error::Port(e));
            }
        }
    }
}

/// Reads what the port gives within `timeout` into `buf`, shown to the wire tap: 0 when
/// nothing came (a timeout is "no data yet"); a port that reports its end is an error.
fn read_port(
    port: &mut dyn SerialPort,
    tap: &mut Option<Tap>,
    buf: &mut [u8],
    timeout: Duration,
) -> io::Result<usize> {
    port.set_timeout(timeout).map_err(io::Error::from)?;
    match port.read(buf) {
        Ok(0) => Err(ErrorKind::UnexpectedEof.into()),
        Ok(n) => {
            if let Some(tap) = tap {
                tap(Wire::Received(&buf[..n]));
            }
            Ok(n)
        }
        Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::Interrupted) => Ok(0),
        Err(e) => Err(e),
    }
}

/// Writes all of `bytes`. A port that takes nothing for `limit` (flow control held, a modem
/// that stopped reading) fails with `TimedOut`; shorter stalls are waited out.
fn send(port: &mut dyn SerialPort, mut bytes: &[u8], limit: Duration) -> io::Result<()> {
    // A read may have left a zero timeout behind: a write must wait, not spin.
    port.set_timeout(ABORT_LATENCY).map_err(io::Error::from)?;
    let mut stalled = std::time::Instant::now();
    while !bytes.is_empty() {
        match port.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => {
                bytes = &bytes[n..];
                stalled = std::time::Instant::now();
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::TimedOut && stalled.elapsed() < limit => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
