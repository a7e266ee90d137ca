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
//! During a transfer the modem shields the file data with byte stuffing:
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
//! [`Unescaper`] decodes wire bytes in chunks of any size, up to and including the lone
//! terminator, and never consumes a byte after it; [`Escaper`] encodes an upload and writes
//! the terminator. Each call reports in a [`Progress`] exactly what it consumed and wrote, so
//! output buffers of any size make progress. A DLE followed by another byte is an error in
//! [`Strictness::Strict`] (the default), passed through in [`Strictness::Lenient`]. The hot
//! loops come in kernels ([`Kernel`]): a portable one everywhere and, with the `simd` feature
//! on x86-64, AVX2 and AVX-512 VBMI2 kernels picked at run time, all giving the same bytes.
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
//! # The engine
//!
//! An [`Engine`] drives whole operations on one port: a download ([`Engine::start_get`]), an
//! upload ([`Engine::start_put`]), bringing the GPRS link up, reading a parameter back, and
//! the resynchronisation of a line whose state is unknown. It is one deterministic state
//! machine with one run loop: the adapter asks [`Engine::poll`] what to do next and does
//! exactly that, then reports what happened:
//!
//! | [`Action`] | the adapter | then reports |
//! |---|---|---|
//! | `Transmit(t)` | writes `t.bytes()` (as much as the port takes) | [`Engine::transmitted`] |
//! | `Read { buf, deadline }` | reads the port into `buf`, waiting until `deadline` | [`Engine::received`] (0 if nothing came) |
//! | `Peek(buf)` | reads what the port has now, without waiting | [`Engine::received`] |
//! | `Upload(buf)` | fills `buf` from the file | [`Engine::uploaded`] (0 at its end) |
//! | `Payload(data)` | writes the downloaded bytes to a temporary file | — |
//! | `Event(e)` | logs it, shows progress | — |
//! | `Done(result)` | returns it | — |
//!
//! Time is an [`Instant`] the caller makes from its own clock and passes to every call that
//! depends on it; every deadline ([`Timer`]) fires inside `poll`, so the adapter holds none.
//! Every output borrows the engine's own buffers (port input, the transmit in flight, decoded
//! payload, upload data), once, until the next call: nothing is copied twice, and the engine
//! needs no allocator. The buffers' sizes are the engine's const parameters, chosen by the
//! caller ([`Engine`] has the table; [`SmallEngine`] is the microcontroller preset), and
//! [`Engine::new`] is a `const fn`, so that an engine can be a `static`.
//!
//! The whole run loop, against a scripted modem: the first operation of a new engine starts
//! by resynchronising the line (the last process may have been killed mid-transfer), then
//! sets the parameters and downloads.
//!
//! ```
//! use at_ftp_proto::{Action, Engine, Event, Instant, Outcome, Request};
//! # use at_ftp_proto::Escaper;
//! # /// Answers `OK` to each command line (V.250: bytes before `AT` are ignored), and sends a
//! # /// file after `AT#FTPGET`.
//! # #[derive(Default)]
//! # struct Port { line: Vec<u8>, out: Vec<u8> }
//! # impl Port {
//! #     fn write(&mut self, bytes: &[u8]) {
//! #         for &b in bytes {
//! #             if b != b'\r' { self.line.push(b); continue; }
//! #             let at = self.line.windows(2).position(|w| w == b"AT").unwrap_or(0);
//! #             if &self.line[at..] == b"AT#FTPGET" {
//! #                 self.out.extend_from_slice(b"\r\nOk_Info_DataBegin\r\n");
//! #                 let mut enc = Escaper::new();
//! #                 enc.escape_to_vec(b"hello\x03\x10world", &mut self.out);
//! #                 enc.finish_to_vec(&mut self.out);
//! #             }
//! #             self.out.extend_from_slice(b"\r\nOK\r\n");
//! #             self.line.clear();
//! #         }
//! #     }
//! #     /// What arrives before `_deadline` (a real port waits for it).
//! #     fn read(&mut self, buf: &mut [u8], _deadline: Instant) -> usize {
//! #         let n = self.out.len().min(buf.len());
//! #         buf[..n].copy_from_slice(&self.out[..n]);
//! #         self.out.drain(..n);
//! #         n
//! #     }
//! # }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut port = Port::default(); // a serial port, in real life
//! let mut now = Instant::ZERO; // from the adapter's clock, in real life
//! let mut engine = Engine::default();
//! let request = Request::new("ftp.example.com", "hello.bin").with_login("anonymous", "guest").with_dir("/pub");
//! engine.start_get(now, &request)?;
//!
//! let mut file = Vec::new(); // a temporary file, renamed into place after `Done(Ok)`
//! let bytes = loop {
//!     match engine.poll(now) {
//!         Action::Transmit(t) => {
//!             let n = t.bytes().len();
//!             port.write(t.bytes()); // all of it, here; a short write reports fewer
//!             engine.transmitted(now, n);
//!         }
//!         Action::Read { buf, deadline } => {
//!             let n = port.read(buf, deadline);
//!             if n == 0 {
//!                 now = deadline; // the port stayed silent until the deadline
//!             }
//!             engine.received(n);
//!         }
//!         Action::Peek(buf) => {
//!             let n = port.read(buf, now); // what is there, without waiting
//!             engine.received(n);
//!         }
//!         Action::Upload(_) => engine.uploaded(0), // never asked in a download
//!         Action::Payload(data) => file.extend_from_slice(data),
//!         Action::Event(Event::Unsolicited(line)) => println!("URC {line:?}"),
//!         Action::Event(_) => {}
//!         Action::Done(Ok(Outcome::Transferred { bytes })) => break bytes,
//!         Action::Done(outcome) => panic!("{outcome:?}"),
//!         Action::Idle => unreachable!("Done comes first"),
//!     }
//! };
//! assert_eq!((bytes, file.as_slice()), (12, &b"hello\x03\x10world"[..]));
//! # Ok(())
//! # }
//! ```
//!
//! # What an operation does at its edges
//!
//! - **A line whose state is unknown** (a new engine, a port that failed, a deadline that
//!   passed, an abort mid-command) is resynchronised before the next operation: input is
//!   drained until the line is quiet (through a lenient decoder, in case a download still
//!   streams), a modem that may wait for upload data is sent its terminator (twice: after a
//!   dangling DLE the first one completes the pair), and `AT` must be answered `OK` with the
//!   line quiet after it. V.250 lets a modem ignore whatever precedes `AT`, so the terminators
//!   do no harm to a modem that was in command mode. [`Config::resync`] turns this off for a
//!   line known clean.
//! - **An answer is only an answer to what was written**: input already in the port when a
//!   command is due is taken (as unsolicited) before the command is written.
//! - **A data phase nobody asked for** is brought back to command mode before the failure is
//!   reported: a download phase is drained as data (never read as lines), an upload phase is
//!   ended with a lone terminator, not one byte of ours in that file.
//! - **An upload** is heard between reading each piece of the file and sending it: a modem
//!   that ends the upload (its own ETX, or a failure) gets no more of it. The verdict is the
//!   first result after the modem's ETX, so that no echoed line of our payload is taken for
//!   it; its deadline starts when the terminator is written.
//! - **An abort** never sends a command of which no byte was written, completes the escape
//!   pair in flight and ends an upload with its terminator, and drains a download (the modem
//!   cannot be told to stop one).
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
mod codec;
mod command;
mod engine;
mod error;
mod line;
mod response;
mod time;
mod trace;
#[cfg(feature = "alloc")]
mod url;

pub use codec::{
    DLE, ETX, Escaper, InvalidEscape, Kernel, Progress, SameSpecials, Specials, Strictness,
    Unescaper, max_escaped_len,
};
pub use command::{
    Dialect, Known, Limits, LinkRequest, Param, Request, SCRIPT_ROOM, Setting, SettingValue,
    TransferType,
};
pub use engine::{
    Action, Config, Engine, Event, INPUT_BUFFER, MIN_PORT, Outcome, PAYLOAD_CHUNK, Resync,
    SmallEngine, Transmit,
};
pub use error::{
    Buffer, ConfigError, Error, Field, ModemError, ParamError, Problem, ProtocolError, StartError,
    Timer,
};
pub use line::{MAX_LINE, MIN_LINE};
pub use response::{Response, Value};
pub use time::Instant;
#[cfg(feature = "alloc")]
pub use url::{Url, UrlError};

/// The README's examples run as doctests, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
