//! The async adapter of at-ftp, on tokio: moves bytes and time between any
//! `AsyncRead + AsyncWrite` (a `tokio-serial` port, a TCP stream, `tokio::io::duplex`) and the
//! core's engine, and holds no protocol logic of its own. What it shares with the blocking
//! adapter (the settings, the errors, the call policy, downloads into a file) is
//! `at-ftp-host`'s.
//!
//! ```no_run
//! use at_ftp_proto::Request;
//! use at_ftp_tokio::{Client, Serial, Verify};
//!
//! # async fn demo() -> Result<(), at_ftp_tokio::Error> {
//! let mut client = Client::open("/dev/ttyUSB0", &Serial::default())?;
//! let request = Request::new("ftp.example.com", "hello.bin").with_login("anonymous", "guest").with_dir("/pub");
//! // The file appears at the path only after the modem's final `OK`, and only with this size.
//! let bytes = client.get_to_file(&request, "hello.bin".as_ref(), &Verify::new().size(5)).await?;
//! # Ok(())
//! # }
//! ```
//!
//! The engine owns the read buffer, so no partial frame is ever dropped, and every deadline:
//! the client waits with `select!` on the read or write, `sleep_until` the engine's deadline,
//! and the abort handle, then polls again. Cancellation: dropping a call's future leaves the
//! operation in flight; the next call aborts and drains it first, so every call starts with
//! the modem in command mode.
#![forbid(unsafe_code)]

use std::io::{self, ErrorKind, Write as _};
use std::net::Ipv4Addr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

pub use at_ftp_host::{Algorithm, Digest, Error, Event, Mismatch, Serial, Verify, Wire};
use at_ftp_host::{Call, Checked, Finished, Io, Op, PartFile, Sent, Session, sidecar};
use at_ftp_proto::{Config, Dialect, Engine, Instant, LinkRequest, Param, Request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::Notify;
use tokio_serial::{SerialPortBuilderExt, SerialStream};

/// Aborts the operation in flight from another task; see [`Client::abort_handle`].
#[derive(Clone, Debug, Default)]
pub struct AbortHandle(Arc<(AtomicBool, Notify)>);

impl AbortHandle {
    /// Asks the operation in flight to abort. It then ends with `Error::Failed(Aborted)` once
    /// the modem is back in command mode (see `at_ftp_proto::Engine::abort`).
    pub fn abort(&self) {
        self.0.0.store(true, Ordering::Relaxed);
        self.0.1.notify_one();
    }

    fn take(&self) -> bool {
        self.0.0.swap(false, Ordering::Relaxed)
    }
}

/// A modem on an async byte stream.
pub struct Client<T> {
    io: T,
    engine: Engine,
    session: Session,
    origin: tokio::time::Instant,
    abort: AbortHandle,
}

impl<T> std::fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("engine", &self.engine).finish_non_exhaustive()
    }
}

impl Client<SerialStream> {
    /// Opens the serial port at `path` (flow control as `line` says, DTR and RTS raised where
    /// the port supports them). Needs a tokio runtime with I/O enabled.
    pub fn open(path: &str, line: &Serial) -> Result<Client<SerialStream>, Error> {
        let mut port = line.builder(path).open_native_async().map_err(|e| Error::Port(e.into()))?;
        line.raise(&mut port);
        Client::new(port, line.config)
    }
}

/// The longest single wait: a deadline beyond the clock's range is as good as none.
const FAR: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

impl<T: AsyncRead + AsyncWrite + Unpin> Client<T> {
    /// Wraps an open stream. Unless `config.resync` is off, the first operation begins with a
    /// resynchronisation of the line.
    pub fn new(io: T, config: Config) -> Result<Client<T>, Error> {
        Ok(Client {
            io,
            engine: Engine::new(config)?,
            session: Session::default(),
            origin: tokio::time::Instant::now(),
            abort: AbortHandle::default(),
        })
    }

