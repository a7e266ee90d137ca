//! The async adapter of at-ftp, on tokio: moves bytes and time between any
//! `AsyncRead + AsyncWrite` (a `tokio-serial` port, a TCP stream, `tokio::io::duplex`) and the
//! core's [`Driver`], and holds no protocol logic of its own.
//!
//! ```no_run
//! use at_ftp_proto::Request;
//! use at_ftp_tokio::{Client, Line};
//!
//! # async fn demo() -> Result<(), at_ftp_tokio::Error> {
//! let mut client = Client::open("/dev/ttyUSB0", &Line::default())?;
//! let request = Request::new("ftp.example.com", "anonymous", "guest", "/pub", "hello.bin");
//! // The file appears at the path only after the modem's final `OK`.
//! let bytes = client.get_to_file(&request, "hello.bin".as_ref()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! The client owns its read buffer (the driver's), so no partial frame is ever dropped, and
//! waits with `select!` on the read, the core's deadline (`sleep_until`) and the abort handle.
//! Cancellation: dropping a call's future leaves the operation in flight; the next call aborts
//! and drains it first, so every call starts with the modem in command mode.
#![forbid(unsafe_code)]

use std::io::{self, ErrorKind};
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use at_ftp_proto::{
    Action, Config, Dialect, Driver, Finished, Instant, LinkRequest, Param, Request, Wire,
};
pub use at_ftp_proto::{Line, RunError as Error};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::Notify;
use tokio_serial::{FlowControl, SerialPort, SerialPortBuilderExt, SerialStream};

/// Aborts the operation in flight from another task; see [`Client::abort_handle`].
#[derive(Clone, Debug, Default)]
pub struct AbortHandle(Arc<(AtomicBool, Notify)>);

impl AbortHandle {
    /// Asks the operation in flight to abort. It then ends with `Error::Failed(Aborted)` once
    /// the modem is back in command mode (see `at_ftp_proto::Session::abort`).
    pub fn abort(&self) {
        self.0.0.store(true, Ordering::Relaxed);
        self.0.1.notify_one();
    }

    fn take(&self) -> bool {
        self.0.0.swap(false, Ordering::Relaxed)
    }
}

type Progress = Box<dyn FnMut(u64) + Send>;
type Tap = Box<dyn FnMut(Wire<'_>) + Send>;

/// A modem on an async byte stream.
pub struct Client<T> {
    io: T,
    driver: Driver,
    origin: tokio::time::Instant,
    abort: AbortHandle,
    progress: Option<Progress>,
    tap: Option<Tap>,
}

impl<T> std::fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("driver", &self.driver).finish_non_exhaustive()
    }
}

impl Client<SerialStream> {
    /// Opens the serial port at `path` (flow control as `line` says, DTR and RTS raised where
    /// the port supports them). Needs a tokio runtime with I/O enabled.
    pub fn open(path: &str, line: &Line) -> Result<Client<SerialStream>, Error> {
        let flow = if line.rts_cts { FlowControl::Hardware } else { FlowControl::None };
        let mut port = tokio_serial::new(path, line.baud)
            .flow_control(flow)
            .open_native_async()
            .map_err(|e| Error::Port(e.into()))?;
        // A pseudo-terminal answers "not a typewriter", and some adapters lack the lines:
        // neither stops a modem that ignores them (AT&D0).
        let _ = port.write_data_terminal_ready(true);
        if !line.rts_cts {
            let _ = port.write_request_to_send(true);
        }
        Ok(Client::new(port, line.config))
    }
}

/// What one read of the stream came to, shown to the wire tap: the count (0 for an
/// interrupted read), or an error (the stream's end is one).
fn took(tap: &mut Option<Tap>, read: io::Result<usize>, buf: &[u8]) -> io::Result<usize> {
    match read {
        Ok(0) => Err(ErrorKind::UnexpectedEof.into()),
        Ok(n) => {
            if let Some(tap) = tap {
                tap(Wire::Received(&buf[..n]));
            }
            Ok(n)
        }
        Err(e) if e.kind() == ErrorKind::Interrupted => Ok(0),
        Err(e) => Err(e),
    }
}

