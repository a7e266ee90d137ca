//! The streaming decoder: wire bytes in, payload out, up to the lone terminator.

use super::scan::{self, DecodeStop, InPlace, Split};
use super::{Kernel, Progress, Specials};

/// What the decoder does with a DLE followed by a byte that is neither DLE nor ETX.
///
/// The manual does not define that pair (PROTOCOL.md section 4), so by default it is a protocol
/// error; this is our choice, made to be safe.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strictness {
    /// The pair is an [`InvalidEscape`] error (the default).
    #[default]
    Strict,
    /// Both bytes pass through to the payload unchanged.
    Lenient,
}

/// A DLE followed by an ordinary byte, in [`Strictness::Strict`].
///
/// The decoder has consumed the DLE but not the byte after it, and keeps reporting this error
/// until [`Unescaper::reset`]: a corrupted stream is never silently resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid escape: DLE followed by 0x{byte:02x} at wire offset {offset}")]
pub struct InvalidEscape {
    /// The offset of the DLE in the wire stream, counted from the first byte this decoder
    /// consumed (or from its last reset); the same however the stream was split into calls.
    pub offset: u64,
    /// The byte that followed the DLE.
    pub byte: u8,
    /// What the failing call did before it met the pair: its payload is valid and must be kept.
    pub progress: Progress,
}

/// The streaming DLE/ETX decoder.
///
/// Feed it the wire bytes in chunks of any size: each call reports how many input bytes it
/// consumed and how many payload bytes it wrote, and whether it reached the lone terminator. A
/// DLE at the end of one chunk is remembered and paired with the first byte of the next; bytes
/// after the terminator are never consumed (they belong to the command channel).
///
/// ```
/// use at_ftp_proto::Unescaper;
///
/// let wire = b"a\x10\x03b\x10\x10c\x03\r\nOK\r\n";
/// let mut payload = [0u8; 16];
/// let mut dec = Unescaper::new();
/// let p = dec.unescape(wire, &mut payload).unwrap();
/// assert_eq!(&payload[..p.written], b"a\x03b\x10c");
/// assert!(p.end);
/// assert_eq!(&wire[p.consumed..], b"\r\nOK\r\n");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Unescaper {
    specials: Specials,
    mode: Strictness,
    /// The last byte consumed was an unpaired DLE.
    pending_dle: bool,
    /// In-place decoding in lenient mode can owe one payload byte that had no room yet.
    owed: Option<u8>,
    /// The terminator was consumed.
    ended: bool,
    /// Wire bytes consumed since construction or reset.
    position: u64,
    /// The kernel's view of the escape density, carried from call to call.
    density: scan::Density,
    /// The hot loop that runs.
    kernel: Kernel,
}

impl Unescaper {
    /// A strict decoder for DLE (0x10) and ETX (0x03).
    pub const fn new() -> Self {
        Self::with(Specials::DEFAULT, Strictness::Strict)
    }

    /// A decoder for other special bytes or another [`Strictness`].
    pub const fn with(specials: Specials, mode: Strictness) -> Self {
        Self {
            specials,
            mode,
            pending_dle: false,
            owed: None,
            ended: false,
            position: 0,
            density: scan::Density::SPARSE,
            kernel: Kernel::AUTO,
        }
    }

    /// The special bytes this decoder uses.
    pub const fn specials(&self) -> Specials {
        self.specials
    }

    /// The handling of undefined pairs.
    pub const fn strictness(&self) -> Strictness {
        self.mode
    }

    /// Whether the terminator has been consumed.
    pub const fn is_ended(&self) -> bool {
        self.ended
    }

    /// Wire bytes consumed since construction or the last [`reset`](Self::reset).
    pub const fn position(&self) -> u64 {
        self.position
    }

    /// Whether the last byte consumed was an unpaired DLE: if the input ends now, the stream
    /// was cut inside an escape pair.
    pub const fn is_mid_escape(&self) -> bool {
        self.pending_dle
    }

