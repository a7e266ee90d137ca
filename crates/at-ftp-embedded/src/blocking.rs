//! The blocking client, over [`embedded_io::Read`], [`embedded_io::Write`] and
//! [`embedded_io::ReadReady`]: a wait for input polls `read_ready` until the engine's deadline
//! on the [`Clock`]; a read is made only when it cannot block.
//!
//! A write blocks for as long as the port's `write` does: a UART without flow control always
//! drains, and the engine's write deadline is checked between writes.

use core::net::Ipv4Addr;
use core::sync::atomic::AtomicBool;

use at_ftp_proto::{Dialect, Engine, LinkRequest, Param, Request};
use embedded_io::{Error as _, Read, ReadReady, Write};

use crate::call::{Call, End, Io, Op, out_of_kind, write_all};
use crate::{Clock, Error, ErrorKind};

/// A blocking client: borrows the engine (the state the caller owns), holds the port and the
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
    /// Bytes were written since the last flush.
    unflushed: bool,
}

impl<'e, P, C, const PORT: usize, const CHUNK: usize, const LINE: usize, const SCRIPT: usize>
    Client<'e, P, C, PORT, CHUNK, LINE, SCRIPT>
where
    P: Read + Write + ReadReady,
    C: Clock,
{
    /// A client of `engine` over `port`, with time from `clock`.
    pub fn new(engine: &'e mut Engine<PORT, CHUNK, LINE, SCRIPT>, port: P, clock: C) -> Self {
        Client { engine, port, clock, abort: None, unflushed: false }
    }

    /// Aborts the call in flight when `flag` is set (from an interrupt handler, another
    /// core): the engine ends it cleanly, and the call returns `Failed(Aborted)`. The flag is
    /// read between the port's operations and while the client waits for input.
    pub fn with_abort(self, flag: &'e AtomicBool) -> Self {
        Client { abort: Some(flag), ..self }
    }

    /// The port and the clock back.
    pub fn into_inner(self) -> (P, C) {
        (self.port, self.clock)
    }

    /// Downloads `req` into `sink`; the byte count, a success only after the modem's `OK`.
    /// What reached the sink before a failure is not the file.
    pub fn get<W: Write>(&mut self, req: &Request<'_>, sink: &mut W) -> Result<u64, Error> {
        match self.run(Call::new(Op::Get(req), self.abort), &mut Sink(sink))? {
            End::Transferred(bytes) => Ok(bytes),
            _ => Err(out_of_kind()),
        }
    }

    /// Uploads `source` (read to its end) as `req`; the byte count the modem confirmed.
    pub fn put<R: Read>(&mut self, req: &Request<'_>, source: &mut R) -> Result<u64, Error> {
        match self.run(Call::new(Op::Put(req), self.abort), &mut Source(source))? {
            End::Transferred(bytes) => Ok(bytes),
            _ => Err(out_of_kind()),
        }
    }

    /// Brings the GPRS link up; the address the modem gave (none when it was up already).
    pub fn link_up(&mut self, req: &LinkRequest<'_>) -> Result<Option<Ipv4Addr>, Error> {
        match self.run_plain(Call::new(Op::Link(req), self.abort))? {
            End::LinkUp(address) => Ok(address),
            _ => Err(out_of_kind()),
        }
    }

    /// Takes the GPRS link down.
    pub fn link_down(&mut self) -> Result<(), Error> {
        match self.run_plain(Call::new(Op::Unlink, self.abort))? {
            End::LinkDown => Ok(()),
            _ => Err(out_of_kind()),
        }
    }

    /// Reads a parameter into `value`; its length. A value longer than `value` is
    /// `Local(OutOfMemory)`.
    pub fn read_param(
        &mut self,
        param: Param,
        dialect: Dialect,
        value: &mut [u8],
    ) -> Result<usize, Error> {
        match self.run_plain(Call::read_into(param, dialect, value, self.abort))? {
            End::Param(len) => Ok(len),
            _ => Err(out_of_kind()),
        }
    }

    /// Resynchronises the line now.
    pub fn resync(&mut self) -> Result<(), Error> {
        match self.run_plain(Call::new(Op::Resync, self.abort))? {
            End::Resynced => Ok(()),
            _ => Err(out_of_kind()),
        }
    }

    fn run_plain(&mut self, call: Call<'_>) -> Result<End, Error> {
        self.run(call, &mut NoData)
    }

    /// The run loop: each [`Io`] carried out and reported, until the call ends. One loop for
    /// every call (the data behind `dyn`): its code is in flash once.
    fn run(&mut self, mut call: Call<'_>, data: &mut dyn Data) -> Result<End, Error> {
        loop {
            let now = self.clock.now();
            match call.poll(self.engine, now) {
                Io::Write(t) => {
                    let result = self.port.write(t.bytes()).map_err(|e| e.kind());
                    self.unflushed |= result.is_ok_and(|n| n > 0);
                    call.wrote(t, result);
                }
                Io::Read { buf, deadline } => {
                    let room = buf.len();
                    let result = flush(&mut self.port, &mut self.unflushed).and_then(|()| {
                        loop {
                            match self.port.read_ready() {
                                Ok(true) => break ended(buf, |buf| self.port.read(buf)),
                                Ok(false) if self.clock.now() >= deadline => break Ok(0),
                                // Nothing read: the call looks at the flag and aborts.
                                Ok(false) if call.abort_pending() => break Ok(0),
                                Ok(false) => self.clock.idle(),
                                Err(e) => break Err(e.kind()),
                            }
                        }
                    });
                    call.read(room, result);
                }
                Io::Peek(buf) => {
                    let room = buf.len();
                    let result = match self.port.read_ready() {
                        Ok(true) => ended(buf, |buf| self.port.read(buf)),
                        Ok(false) => Ok(0),
                        Err(e) => Err(e.kind()),
                    };
                    call.read(room, result);
                }
                Io::Sink(bytes) => call.sunk(data.sink(bytes)),
                Io::Source(buf) => call.sourced(data.source(buf)),
                Io::Again => {}
                Io::Done(result) => return result,
            }
        }
    }
}