    /// Calls `f` with every byte written to and read from the port, for a transcript (see
    /// [`Wire`] about the password's echo).
    pub fn on_wire(&mut self, f: impl FnMut(Wire<'_>) + Send + 'static) {
        self.session.on_wire(f);
    }

    /// Calls `f` with every [`Event`]: progress, unsolicited result codes, resynchronisation.
    pub fn on_event(&mut self, f: impl FnMut(Event<'_>) + Send + 'static) {
        self.session.on_event(f);
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
        self.run(Op::Get(req), Some(sink), None::<&mut tokio::io::Empty>).await?.transferred()
    }

    /// Downloads the request's file to `path`. It goes to a temporary file beside it first,
    /// which is synced and renamed over `path` only after the modem's `OK`, and only when it
    /// is what `verify` says (its size and digests, checked as the bytes stream; the checksum
    /// file on the server fetched first when asked): a mismatch is [`Error::Mismatch`]. On
    /// any failure (and if this future is dropped) it is removed, and a file that was at
    /// `path` is left untouched.
    pub async fn get_to_file(
        &mut self,
        req: &Request<'_>,
        path: &Path,
        verify: &Verify,
    ) -> Result<u64, Error> {
        let part = PartFile::create(path)?;
        let mut file = BufWriter::new(tokio::fs::File::from_std(part.try_clone()?));
        let got = match self.resolve(req, verify).await {
            Ok(verify) => {
                let mut writer = Hashing { inner: &mut file, checked: verify.checked(io::sink()) };
                match self.get(req, &mut writer).await {
                    Ok(bytes) => match writer.checked.finish() {
                        Ok(_) => file.flush().await.map(|()| bytes).map_err(Error::Local),
                        Err(mismatch) => Err(mismatch.into()),
                    },
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        drop(file);
        // The sync may take a while: off the runtime's threads.
        tokio::task::spawn_blocking(move || part.finish(got))
            .await
            .map_err(|e| Error::Local(io::Error::other(e)))?
    }

    /// The digest the checksum file beside the request's file gives (`<name>.sha256`, else
    /// `<name>.md5`, each a small download of its own); [`Error::Sidecar`] when there is
    /// none or it names no digest for the file.
    pub async fn sidecar(&mut self, req: &Request<'_>) -> Result<Digest, Error> {
        let mut lookup = sidecar::Lookup::new(req.file);
        while let Some(name) = lookup.next() {
            let mut text = Memory(sidecar::Text::default());
            let result = self.get(&Request { file: &name, ..*req }, &mut text).await;
            if let Some(digest) = lookup.settle(result, &text.0)? {
                return Ok(digest);
            }
        }
        Err(lookup.missing().into())
    }

    /// `verify` with the checksum file's digest, when it asks for it.
    async fn resolve(&mut self, req: &Request<'_>, verify: &Verify) -> Result<Verify, Error> {
        if !verify.uses_sidecar() {
            return Ok(verify.clone());
        }
        Ok(verify.clone().expect(self.sidecar(req).await?))
    }

    /// Uploads everything `source` gives as the request's file; its bytes after the modem's
    /// final `OK`.
    pub async fn put<R>(&mut self, req: &Request<'_>, source: &mut R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        self.run(Op::Put(req), None::<&mut tokio::io::Sink>, Some(source)).await?.transferred()
    }

    /// Uploads everything `source` gives, then downloads the server's copy back (a second
    /// transfer) and compares its size and SHA-256 with what was sent, computed while
    /// sending: the bytes and the digest when the remote copy is proven identical,
    /// [`Error::Mismatch`] when the server stored something else.
    pub async fn put_verified<R>(
        &mut self,
        req: &Request<'_>,
        source: &mut R,
    ) -> Result<(u64, Digest), Error>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let mut sent = Sending(Sent::new(source, Algorithm::Sha256));
        let bytes = self.put(req, &mut sent).await?;
        let mut back = Memory(sent.0.expectation().checked(io::sink()));
        self.get(req, &mut back).await?;
        back.0.finish()?;
        Ok((bytes, sent.0.digest()))
    }

    /// Brings the GPRS link up (also fine when it was up); the address, when the modem said.
    pub async fn link_up(&mut self, req: &LinkRequest<'_>) -> Result<Option<Ipv4Addr>, Error> {
        self.idle_run(Op::Link(req)).await?.link_up()
    }

    /// Takes the GPRS link down (`AT#CONNECTIONSTOP`).
    pub async fn link_down(&mut self) -> Result<(), Error> {
        self.idle_run(Op::Unlink).await?.link_down()
    }

    /// Reads a parameter back from the modem; [`Param::LinkState`] is the link's state
    /// (`CONNECTED`, `IDLE`, ...).
    pub async fn read_param(&mut self, param: Param, dialect: Dialect) -> Result<Vec<u8>, Error> {
        self.idle_run(Op::Read(param, dialect)).await?.value()
    }

    /// Brings the line back to command mode now, whatever is known of it.
    pub async fn resync(&mut self) -> Result<(), Error> {
        self.idle_run(Op::Resync).await?.resynced()
    }

    /// `run` with neither a sink nor a source.
    async fn idle_run(&mut self, op: Op<'_>) -> Result<Finished, Error> {
        self.run(op, None::<&mut tokio::io::Sink>, None::<&mut tokio::io::Empty>).await
    }

    /// Carries out the call's I/O until it is done.
    async fn run<W, R>(
        &mut self,
        op: Op<'_>,
        mut sink: Option<&mut W>,
        mut source: Option<&mut R>,
    ) -> Result<Finished, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
        R: AsyncRead + Unpin + ?Sized,
    {
        self.abort.take();
        let origin = self.origin;
        // An engine deadline on tokio's clock.
        let at = |deadline: Instant| {
            let far = tokio::time::Instant::now() + FAR;
            origin.checked_add(deadline.elapsed()).unwrap_or(far).min(far)
        };
        let mut call = Call::new(&mut self.session, op);
        // Bytes written to the stream since its last flush.
        let mut unflushed = false;
        loop {
            let now = Instant::from_elapsed(origin.elapsed());
            if self.abort.take() {
                self.engine.abort(now);
            }
            let notified = self.abort.0.1.notified();
            match call.poll(&mut self.engine, now) {
                Io::Write(t) => {
                    unflushed = true;
                    // One write at a time: the engine keeps the rest, so a call dropped here
                    // resumes the write in the next call instead of losing bytes.
                    let wrote = tokio::select! {
                        r = self.io.write(t.bytes()) => r,
                        () = tokio::time::sleep_until(at(t.deadline())) => Err(ErrorKind::TimedOut.into()),
                        () = notified => Err(ErrorKind::Interrupted.into()),
                    };
                    call.wrote(t, wrote);
                }
                Io::Read { deadline, .. } if unflushed => {
                    // What was written reaches the modem before its answer is awaited.
                    tokio::select! {
                        r = self.io.flush() => {
                            unflushed = r.is_err();
                            call.flushed(r);
                        }
                        () = tokio::time::sleep_until(at(deadline)) => {}
                        () = notified => {}
                    }
                }
                Io::Read { buf, deadline } => {
                    let read = tokio::select! {
                        r = self.io.read(buf) => r,
                        () = tokio::time::sleep_until(at(deadline)) => Err(ErrorKind::TimedOut.into()),
                        () = notified => Err(ErrorKind::Interrupted.into()),
                    };
                    call.read(buf, read);
                }
                Io::Peek(buf) => {
                    let read = tokio::select! {
                        biased;
                        r = self.io.read(buf) => r,
                        () = std::future::ready(()) => Err(ErrorKind::WouldBlock.into()),
                    };
                    call.read(buf, read);
                }
                Io::Sink(data) => {
                    let wrote = match sink.as_mut() {
                        Some(sink) => sink.write_all(data).await,
                        None => Ok(()),
                    };
                    call.sunk(wrote);
                }
                Io::Source(buf) => {
                    let read = match source.as_mut() {
                        Some(source) => source.read(buf).await,
                        None => Ok(0),
                    };
                    call.sourced(read);
                }
                Io::Again => {}
                Io::Done(result) => return result,
            }
        }
    }
}

/// A writer in memory (never blocking) as an `AsyncWrite`.
struct Memory<W>(W);

impl<W: io::Write + Unpin> AsyncWrite for Memory<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().0.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().0.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Writes to `inner`, and hashes what it took.
struct Hashing<'a, W> {
    inner: &'a mut W,
    checked: Checked<io::Sink>,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Hashing<'_, W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut *this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written {
            // A sink never fails.
            let _ = this.checked.write_all(&buf[..n.min(buf.len())]);
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().inner).poll_shutdown(cx)
    }
}

/// An upload's source, hashed as it is read.
struct Sending<'a, R: ?Sized>(Sent<&'a mut R>);

impl<R: AsyncRead + Unpin + ?Sized> AsyncRead for Sending<'_, R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut **this.0.get_mut()).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = read {
            this.0.record(&buf.filled()[before..]);
        }
        read
    }
}
