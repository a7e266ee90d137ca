//! The blocking adapter of at-ftp: moves bytes and time between a [`Port`] (a serial port, a
//! TCP bridge to a serial server, a pseudo-terminal) and the core's engine, and holds no
//! protocol logic of its own. What it shares with the async adapter (the settings, the errors,
//! the call policy, downloads into a file) is `at-ftp-host`'s.
//!
//! ```no_run
//! use at_ftp_blocking::{Client, Event, Serial, Verify};
//! use at_ftp_proto::Request;
//!
//! # fn main() -> Result<(), at_ftp_blocking::Error> {
//! let mut client = Client::open("/dev/ttyUSB0", &Serial::default())?;
//! client.on_event(|event| {
//!     if let Event::Progress(bytes) = event {
//!         eprintln!("{bytes} bytes");
//!     }
//! });
//! let request = Request::new("ftp.example.com", "hello.bin").with_login("anonymous", "guest").with_dir("/pub");
//! // The file appears at the path only after the modem's final `OK`, and only if it has the
//! // digest the checksum file beside it on the server gives (`hello.bin.sha256`).
//! let bytes = client.get_to_file(&request, "hello.bin".as_ref(), &Verify::new().sidecar())?;
//! # Ok(())
//! # }
//! ```
//!
//! Every wait is the engine's deadline, taken as the port's timeout (capped, so that an
//! [`AbortHandle`] from another thread is seen within [`ABORT_LATENCY`]). A read or write that
//! times out is "nothing yet", never an error: the engine fails the operation itself when its
//! deadline passes.
#![forbid(unsafe_code)]

use std::io::{self, BufWriter, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use at_ftp_host::{Algorithm, Digest, Error, Event, Mismatch, Serial, Verify, Wire};
use at_ftp_host::{Call, Finished, Io, Op, PartFile, Sent, Session, sidecar};
use at_ftp_proto::{Config, Dialect, Engine, Instant, LinkRequest, Param, Request};
use serialport::{SerialPort, TTYPort};

/// The longest a blocked read or write waits before it looks at the abort flag.
pub const ABORT_LATENCY: Duration = Duration::from_millis(100);

/// A byte stream to the modem whose reads and writes can be given a timeout.
pub trait Port: Read + Write {
    /// Sets how long the next reads and writes may wait; zero: not at all. A read or write
    /// that times out fails with `TimedOut` or `WouldBlock`.
    fn set_wait(&mut self, wait: Duration) -> io::Result<()>;
}

impl Port for Box<dyn SerialPort> {
    fn set_wait(&mut self, wait: Duration) -> io::Result<()> {
        self.set_timeout(wait).map_err(io::Error::from)
    }
}

impl Port for TTYPort {
    fn set_wait(&mut self, wait: Duration) -> io::Result<()> {
        self.set_timeout(wait).map_err(io::Error::from)
    }
}

impl Port for TcpStream {
    fn set_wait(&mut self, wait: Duration) -> io::Result<()> {
        // A zero timeout means "none" to a socket: not waiting is non-blocking mode.
        self.set_nonblocking(wait.is_zero())?;
        let wait = Some(wait).filter(|w| !w.is_zero());
        self.set_read_timeout(wait)?;
        self.set_write_timeout(wait)
    }
}

/// Aborts the operation in flight from another thread; see [`Client::abort_handle`].
#[derive(Clone, Debug, Default)]
pub struct AbortHandle(Arc<AtomicBool>);

impl AbortHandle {
    /// Asks the operation in flight to abort. It then ends with `Error::Failed(Aborted)` once
    /// the modem is back in command mode (see `at_ftp_proto::Engine::abort`).
    pub fn abort(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn take(&self) -> bool {
        self.0.swap(false, Ordering::Relaxed)
    }
}

/// A modem on a [`Port`]; by default, a serial port.
pub struct Client<P = Box<dyn SerialPort>> {
    port: P,
    engine: Engine,
    session: Session,
    origin: std::time::Instant,
    abort: AbortHandle,
}

impl<P> std::fmt::Debug for Client<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("engine", &self.engine).finish_non_exhaustive()
    }
}

impl Client {
    /// Opens the serial port at `path` (flow control as `line` says, DTR and RTS raised where
    /// the port supports them).
    pub fn open(path: &str, line: &Serial) -> Result<Client, Error> {
        let mut port =
            line.builder(path).timeout(ABORT_LATENCY).open().map_err(|e| Error::Port(e.into()))?;
        line.raise(&mut *port);
        Client::new(port, line.config)
    }
}

