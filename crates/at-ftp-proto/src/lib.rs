//! The sans-IO core of at-ftp: drive the FTP client built into a Multi-Tech (Wavecom-derived)
//! IP modem over its serial line, with AT commands.
//!
//! This crate does no I/O, reads no clock and never panics on input: it consumes bytes and gives
//! back bytes and events. Adapters (blocking, async, embedded) move them to and from a port.
//! It is `#![no_std]`; the `alloc` feature adds `Vec` conveniences, `std` (the default) adds
//! nothing else yet but implies `alloc`.
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
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod codec;
pub mod command;
pub mod error;
mod line;
pub mod response;
pub mod session;
mod time;

pub use codec::{
    DLE, ETX, Escaper, InvalidEscape, Mode, Progress, SameSpecials, Specials, Unescaper,
    max_escaped_len,
};
pub use command::{Dialect, LinkRequest, Param, Request, TransferType};
pub use error::{
    Error, Field, ModemError, ParamError, Phase, Problem, ProtocolError, StartError, WriteError,
};
pub use line::MAX_LINE;
pub use session::{Config, Event, PAYLOAD_CHUNK, Session, Transmit};
pub use time::Instant;

/// The README's examples run as doctests, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