    /// The kernel that runs the hot loop ([`Kernel::AUTO`] unless set).
    pub const fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Chooses the kernel that runs the hot loop. Every kernel decodes the same bytes; this is
    /// for benchmarks and comparisons.
    pub fn set_kernel(&mut self, kernel: Kernel) {
        self.kernel = kernel;
    }

    /// Forgets all state, ready for a new stream with the same configuration (kernel
    /// included).
    pub fn reset(&mut self) {
        *self = Self { kernel: self.kernel, ..Self::with(self.specials, self.mode) };
    }

    /// Decodes `input` into `output`.
    ///
    /// Stops when the input is used up, the output is full, or the terminator is consumed (then
    /// `end` is set and the bytes after it are left unconsumed). Pass `input[consumed..]` again,
    /// with more wire bytes appended, on the next call.
    ///
    /// Only `output[..written]` is the payload; the bytes after it may have been overwritten
    /// (the SIMD kernels store whole vectors).
    ///
    /// # Errors
    ///
    /// [`InvalidEscape`] in [`Strictness::Strict`] when a DLE is followed by an ordinary byte.
    pub fn unescape(&mut self, input: &[u8], output: &mut [u8]) -> Result<Progress, InvalidEscape> {
        if self.ended {
            return Ok(Progress { end: true, ..Progress::default() });
        }
        let (mut r, mut w) = (0, 0);
        if let Some(byte) = self.owed {
            let Some(slot) = output.first_mut() else {
                return Ok(Progress::default());
            };
            *slot = byte;
            self.owed = None;
            w = 1;
        }
        if self.pending_dle {
            let (Some(&next), true) = (input.first(), w < output.len()) else {
                return Ok(Progress { consumed: 0, written: w, end: false });
            };
            if self.specials.is_special(next) {
                output[w] = next;
                r = 1;
            } else if self.mode == Strictness::Lenient {
                // The DLE stands for itself; `next` is read as an ordinary byte below.
                output[w] = self.specials.dle();
            } else {
                return Err(self.invalid(0, w, next));
            }
            w += 1;
            self.pending_dle = false;
        }
        let mut io = Split { input, output };
        let (r, w, stop) = self.scan(&mut io, r, w);
        self.finish_call(input, r, w, stop)
    }

    /// Decodes `buf` in place: the payload is written to `buf[..written]`.
    ///
    /// Useful when the wire bytes are read straight into a buffer the caller owns. The contract is
    /// that of [`unescape`](Self::unescape) with `buf` as both input and output: bytes from
    /// `consumed` on were not read and are untouched.
    ///
    /// One rare case needs a byte of room the buffer does not have: in [`Strictness::Lenient`], a DLE
    /// left pending by the previous call and followed by an ordinary byte yields two payload
    /// bytes for one wire byte. The decoder then keeps the last payload byte of this call and
    /// writes it first on the next call (which may be an [`unescape`](Self::unescape) with empty
    /// input, to drain it).
    ///
    /// # Errors
    ///
    /// [`InvalidEscape`] in [`Strictness::Strict`] when a DLE is followed by an ordinary byte.
    pub fn unescape_in_place(&mut self, buf: &mut [u8]) -> Result<Progress, InvalidEscape> {
        if self.ended {
            return Ok(Progress { end: true, ..Progress::default() });
        }
        let (mut r, mut w) = (0, 0);
        if self.pending_dle {
            let Some(&next) = buf.first() else {
                return Ok(Progress::default());
            };
            if self.specials.is_special(next) {
                // `buf[0]` already holds the payload byte.
                r = 1;
                w = 1;
            } else if self.mode == Strictness::Lenient {
                // The DLE is a payload byte that has no slot of its own before `buf[0]`.
                self.owed = Some(self.specials.dle());
            } else {
                return Err(self.invalid(0, 0, next));
            }
            self.pending_dle = false;
        }
        if self.owed.is_some() {
            match self.pay_owed(buf, &mut r, &mut w) {
                Some(stop) => return self.finish_call(buf, r, w, stop),
                None if self.owed.is_some() => {
                    return self.finish_call(buf, r, w, DecodeStop::InputEnd);
                }
                None => {}
            }
        }
        let mut io = InPlace { buf };
        let (r, w, stop) = self.scan(&mut io, r, w);
        self.finish_call(io.buf, r, w, stop)
    }