impl<P: Port> Client<P> {
    /// Wraps an open port. Unless `config.resync` is off, the first operation begins with a
    /// resynchronisation of the line.
    pub fn new(port: P, config: Config) -> Result<Client<P>, Error> {
        Ok(Client {
            port,
            engine: Engine::new(config)?,
            session: Session::default(),
            origin: std::time::Instant::now(),
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

    /// A handle that aborts the operation in flight, from any thread.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }

    /// The port, given back.
    pub fn into_inner(self) -> P {
        self.port
    }

    /// Downloads the request's file into `sink`; its bytes after the modem's final `OK`.
    /// The bytes written are provisional until then: see [`get_to_file`](Self::get_to_file).
    pub fn get(&mut self, req: &Request<'_>, sink: &mut dyn Write) -> Result<u64, Error> {
        self.run(Op::Get(req), Some(sink), None)?.transferred()
    }

    /// Downloads the request's file to `path`. It goes to a temporary file beside it first,
    /// which is synced and renamed over `path` only after the modem's `OK`, and only when it
    /// is what `verify` says (its size and digests, checked as the bytes stream; the checksum
    /// file on the server fetched first when asked): a mismatch is [`Error::Mismatch`]. On
    /// any failure the temporary file is removed, and a file that was at `path` is left
    /// untouched.
    pub fn get_to_file(
        &mut self,
        req: &Request<'_>,
        path: &Path,
        verify: &Verify,
    ) -> Result<u64, Error> {
        let part = PartFile::create(path)?;
        let got = self.resolve(req, verify).and_then(|verify| {
            let mut writer = verify.checked(BufWriter::new(part.file()));
            let bytes = self.get(req, &mut writer)?;
            let (mut writer, _) = writer.finish()?;
            writer.flush().map_err(Error::Local)?;
            Ok(bytes)
        });
        part.finish(got)
    }

    /// The digest the checksum file beside the request's file gives (`<name>.sha256`, else
    /// `<name>.md5`, each a small download of its own); [`Error::Sidecar`] when there is
    /// none or it names no digest for the file.
    pub fn sidecar(&mut self, req: &Request<'_>) -> Result<Digest, Error> {
        let mut lookup = sidecar::Lookup::new(req.file);
        while let Some(name) = lookup.next() {
            let mut text = sidecar::Text::default();
            let result = self.get(&Request { file: &name, ..*req }, &mut text);
            if let Some(digest) = lookup.settle(result, &text)? {
                return Ok(digest);
            }
        }
        Err(lookup.missing().into())
    }

    /// `verify` with the checksum file's digest, when it asks for it.
    fn resolve(&mut self, req: &Request<'_>, verify: &Verify) -> Result<Verify, Error> {
        if !verify.uses_sidecar() {
            return Ok(verify.clone());
        }
        Ok(verify.clone().expect(self.sidecar(req)?))
    }

    /// Uploads everything `source` gives as the request's file; its bytes after the modem's
    /// final `OK`.
    pub fn put(&mut self, req: &Request<'_>, source: &mut dyn Read) -> Result<u64, Error> {
        self.run(Op::Put(req), None, Some(source))?.transferred()
    }

    /// Uploads everything `source` gives, then downloads the server's copy back (a second
    /// transfer) and compares its size and SHA-256 with what was sent, computed while
    /// sending: the bytes and the digest when the remote copy is proven identical,
    /// [`Error::Mismatch`] when the server stored something else.
    pub fn put_verified(
        &mut self,
        req: &Request<'_>,
        source: &mut dyn Read,
    ) -> Result<(u64, Digest), Error> {
        let mut sent = Sent::new(source, Algorithm::Sha256);
        let bytes = self.put(req, &mut sent)?;
        let mut back = sent.expectation().checked(io::sink());
        self.get(req, &mut back)?;
        back.finish()?;
        Ok((bytes, sent.digest()))
    }

    /// Brings the GPRS link up (also fine when it was up); the address, when the modem said.
    pub fn link_up(&mut self, req: &LinkRequest<'_>) -> Result<Option<Ipv4Addr>, Error> {
        self.run(Op::Link(req), None, None)?.link_up()
    }

    /// Takes the GPRS link down (`AT#CONNECTIONSTOP`).
    pub fn link_down(&mut self) -> Result<(), Error> {
        self.run(Op::Unlink, None, None)?.link_down()
    }

    /// Reads a parameter back from the modem; [`Param::LinkState`] is the link's state
    /// (`CONNECTED`, `IDLE`, ...).
    pub fn read_param(&mut self, param: Param, dialect: Dialect) -> Result<Vec<u8>, Error> {
        self.run(Op::Read(param, dialect), None, None)?.value()
    }

    /// Brings the line back to command mode now, whatever is known of it.
    pub fn resync(&mut self) -> Result<(), Error> {
        self.run(Op::Resync, None, None)?.resynced()
    }

    /// Carries out the call's I/O until it is done.
    fn run(
        &mut self,
        op: Op<'_>,
        mut sink: Option<&mut dyn Write>,
        mut source: Option<&mut dyn Read>,
    ) -> Result<Finished, Error> {
        self.abort.take();
        let mut call = Call::new(&mut self.session, op);
        loop {
            let now = Instant::from_elapsed(self.origin.elapsed());
            if self.abort.take() {
                self.engine.abort(now);
            }
            match call.poll(&mut self.engine, now) {
                Io::Write(t) => {
                    let wait = t.deadline().duration_since(now).min(ABORT_LATENCY);
                    let wrote = self.port.set_wait(wait).and_then(|()| self.port.write(t.bytes()));
                    call.wrote(t, wrote);
                }
                Io::Read { buf, deadline } => {
                    let wait = deadline.duration_since(now).min(ABORT_LATENCY);
                    let read = self.port.set_wait(wait).and_then(|()| self.port.read(buf));
                    call.read(buf, read);
                }
                Io::Peek(buf) => {
                    let read =
                        self.port.set_wait(Duration::ZERO).and_then(|()| self.port.read(buf));
                    call.read(buf, read);
                }
                Io::Sink(data) => call.sunk(sink.as_mut().map_or(Ok(()), |s| s.write_all(data))),
                Io::Source(buf) => call.sourced(source.as_mut().map_or(Ok(0), |s| s.read(buf))),
                Io::Again => {}
                Io::Done(result) => return result,
            }
        }
    }
}
