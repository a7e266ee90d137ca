//! The embedded adapter of at-ftp: drives the core's engine over an
//! [`embedded-io`](embedded_io) serial port, blocking ([`blocking::Client`]) or async
//! ([`asynch::Client`], over [`embedded-io-async`](embedded_io_async)); `no_std`, no
//! allocator, no protocol logic of its own.
//!
//! The shape is embassy-net-ppp's over ppproto: the state is an [`Engine`] the user owns (a
//! `static`, built by the `const fn` [`Engine::new`], sized for the part:
//! [`SmallEngine`](at_ftp_proto::SmallEngine)), and a client borrows it with the port and a
//! clock for the calls it runs. Each call (`get`, `put`, `link_up`, `link_down`, `read_param`,
//! `resync`) runs one operation to its end, with the policies of the std adapters: an
//! operation left in flight by an earlier call (a dropped future) is aborted and drained
//! first; a port error resets the engine, so that the next operation resynchronises the line;
//! a failed sink abandons the download to that resynchronisation; a failed source, or the
//! abort flag ([`blocking::Client::with_abort`]), aborts the operation cleanly (an upload gets
//! its terminator, the modem is back in command mode before the call returns; a download
//! cannot be stopped, so an aborted one returns once the rest of the file has been drained).
//! Writes are flushed before every wait for an answer. Unlike the std adapters, a client keeps
//! no record of the settings it sent: every transfer sends them all.
//!
//! Time is the caller's: a [`Clock`] for the blocking client (any monotonic counter), an
//! [`AsyncClock`] for the async one (or `EmbassyClock` with the `embassy-time` feature).
//! The blocking client waits by polling [`embedded_io::ReadReady`] until the engine's deadline;
//! the async one races each read and write against its clock.
//!
//! A download into a CRC, over an in-memory port that plays the modem (a UART, in real life):
//!
//! ```
//! use at_ftp_embedded::{Clock, blocking::Client};
//! use at_ftp_proto::{Config, Instant, Request, SmallEngine};
//! # use at_ftp_proto::Escaper;
//! # /// Answers `OK` to each command line, and sends a file after `AT#FTPGET`.
//! # #[derive(Default)]
//! # struct Uart { line: Vec<u8>, out: std::collections::VecDeque<u8> }
//! # impl embedded_io::ErrorType for Uart { type Error = core::convert::Infallible; }
//! # impl embedded_io::Write for Uart {
//! #     fn write(&mut self, bytes: &[u8]) -> Result<usize, Self::Error> {
//! #         for &b in bytes {
//! #             if b != b'\r' { self.line.push(b); continue; }
//! #             let at = self.line.windows(2).position(|w| w == b"AT").unwrap_or(0);
//! #             if &self.line[at..] == b"AT#FTPGET" {
//! #                 self.out.extend(b"\r\nOk_Info_DataBegin\r\n");
//! #                 let (mut enc, mut wire) = (Escaper::new(), Vec::new());
//! #                 enc.escape_to_vec(b"hello\x03\x10world", &mut wire);
//! #                 enc.finish_to_vec(&mut wire);
//! #                 self.out.extend(wire);
//! #             }
//! #             self.out.extend(b"\r\nOK\r\n");
//! #             self.line.clear();
//! #         }
//! #         Ok(bytes.len())
//! #     }
//! #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! # }
//! # impl embedded_io::Read for Uart {
//! #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
//! #         let n = buf.len().min(self.out.len());
//! #         for (slot, b) in buf.iter_mut().zip(self.out.drain(..n)) { *slot = b; }
//! #         Ok(n)
//! #     }
//! # }
//! # impl embedded_io::ReadReady for Uart {
//! #     fn read_ready(&mut self) -> Result<bool, Self::Error> { Ok(!self.out.is_empty()) }
//! # }
//! /// A millisecond counter (a SysTick or a timer peripheral, in real life).
//! struct Ticks(u64);
//! impl Clock for Ticks {
//!     fn now(&mut self) -> Instant {
//!         self.0 += 1;
//!         Instant::from_millis(self.0)
//!     }
//! }
//!
//! /// Where the file goes: here only its CRC-32 and length.
//! struct Crc { crc: u32, len: u64 }
//! impl embedded_io::ErrorType for Crc { type Error = core::convert::Infallible; }
//! impl embedded_io::Write for Crc {
//!     fn write(&mut self, bytes: &[u8]) -> Result<usize, Self::Error> {
//!         for &b in bytes {
//!             self.crc ^= u32::from(b);
//!             for _ in 0..8 {
//!                 self.crc = (self.crc >> 1) ^ (0xedb8_8320 & (self.crc & 1).wrapping_neg());
//!             }
//!         }
//!         self.len += bytes.len() as u64;
//!         Ok(bytes.len())
//!     }
//!     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! }
//!
//! # fn main() -> Result<(), at_ftp_embedded::Error> {
//! // The state: a `static` on a microcontroller (see `Engine::new`).
//! let mut engine = SmallEngine::new(Config { resync: false, ..Config::DEFAULT })?;
//! let mut client = Client::new(&mut engine, Uart::default(), Ticks(0));
//! let request = Request::new("ftp.example.com", "hello.bin").with_login("anonymous", "guest");
//! let mut sink = Crc { crc: !0, len: 0 };
//! let bytes = client.get(&request, &mut sink)?; // a success only after the modem's `OK`
//! // The CRC-32 that Python's `zlib.crc32(b"hello\x03\x10world")` gives.
//! assert_eq!((bytes, sink.len, !sink.crc), (12, 12, 0xc224_3ce2));
//! # Ok(())
//! # }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod call;

