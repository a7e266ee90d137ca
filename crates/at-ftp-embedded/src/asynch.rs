//! The async client, over [`embedded_io_async::Read`] and [`embedded_io_async::Write`]: each
//! read and write races the engine's deadline on the [`AsyncClock`]; a peek polls the read
//! once.
//!
//! The port's `read` must be cancel-safe (a read dropped before it completed took no byte),
//! as embassy's buffered UARTs and `embedded-io-adapters`' are: a read that loses the race,
//! or a dropped call, drops it. A call's future may itself be dropped (a `select` with a
//! button, a timeout of the caller's): the operation it left in flight is aborted and
//! drained by the next call, before that call's own operation starts. A write dropped before
//! it completed (its deadline passed, or the call's future was dropped) may have sent some of
//! its bytes on a port whose `write` is not cancel-safe: the engine is then reset, so that
//! the next call resynchronises the line before it sends anything.

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
    /// A write was in flight when its future was dropped: what it sent is unknown.
    writing: bool,
    /// Bytes were written since the last flush.
    unflushed: bool,
}

impl<'e, P, C, const PORT: usize, const CHUNK: usize, const LINE: usize, const SCRIPT: usize>
    Client<'e, P, C, PORT, CHUNK, LINE, SCRIPT>
where
    P: Read + Write,
    C: AsyncClock,
{
    /// A client of `engine` over `port`, with time from `clock`.
    pub fn new(engine: &'e mut Engine<PORT, CHUNK, LINE, SCRIPT>, port: P, clock: C) -> Self {
        Client { engine, port, clock, abort: None, writing: false, unflushed: false }
    }

    /// Aborts the call in flight when `flag` is set: the engine ends it cleanly and the call
    /// returns `Failed(Aborted)`. The flag is read between the port's operations: after the
    /// read in progress (which may wait as long as the phase's deadline: up to two minutes
    /// while a link comes up). Dropping the call's future stops it at once.
    pub fn with_abort(self, flag: &'e AtomicBool) -> Self {
        Client { abort: Some(flag), ..self }
    }

    /// The port and the clock back. If a write of this client was dropped half done, the
    /// engine is reset first (the next client's first operation resynchronises the line).
    pub fn into_inner(self) -> (P, C) {
        if self.writing {
            self.engine.reset();
        }
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
        match self.run_plain(Call::read_into(param, dialect, value, self.abort)).await? {
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
        if core::mem::take(&mut self.writing) {
            // A write of an earlier call was dropped mid-way: the line's state is unknown.
            self.engine.reset();
        }
        loop {
            let now = self.clock.now();
            match call.poll(self.engine, now) {
                Io::Write(t) => {
                    self.writing = true;
                    let write = self.port.write(t.bytes());
                    let result = match race(write, self.clock.wait_until(t.deadline())).await {
                        Some(written) => written.map_err(|e| e.kind()),
                        None => Err(ErrorKind::TimedOut),
                    };
                    // A write that lost the race may have sent part of its bytes.
                    self.writing = result.is_err_and(|kind| kind == ErrorKind::TimedOut);
                    self.unflushed |= result.is_ok_and(|n| n > 0);
                    call.wrote(t, result);
                }
                Io::Read { buf, deadline } => {
                    let room = buf.len();
                    let result = if self.unflushed {
                        // Before a wait for an answer: the command it answers must go out.
                        // Until a flush succeeds, the next wait tries again.
                        let flush = self.port.flush();
                        match race(flush, self.clock.wait_until(deadline)).await {
                            Some(Ok(())) => {
                                self.unflushed = false;
                                Ok(())
                            }
                            Some(Err(e)) => Err(e.kind()),
                            None => Err(ErrorKind::TimedOut),
                        }
                    } else {
                        Ok(())
                    };
                    let result = match result {
                        Ok(()) => read(&mut self.port, buf, self.clock.wait_until(deadline)).await,
                        Err(kind) => Err(kind),
                    };
                    call.read(room, result);
                }
                Io::Peek(buf) => {
                    let room = buf.len();
                    // A wait that is over at once: the read is polled once.
                    let result = read(&mut self.port, buf, core::future::ready(())).await;
                    call.read(room, result);
                }
                Io::Sink(data) => {
                    let result = match sink.as_mut() {
                        Some(sink) => write_all(sink, data).await,
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

/// Writes all of `bytes` to `sink`; a sink that takes nothing is `WriteZero` (not the panic of
/// `embedded_io_async::Write::write_all`).
async fn write_all<W: Write>(sink: &mut W, mut bytes: &[u8]) -> Result<(), ErrorKind> {
    while !bytes.is_empty() {
        match sink.write(bytes).await {
            Ok(0) => return Err(ErrorKind::WriteZero),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(e) => return Err(e.kind()),
        }
    }
    Ok(())
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
