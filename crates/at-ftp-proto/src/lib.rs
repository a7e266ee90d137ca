//! The sans-IO core of at-ftp: drive the FTP client built into a Multi-Tech (Wavecom-derived)
//! IP modem over its serial line, with AT commands.
//!
//! This crate does no I/O, reads no clock and never panics on input: it consumes bytes and gives
//! back bytes and events. Adapters (blocking, async, embedded) move them to and from a port.
//! It is `#![no_std]`; the `alloc` feature adds `Vec` conveniences, `std` (a default) implies
//! `alloc` and lets the codec pick its SIMD kernel at run time, and `simd` (a default) adds the
//! codec's AVX2 and AVX-512 kernels on x86-64: the only `unsafe` code of the crate, which is
//! free of it without that feature.
//!
//! # The DLE/ETX codec
//!
//! During a transfer the modem shields the file data with byte stuffing (module [`codec`]):
//! the escape byte DLE (0x10) and the terminator ETX (0x03) are each sent after a DLE, every
//! other byte is sent as itself, and a lone ETX ends the data. A file of the five bytes
//! `41 03 42 10 43` travels as
//!
//! ```text
//! 41 10 03 42 10 10 43 03
//! A  ^^^^^ B  ^^^^^ C  end
//!    ETX      DLE
//! ```
//!
//! The codec is usable on its own: other modems (Motorola G24, Sierra WIPsoft) and this stack's
//! socket `#DLEMODE` use the same rule, and [`Specials`] lets both bytes be chosen.
//!
//! A complete decode loop over chunks as they come from a port, with a small output buffer:
//!
//! ```
//! use at_ftp_proto::{InvalidEscape, Unescaper};
//!
//! # fn main() -> Result<(), InvalidEscape> {
//! // What the modem sends: the stuffed file, the terminator, then the final result line.
//! let wire = b"A\x10\x03B\x10\x10C\x03\r\nOK\r\n";
//! let reads: [&[u8]; 3] = [&wire[..2], &wire[2..5], &wire[5..]]; // a DLE ends the first read
//!
//! let mut dec = Unescaper::new();
//! let mut file = Vec::new();
//! let mut out = [0u8; 4];
//! let mut rest: &[u8] = &[];
//! 'reads: for read in reads {
//!     let mut input = read;
//!     loop {
//!         let p = dec.unescape(input, &mut out)?;
//!         file.extend_from_slice(&out[..p.written]);
//!         input = &input[p.consumed..];
//!         if p.end {
//!             rest = input; // bytes after the terminator belong to the command channel
//!             break 'reads;
//!         }
//!         if input.is_empty() {
//!             break; // wait for the next read
//!         }
//!     }
//! }
//! assert_eq!(file, b"A\x03B\x10C");
//! assert_eq!(rest, b"\r\nOK\r\n");
//! # Ok(())
//! # }
//! ```
//!
//! # The session
//!
//! A [`Session`] drives whole operations: a download ([`Session::start_get`]), an upload
//! ([`Session::start_put`]), bringing the GPRS link up, reading a parameter back. It is a
//! deterministic state machine: an adapter moves bytes and time in and out of it, and every
//! wait is a deadline it hands out, never a sleep.
//!
//! - Input: [`Session::handle_input`] with whatever the port returned, and
//!   [`Session::handle_timeout`] when the deadline passed. Time is an [`Instant`] the caller
//!   makes from its own clock.
//! - Output, drained in this order after every input: [`Session::poll_transmit`] (write all
//!   of it to the port), [`Session::poll_event`] (until `None`), then
//!   [`Session::poll_timeout`] (the deadline for the next read).
//! - `handle_input` returns how much it consumed: it stops at the first event, so payload
//!   never piles up inside the session. Drain the events, then give it the rest.
//!
//! The whole run loop, against a scripted modem that answers every command:
//!
//! ```
//! use at_ftp_proto::{Event, Instant, Request, Session};
//! # use at_ftp_proto::Escaper;
//! # /// Answers `OK` to each command line, and sends a file after `AT#FTPGET`.
//! # #[derive(Default)]
//! # struct Modem { line: Vec<u8>, out: Vec<u8> }
//! # impl Modem {
//! #     fn write(&mut self, bytes: &[u8]) {
//! #         for &b in bytes {
//! #             if b != b'\r' { self.line.push(b); continue; }
//! #             if self.line == b"AT#FTPGET" {
//! #                 self.out.extend_from_slice(b"\r\nOk_Info_DataBegin\r\n");
//! #                 let mut enc = Escaper::new();
//! #                 enc.escape_to_vec(b"hello\x03\x10world", &mut self.out);
//! #                 enc.finish_to_vec(&mut self.out);
//! #             }
//! #             self.out.extend_from_slice(b"\r\nOK\r\n");
//! #             self.line.clear();
//! #         }
//! #     }
//! #     /// What the port returns within `_deadline`; empty when it stays silent.
//! #     fn read(&mut self, _deadline: Option<Instant>) -> Vec<u8> { core::mem::take(&mut self.out) }
//! # }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut modem = Modem::default(); // a serial port, in real life
//! let mut now = Instant::ZERO; // from the adapter's clock, in real life
//! let mut session = Session::default();
//! let request = Request::new("ftp.example.com", "anonymous", "guest", "/pub", "hello.bin");
//! session.start_get(now, &request)?;
//!
//! let mut file = Vec::new(); // write to a temporary file, in real life
//! let mut input = Vec::new();
//! loop {
//!     while let Some(transmit) = session.poll_transmit() {
//!         modem.write(transmit.bytes());
//!     }
//!     while let Some(event) = session.poll_event() {
//!         match event {
//!             Event::Payload(data) => file.extend_from_slice(data),
//!             Event::Complete { bytes } => {
//!                 assert_eq!(bytes, 12);
//!                 assert_eq!(file, b"hello\x03\x10world");
//!                 return Ok(());
//!             }
//!             Event::Failed { error, .. } => return Err(error.into()),
//!             _ => {}
//!         }
//!     }
//!     if input.is_empty() {
//!         let deadline = session.poll_timeout();
//!         input = modem.read(deadline);
//!         if input.is_empty() {
//!             // Silence until the deadline.
//!             now = deadline.expect("an operation is in flight");
//!             session.handle_timeout(now);
//!             continue;
//!         }
//!     }
//!     let used = session.handle_input(now, &input);
//!     input.drain(..used);
//! }
//! # }
//! ```
#![no_std]
// `unsafe` is denied everywhere but in the codec's SIMD module (`codec/simd`), which allows it
// for its intrinsics; without the `simd` feature it is forbidden outright.
#![cfg_attr(feature = "simd", deny(unsafe_code))]
#![cfg_attr(not(feature = "simd"), forbid(unsafe_code))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod answer;
pub mod codec;
mod command;
mod engine;
mod error;
mod line;
pub mod response;
mod time;

pub use codec::{
    DLE, ETX, Escaper, InvalidEscape, Kernel, Mode, Progress, SameSpecials, Specials, Unescaper,
    max_escaped_len,
};
pub use command::{Dialect, Limits, LinkRequest, Param, Request, TransferType};
pub use engine::{
    Action, Config, Engine, Event, INPUT_BUFFER, Outcome, PAYLOAD_CHUNK, Resync, Transmit,
};
pub use error::{
    ConfigError, Error, Field, ModemError, ParamError, Problem, ProtocolError, StartError, Timer,
};
pub use line::{MAX_LINE, MIN_LINE};
pub use time::Instant;

/// The README's examples run as doctests, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