pub mod asynch;
pub mod blocking;

use core::fmt;
use core::future::Future;

use at_ftp_proto::{ConfigError, StartError};
pub use at_ftp_proto::{Engine, Instant};
pub use embedded_io::ErrorKind;

/// A monotonic clock, for the blocking client: the engine's deadlines are read against it.
/// Any origin and any tick work (a SysTick count, a timer peripheral), as long as it never
/// goes back.
pub trait Clock {
    /// Now.
    fn now(&mut self) -> Instant;

    /// Called while the blocking client waits for the port, between two looks at it: a
    /// `wfi` until the next interrupt, a yield to other work. Default: nothing (the wait
    /// spins).
    fn idle(&mut self) {}
}

/// A clock that can wait, for the async client.
pub trait AsyncClock: Clock {
    /// Completes at `deadline` (at once if it passed).
    fn wait_until(&mut self, deadline: Instant) -> impl Future<Output = ()>;
}

/// `embassy-time`'s clock: [`Instant`]s are microseconds since its origin.
#[cfg(feature = "embassy-time")]
#[cfg_attr(docsrs, doc(cfg(feature = "embassy-time")))]
#[derive(Clone, Copy, Debug, Default)]
pub struct EmbassyClock;

#[cfg(feature = "embassy-time")]
impl Clock for EmbassyClock {
    fn now(&mut self) -> Instant {
        let micros = embassy_time::Instant::now().as_micros();
        Instant::from_elapsed(core::time::Duration::from_micros(micros))
    }
}

#[cfg(feature = "embassy-time")]
impl AsyncClock for EmbassyClock {
    fn wait_until(&mut self, deadline: Instant) -> impl Future<Output = ()> {
        let micros = u64::try_from(deadline.elapsed().as_micros()).unwrap_or(u64::MAX);
        embassy_time::Timer::at(embassy_time::Instant::from_micros(micros))
    }
}

/// What ends a client's call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The operation failed: the modem's error, a deadline, a protocol violation, an abort.
    Failed(at_ftp_proto::Error),
    /// The operation could not start (a parameter refused before anything was sent).
    Start(StartError),
    /// The engine refused its config or sizes (from [`Engine::new`]).
    Config(ConfigError),
    /// The port failed; the engine was reset (the next operation resynchronises the line).
    Port(ErrorKind),
    /// The sink or the source failed (the sink's: the download was abandoned to the next
    /// operation's resynchronisation; the source's: the upload was aborted). A parameter's
    /// value longer than the caller's buffer is `OutOfMemory`.
    Local(ErrorKind),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Failed(e) => write!(f, "{e}"),
            Error::Start(e) => write!(f, "{e}"),
            Error::Config(e) => write!(f, "{e}"),
            Error::Port(kind) => write!(f, "the port failed: {kind:?}"),
            Error::Local(kind) => write!(f, "the sink or source failed: {kind:?}"),
        }
    }
}

impl core::error::Error for Error {}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

/// Logs a failure through `log` or `defmt`, when either feature is on.
macro_rules! log_failure {
    ($($arg:tt)*) => {{
        #[cfg(feature = "log")]
        log::warn!($($arg)*);
        #[cfg(feature = "defmt")]
        defmt::warn!($($arg)*);
    }};
}
pub(crate) use log_failure;
