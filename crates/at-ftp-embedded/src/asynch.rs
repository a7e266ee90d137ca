//! The async client, over [`embedded_io_async::Read`] and [`embedded_io_async::Write`]: each
//! read and write races the engine's deadline on the [`AsyncClock`]; a peek polls the read
//! once.
//!
//! The port's `read` must be cancel-safe (a read dropped before it completed took no byte),
//! as embassy's buffered UARTs and `embedded-io-adapters`' are: a read that loses the race,
//! or a dropped call, drops it. A call's future may itself be dropped (a `select` with a
//! button, a timeout of the caller's): the operation it left in flight is aborted and
//! drained by the next call, before that call's own operation starts.

use core::future::{Future, poll_fn};
use core::net::Ipv4Addr;
use core::pin::pin;
use core::sync::atomic::AtomicBool;
use core::task::Poll;

use at_ftp_proto::{Dialect, Engine, LinkRequest, Param, Request};
use embedded_io::Error as _;
use embedded_io_async::{Read, Write};

use crate::call::{Call, End, Io, Op, out_of_kind};
use crate::{AsyncClock, Error, ErrorKind};

/// An async client: borrows the engine (the state the caller owns), holds the port and the
/// clock. See the crate documentation.
#[derive(Debug)]
pub struct Client<
    'e,
    P,
    C,
    const PORT: usize,
    const CHUNK: usize,
    const LINE: usize,
    const SCRIPT: usize,
> {
    engine: &'e mut Engine<PORT, CHUNK, LINE, SCRIPT>,
    port: P,
    clock: C,
    abort: Option<&'e AtomicBool>,
}

impl<'e, P, C, const PORT: usize, const CHUNK: usize, const LINE: usize, const SCRIPT: usize>
    Client<'e, P, C, PORT, CHUNK, LINE, SCRIPT>
where
    P: Read + Write,
    C: AsyncClock,
{
    /// A client of `engine` over `port`, with time from `clock`.
    pub fn new(engine: &'e mut Engine<PORT, CHUNK, LINE, SCRIPT>, port: P, clock: C) -> Self {
        Client { engine, port, clock, abort: None }
    }

    /// Aborts the call in flight when `flag` is set: the engine ends it cleanly and the call
    /// returns `Failed(Aborted)`. The flag is read between the port's operations (within one
    /// read's wait); dropping the call's future is the other way to stop it.
    pub fn with_abort(self, flag: &'e AtomicBool) -> Self {
        Client { abort: Some(flag), ..self }
    }

    /// The port and the clock back.
    pub fn into_inner(self) -> (P, C) {
        (self.port, self.clock)
    }

    /// Downloads `req` into `sink`; the byte count, a success only after the modem's `OK`.
    /// What reached the sink before a failure is not the file.
    pub async fn get<W: Write>(&mut self, req: &Request<'_>, sink: &mut W) -> Result<u64, Error> {
        let call = Call::new(Op::Get(req), self.abort);
        match self.run(call, Some(sink), None::<&mut &[u8]>).await? {
            End::Transferred(bytes) => Ok(bytes),
            _ => Err(out_of_kind()),
        }
    }

    /// Uploads `source` (read to its end) as `req`; the byte count the modem confirmed.
    pub async fn put<R: Read>(&mut self, req: &Request<'_>, source: &mut R) -> Result<u64, Error> {
        let call = Call::new(Op::Put(req), self.abort);
        match self.run(call, None::<&mut &mut [u8]>, Some(source)).await? {
            End::Transferred(bytes) => Ok(bytes),
            _ => Err(out_of_kind()),
        }
    }

    /// Brings the GPRS link up; the address the modem gave (none when it was up already).
    pub async fn link_up(&mut self, req: &LinkRequest<'_>) -> Result<Option<Ipv4Addr>, Error> {
        match self.run_plain(Call::new(Op::Link(req), self.abort)).await? {
            End::LinkUp(address) => Ok(address),
            _ => Err(out_of_kind()),
        }
    }

    /// Takes the GPRS link down.
    pub async fn link_down(&mut self) -> Result<(), Error> {
        match self.run_plain(Call::new(Op::Unlink, self.abort)).await? {
            End::LinkDown => Ok(()),
            _ => Err(out_of_kind()),
        }
    }

    /// Reads a parameter into `value`; its length. A value longer than `value` is
    /// `Local(OutOfMemory)`.
    pub async fn read_param(
        &mut self,
        param: Param,
        dialect: Dialect,
        value: &mut [u8],
    ) -> Result<usize, Error> {
        match self.run_plain(Call::read_into(param, dialect, value)).await? {
            End::Param(len) => Ok(len),
            _ => Err(out_of_kind()),
        }
    }

    /// Resynchronises the line now.
    pub async fn resync(&mut self) -> Result<(), Error> {
        match self.run_plain(Call::new(Op::Resync, self.abort)).await? {
            End::Resynced => Ok(()),
            _ => Err(out_of_kind()),
        }
    }

    async fn run_plain(&mut self, call: Call<'_>) -> Result<End, Error> {
        self.run(call, None::<&mut &mut [u8]>, None::<&mut &[u8]>).await
    }

    /// The run loop: each [`Io`] carried out and reported, until the call ends.
    async fn run<W: Write, R: Read>(
        &mut self,
        mut call: Call<'_>,
        mut sink: Option<&mut W>,
        mut source: Option<&mut R>,
    ) -> Result<End, Error> {
        loop {
            let now = self.clock.now();
            match call.poll(self.engine, now) {
                Io::Write(t) => {
                    let write = self.port.write(t.bytes());
                    let result = match race(write, self.clock.wait_until(t.deadline())).await {
                        Some(written) => written.map_err(|e| e.kind()),
                        None => Err(ErrorKind::TimedOut),
                    };
                    call.wrote(t, result);
                }
                Io::Read { buf, deadline } => {
                    let result = read(&mut self.port, buf, self.clock.wait_until(deadline)).await;
                    call.read(result);
                }
                Io::Peek(buf) => {
                    // A wait that is over at once: the read is polled once.
                    let result = read(&mut self.port, buf, core::future::ready(())).await;
                    call.read(result);
                }
                Io::Sink(data) => {
                    let result = match sink.as_mut() {
                        Some(sink) => sink.write_all(data).await.map_err(|e| e.kind()),
                        None => Ok(()),
                    };
                    call.sunk(result);
                }
                Io::Source(buf) => {
                    let result = match source.as_mut() {
                        Some(source) => source.read(buf).await.map_err(|e| e.kind()),
                        None => Ok(0),
                    };
                    call.sourced(result);
                }
                Io::Again => {}
                Io::Done(result) => return result,
            }
        }
    }
}

/// A read of `port` into `buf` that gives up when `timeout` completes first (0 bytes); a read
/// of nothing into room is the port's end (a hang-up).
async fn read<P: Read>(
    port: &mut P,
    buf: &mut [u8],
    timeout: impl Future<Output = ()>,
) -> Result<usize, ErrorKind> {
    if buf.is_empty() {
        return Ok(0);
    }
    match race(port.read(buf), timeout).await {
        Some(Ok(0)) => Err(ErrorKind::BrokenPipe),
        Some(Ok(n)) => Ok(n),
        Some(Err(e)) => Err(e.kind()),
        None => Ok(0),
    }
}

/// `work`'s output, or `None` when `timeout` completes first (`work` is polled first, so a
/// timeout already over still lets ready work through).
async fn race<T>(work: impl Future<Output = T>, timeout: impl Future<Output = ()>) -> Option<T> {
    let mut work = pin!(work);
    let mut timeout = pin!(timeout);
    poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        match timeout.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}