/// A read into `buf` of a port that said it was ready; nothing read is the port's end (a
/// hang-up), unless there was no room.
fn ended<E: embedded_io::Error>(
    buf: &mut [u8],
    read: impl FnOnce(&mut [u8]) -> Result<usize, E>,
) -> Result<usize, ErrorKind> {
    if buf.is_empty() {
        return Ok(0);
    }
    match read(buf) {
        Ok(0) => Err(ErrorKind::BrokenPipe),
        Ok(n) => Ok(n),
        Err(e) => Err(e.kind()),
    }
}

/// Flushes what was written since the last flush: before a wait for an answer, so that a
/// buffering port (a USB bridge) sends the command the answer's deadline is for. Until a
/// flush succeeds, the next wait tries again.
fn flush<P: Write>(port: &mut P, unflushed: &mut bool) -> Result<(), ErrorKind> {
    if *unflushed {
        port.flush().map_err(|e| e.kind())?;
        *unflushed = false;
    }
    Ok(())
}

/// A call's data: where a download goes, where an upload comes from.
trait Data {
    fn sink(&mut self, bytes: &[u8]) -> Result<(), ErrorKind>;
    fn source(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind>;
}

/// No data: a call that moves none (the engine never asks it for any).
struct NoData;

impl Data for NoData {
    fn sink(&mut self, _: &[u8]) -> Result<(), ErrorKind> {
        Ok(())
    }

    fn source(&mut self, _: &mut [u8]) -> Result<usize, ErrorKind> {
        Ok(0)
    }
}

/// A download into `W`.
struct Sink<'a, W>(&'a mut W);

impl<W: Write> Data for Sink<'_, W> {
    fn sink(&mut self, bytes: &[u8]) -> Result<(), ErrorKind> {
        write_all(self.0, bytes)
    }

    fn source(&mut self, _: &mut [u8]) -> Result<usize, ErrorKind> {
        Ok(0)
    }
}

/// An upload from `R`.
struct Source<'a, R>(&'a mut R);

impl<R: Read> Data for Source<'_, R> {
    fn sink(&mut self, _: &[u8]) -> Result<(), ErrorKind> {
        Ok(())
    }

    fn source(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.0.read(buf).map_err(|e| e.kind())
    }
}