/// The longest single wait for input.
const FAR: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// What ended a wait for input.
enum Woke {
    Read(io::Result<usize>),
    Deadline,
    Abort,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Client<T> {
    /// Wraps an open stream; the modem is assumed in command mode.
    pub fn new(io: T, config: Config) -> Client<T> {
        Client {
            io,
            driver: Driver::new(config),
            origin: tokio::time::Instant::now(),
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

    /// A handle that aborts the operation in flight, from any task or thread.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }

    /// The stream, given back.
    pub fn into_inner(self) -> T {
        self.io
    }

    /// Downloads the request's file into `sink`; its bytes after the modem's final `OK`.
    /// The bytes written are provisional until then: see [`get_to_file`](Self::get_to_file).
    pub async fn get<W>(&mut self, req: &Request<'_>, sink: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.settle().await?;
        self.driver.start_get(self.now(), req)?;
        self.run(Some(sink), None::<&mut tokio::io::Empty>).await?.transferred()
    }

    /// Downloads the request's file to `path`. It goes to a temporary file beside it first,
    /// which is synced and renamed over `path` only after the modem's `OK`; on any failure
    /// (and if this future is dropped) it is removed, and a file that was at `path` is left
    /// untouched.
    pub async fn get_to_file(&mut self, req: &Request<'_>, path: &Path) -> Result<u64, Error> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        // Creating and renaming a file are quick metadata operations; the data goes async.
        let temp = tempfile::Builder::new()
            .prefix(".at-ftp-")
            .suffix(".part")
            .tempfile_in(dir)
            .map_err(Error::Local)?;
        let file = tokio::fs::File::from_std(temp.reopen().map_err(Error::Local)?);
        let mut writer = BufWriter::new(file);
        let bytes = self.get(req, &mut writer).await?;
        writer.flush().await.map_err(Error::Local)?;
        writer.get_ref().sync_all().await.map_err(Error::Local)?;
        temp.persist(path).map_err(|e| Error::Local(e.error))?;
        Ok(bytes)
    }

    /// Uploads everything `source` gives as the request's file; its bytes after the modem's
    /// final `OK`.
    pub async fn put<R>(&mut self, req: &Request<'_>, source: &mut R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        self.settle().await?;
        self.driver.start_put(self.now(), req)?;
        self.run(None::<&mut tokio::io::Sink>, Some(source)).await?.transferred()
    }

    /// Brings the GPRS link up (also fine when it was up); the address, when the modem said.
    pub async fn link_up(&mut self, req: &LinkRequest<'_>) -> Result<Option<Ipv4Addr>, Error> {
        self.settle().await?;
        self.driver.start_link(self.now(), req)?;
        self.idle_run().await?.link_up()
    }

    /// Reads a parameter back from the modem.
    pub async fn read_param(&mut self, param: Param, dialect: Dialect) -> Result<Vec<u8>, Error> {
        self.settle().await?;
        self.driver.read_param(self.now(), param, dialect)?;
        self.idle_run().await?.value()
    }

    fn now(&self) -> Instant {
        Instant::from_elapsed(self.origin.elapsed())
    }

    /// An operation left in flight (its future was dropped, or its caller's I/O failed) is
    /// aborted and drained first, so that every call starts with the modem in command mode.
    async fn settle(&mut self) -> Result<(), Error> {
        self.abort.take();
        if self.driver.is_busy() {
            self.driver.abort(self.now());
            // The old operation's own verdict (aborted, most likely) is not this call's; a
            // port that fails is.
            if let Err(Error::Port(e)) = self.idle_run().await {
                return Err(Error::Port(e));
            }
        }
        Ok(())
    }

    /// `run` with neither a sink nor a source.
    async fn idle_run(&mut self) -> Result<Finished, Error> {
        self.run(None::<&mut tokio::io::Sink>, None::<&mut tokio::io::Empty>).await
    }

    /// Carries out the driver's actions until the operation is done.
    async fn run<W, R>(
        &mut self,
        mut sink: Option<&mut W>,
        mut source: Option<&mut R>,
    ) -> Result<Finished, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
        R: AsyncRead + Unpin + ?Sized,
    {
        let mut local: Option<io::Error> = None;
        // Bytes written to the stream since its last flush.
        let mut unflushed = false;
        let limit = self.driver.session().config().data_timeout;
        loop {
            let now = self.now();
            if self.abort.take() {
                self.driver.abort(now);
            }
            let failed = match self.driver.poll(now) {
                Action::Transmit(t) => {
                    unflushed = true;
                    // One write at a time: the driver keeps the rest, so a call dropped here
                    // resumes the write in the next call instead of losing bytes. A port that
                    // takes nothing for the data timeout (flow control held) is broken.
                    let stall = tokio::time::sleep(limit);
                    let wrote = tokio::select! {
                        r = self.io.write(t.bytes()) => r,
                        () = stall => Err(ErrorKind::TimedOut.into()),
                    };
                    match wrote {
                        Ok(0) => Some(ErrorKind::WriteZero.into()),
                        Ok(n) => {
                            if let Some(tap) = &mut self.tap {
                                tap(Wire::Sent(t.head(n)));
                            }
                            self.driver.transmitted(n);
                            None
                        }
                        Err(e) if e.kind() == ErrorKind::Interrupted => None,
                        Err(e) => Some(e),
                    }
                }
                Action::Peek(buf) => {
                    let got = tokio::select! {
                        biased;
                        r = self.io.read(buf) => Some(r),
                        () = std::future::ready(()) => None,
                    };
                    match got.map(|r| took(&mut self.tap, r, buf)) {
                        None | Some(Ok(0)) => None,
                        Some(Ok(n)) => {
                            self.driver.received(n);
                            None
                        }
                        Some(Err(e)) => Some(e),
                    }
                }
                Action::Payload(data) => {
                    if let Some(sink) = sink.as_mut()
                        && let Err(e) = sink.write_all(data).await
                    {
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
                    let read = match source.as_mut() {
                        Some(source) => source.read(buf).await,
                        None => Ok(0),
                    };
                    match read {
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
                    if unflushed {
                        unflushed = false;
                        if let Err(e) = self.io.flush().await {
                            self.driver = Driver::new(*self.driver.session().config());
                            return Err(Error::Port(e));
                        }
                        // The driver's borrow ended with the await above: ask again.
                        continue;
                    }
                    // No deadline never happens in practice (see `Action::Read`), and one beyond
                    // the clock's range is as good as none: a day stands in for both.
                    let far = tokio::time::Instant::now() + FAR;
                    let wake = deadline.and_then(|d| self.origin.checked_add(d.elapsed()));
                    let sleep = tokio::time::sleep_until(wake.unwrap_or(far).min(far));
                    let woke = tokio::select! {
                        r = self.io.read(buf) => Woke::Read(r),
                        () = sleep => Woke::Deadline,
                        () = self.abort.0.1.notified() => Woke::Abort,
                    };
                    match woke {
                        Woke::Read(r) => match took(&mut self.tap, r, buf) {
                            Ok(n) => {
                                self.driver.received(n);
                                None
                            }
                            Err(e) => Some(e),
                        },
                        Woke::Deadline => {
                            self.driver.timed_out(self.now());
                            None
                        }
                        // The flag is read at the top of the loop.
                        Woke::Abort => None,
                    }
                }
                Action::Done(result) => return Finished::verdict(Some(result), local),
                Action::Idle => return Finished::verdict(None, local),
            };
            if let Some(e) = failed {
                // The stream is gone or broken: the modem's state is unknown. Start over in
                // command mode, as after a timeout.
                self.driver = Driver::new(*self.driver.session().config());
                return Err(Error::Port(e));
            }
        }
    }
}