    /// In-place decoding while one payload byte is owed: every byte written shifts the payload by
    /// one until an escape pair (two wire bytes, one payload byte) makes room. Rare (lenient mode,
    /// an undefined pair split across calls), so it goes byte by byte.
    ///
    /// Returns a stop reason, or `None` when the debt is paid or the input is used up.
    fn pay_owed(&mut self, buf: &mut [u8], r: &mut usize, w: &mut usize) -> Option<DecodeStop> {
        let (dle, etx) = (self.specials.dle(), self.specials.etx());
        while let Some(owed) = self.owed {
            // Here `w == r`: the owed byte goes into the slot of the byte about to be read.
            let &b = buf.get(*r)?;
            buf[*w] = owed;
            *w += 1;
            *r += 1;
            if b == etx {
                self.owed = None;
                return Some(DecodeStop::Terminator);
            }
            if b != dle {
                self.owed = Some(b);
                continue;
            }
            let Some(&next) = buf.get(*r) else {
                self.owed = None;
                return Some(DecodeStop::PendingDle);
            };
            if next == dle || next == etx {
                buf[*w] = next;
                *w += 1;
                *r += 1;
                self.owed = None;
            } else {
                // Lenient (only lenient decoding ever owes): the DLE is owed in its turn.
                self.owed = Some(dle);
            }
        }
        None
    }

    /// Runs the kernel from read index `r` and write index `w`.
    fn scan<B: scan::Buffers>(
        &mut self,
        io: &mut B,
        r: usize,
        w: usize,
    ) -> (usize, usize, DecodeStop) {
        let (specials, lenient, path) = (self.specials, self.lenient(), self.kernel.path());
        scan::decode(io, specials, lenient, path, r, w, &mut self.density)
    }

    fn lenient(&self) -> bool {
        self.mode == Strictness::Lenient
    }

    /// Records the state a call leaves behind and builds its result.
    fn finish_call(
        &mut self,
        input: &[u8],
        consumed: usize,
        written: usize,
        stop: DecodeStop,
    ) -> Result<Progress, InvalidEscape> {
        self.position += consumed as u64;
        let progress = Progress { consumed, written, end: stop == DecodeStop::Terminator };
        match stop {
            DecodeStop::InputEnd | DecodeStop::OutputFull => {}
            DecodeStop::Terminator => self.ended = true,
            DecodeStop::PendingDle => self.pending_dle = true,
            DecodeStop::Invalid => {
                self.pending_dle = true;
                return Err(InvalidEscape {
                    offset: self.position - 1,
                    byte: input[consumed],
                    progress,
                });
            }
        }
        Ok(progress)
    }

    /// The error for a pending DLE followed by `byte` at the start of a call.
    fn invalid(&self, consumed: usize, written: usize, byte: u8) -> InvalidEscape {
        InvalidEscape {
            offset: self.position - 1,
            byte,
            progress: Progress { consumed, written, end: false },
        }
    }

    /// Decodes `input` and appends the payload to `output`; all of `input` is consumed unless the
    /// terminator comes first.
    ///
    /// # Errors
    ///
    /// As [`unescape`](Self::unescape); the payload decoded before the error is appended.
    #[cfg(feature = "alloc")]
    pub fn unescape_to_vec(
        &mut self,
        input: &[u8],
        output: &mut alloc::vec::Vec<u8>,
    ) -> Result<Progress, InvalidEscape> {
        let start = output.len();
        // A call writes at most one byte per input byte, plus a pending DLE and an owed byte.
        output.resize(start + input.len() + 2, 0);
        let result = self.unescape(input, &mut output[start..]);
        let written = match &result {
            Ok(p) => p.written,
            Err(e) => e.progress.written,
        };
        output.truncate(start + written);
        result
    }
}
