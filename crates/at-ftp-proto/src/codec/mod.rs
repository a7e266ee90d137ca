//! The DLE/ETX byte-stuffing codec (PROTOCOL.md section 4), usable on its own.
//!
//! This module owns the wire shielding of payload data and nothing else: it knows no AT
//! commands, no sessions and no clock. Other transports (the Motorola G24's `+FTPRETR`, Sierra
//! WIPsoft "continuous" mode, the stack's socket `#DLEMODE`) shield their data with the same rule,
//! so the two special bytes are configuration ([`Specials`]).
//!
//! | payload byte | on the wire |
//! |---|---|
//! | ETX (0x03) | DLE ETX (0x10 0x03) |
//! | DLE (0x10) | DLE DLE (0x10 0x10) |
//! | any other byte | itself |
//! | end of data | a lone ETX |
//!
//! - [`Unescaper`] decodes wire bytes, in chunks of any size, up to and including the lone
//!   terminator, and never consumes a byte after it.
//! - [`Escaper`] encodes payload for an upload and writes the terminator on [`Escaper::finish`].
//!
//! Both are streaming and allocation-free: each call reports in a [`Progress`] exactly how many
//! input bytes it consumed and how many output bytes it wrote, so output buffers of any size
//! (even one byte) make progress.
//!
//! The hot loops come in kernels ([`Kernel`]): a portable one on every target and, with the
//! `simd` feature (on by default) on x86-64, AVX2 and AVX-512 VBMI2 block kernels picked at run
//! time. All give the same bytes; `benches/README.md` has their speeds.

mod escape;
mod kernel;
mod scan;
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
mod simd;
mod unescape;

pub use escape::{Escaper, max_escaped_len};
pub use kernel::Kernel;
pub use unescape::{InvalidEscape, Strictness, Unescaper};

/// The escape byte used by default: DLE, 0x10.
pub const DLE: u8 = 0x10;
/// The terminator byte used by default: ETX, 0x03.
pub const ETX: u8 = 0x03;

/// The two special bytes of a stuffing scheme: the escape byte and the terminator.
///
/// The defaults, DLE (0x10) and ETX (0x03), are those of the Multi-Tech/Wavecom stack, the
/// Motorola G24 and Sierra WIPsoft. The two bytes must differ.
///
/// ```
/// use at_ftp_proto::Specials;
///
/// let s = Specials::new(0x10, 0x03).unwrap();
/// assert_eq!(s, Specials::default());
/// assert!(Specials::new(0x10, 0x10).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Specials {
    dle: u8,
    etx: u8,
}

impl Specials {
    /// DLE (0x10) escapes, ETX (0x03) terminates.
    pub const DEFAULT: Self = Self { dle: DLE, etx: ETX };

    /// Takes an escape byte and a terminator byte; they must differ, or no stream could tell an
    /// escaped byte from the end of data.
    pub const fn new(dle: u8, etx: u8) -> Result<Self, SameSpecials> {
        if dle == etx { Err(SameSpecials { byte: dle }) } else { Ok(Self { dle, etx }) }
    }

    /// The escape byte.
    pub const fn dle(self) -> u8 {
        self.dle
    }

    /// The terminator byte.
    pub const fn etx(self) -> u8 {
        self.etx
    }

    /// Whether `byte` must be escaped on the wire.
    pub const fn is_special(self, byte: u8) -> bool {
        byte == self.dle || byte == self.etx
    }
}

impl Default for Specials {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// [`Specials::new`] was given the same byte twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the escape byte and the terminator must differ (both are 0x{byte:02x})")]
pub struct SameSpecials {
    /// The byte given for both roles.
    pub byte: u8,
}

/// What one codec call did.
///
/// `consumed` input bytes were read (the caller passes the rest again, with more, next time) and
/// `written` output bytes were produced at the start of the output buffer. The output bytes
/// after those may have been overwritten: the SIMD kernels store whole vectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Progress {
    /// Input bytes read by this call.
    pub consumed: usize,
    /// Output bytes written by this call, from the start of the output buffer.
    pub written: usize,
    /// The stream is complete: the decoder consumed the lone terminator, or the encoder wrote it.
    /// Every later call does nothing and reports `end` again, until `reset`.
    pub end: bool,
}
