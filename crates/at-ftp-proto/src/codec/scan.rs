//! The hot loops of the codec: finding special bytes and moving the runs between them.
//!
//! Everything speed-critical sits behind [`decode`] and [`encode`], so a faster kernel (SIMD) can
//! replace them without touching the state handling in `unescape.rs` and `escape.rs`. Each
//! kernel switches between two strategies:
//! - long runs: `memchr2` finds the next special byte and the run before it is copied whole;
//! - dense escapes: words of 8 bytes are tested for special bytes at once (SWAR) and moved whole
//!   when clean; a word with a special byte goes through a branch-free byte step, because one
//!   `memchr2` call per escape costs more than it saves when the runs are short, and a branch per
//!   byte mispredicts on random data.

use super::Specials;

/// A run shorter than this sends the kernel into the dense path.
const SHORT_RUN: usize = 48;
/// How many input bytes the dense path handles before the kernel reconsiders `memchr2`.
const DENSE_SPAN: usize = 256;
/// The dense path hands back to `memchr2` when it met at most this many special bytes in a span.
const SPARSE: usize = 2;

/// The input and output of one kernel call: separate slices, or one buffer decoded in place.
///
/// Indices are always in bounds: the kernels only read below `input_len` and write below
/// `output_len`.
pub(super) trait Buffers {
    fn input_len(&self) -> usize;
    fn output_len(&self) -> usize;
    fn input(&self, at: usize) -> u8;
    /// The position of the first special byte in `input[from..to]`, relative to `from`.
    fn find_special(&self, from: usize, to: usize, s: Specials) -> Option<usize>;
    /// Copies `input[from..from + len]` to `output[to..to + len]`.
    fn copy_run(&mut self, from: usize, to: usize, len: usize);
    fn put(&mut self, at: usize, byte: u8);
    /// The 8 input bytes at `at`, little-endian.
    fn load8(&self, at: usize) -> u64;
    /// Writes 8 bytes at `output[at..]` (after the input they come from was read).
    fn store8(&mut self, at: usize, word: u64);
}

/// Separate input and output slices.
pub(super) struct Split<'a> {
    pub(super) input: &'a [u8],
    pub(super) output: &'a mut [u8],
}

impl Buffers for Split<'_> {
    #[inline(always)]
    fn input_len(&self) -> usize {
        self.input.len()
    }
    #[inline(always)]
    fn output_len(&self) -> usize {
        self.output.len()
    }
    #[inline(always)]
    fn input(&self, at: usize) -> u8 {
        self.input[at]
    }
    #[inline(always)]
    fn find_special(&self, from: usize, to: usize, s: Specials) -> Option<usize> {
        find_special(&self.input[from..to], s)
    }
    #[inline(always)]
    fn copy_run(&mut self, from: usize, to: usize, len: usize) {
        self.output[to..to + len].copy_from_slice(&self.input[from..from + len]);
    }
    #[inline(always)]
    fn put(&mut self, at: usize, byte: u8) {
        self.output[at] = byte;
    }
    #[inline(always)]
    fn load8(&self, at: usize) -> u64 {
        load8(&self.input[at..])
    }
    #[inline(always)]
    fn store8(&mut self, at: usize, word: u64) {
        self.output[at..at + 8].copy_from_slice(&word.to_le_bytes());
    }
}

/// One buffer, decoded towards its start. Valid only while the write index never passes the
/// read index, which decoding guarantees (no wire byte yields more than one payload byte).
pub(super) struct InPlace<'a> {
    pub(super) buf: &'a mut [u8],
}

impl Buffers for InPlace<'_> {
    #[inline(always)]
    fn input_len(&self) -> usize {
        self.buf.len()
    }
    #[inline(always)]
    fn output_len(&self) -> usize {
        self.buf.len()
    }
    #[inline(always)]
    fn input(&self, at: usize) -> u8 {
        self.buf[at]
    }
    #[inline(always)]
    fn find_special(&self, from: usize, to: usize, s: Specials) -> Option<usize> {
        find_special(&self.buf[from..to], s)
    }
    #[inline(always)]
    fn copy_run(&mut self, from: usize, to: usize, len: usize) {
        // Until the first escape the payload is already where it belongs.
        if from != to {
            self.buf.copy_within(from..from + len, to);
        }
    }
    #[inline(always)]
    fn put(&mut self, at: usize, byte: u8) {
        self.buf[at] = byte;
    }
    #[inline(always)]
    fn load8(&self, at: usize) -> u64 {
        load8(&self.buf[at..])
    }
    #[inline(always)]
    fn store8(&mut self, at: usize, word: u64) {
        self.buf[at..at + 8].copy_from_slice(&word.to_le_bytes());
    }
}

#[inline(always)]
fn load8(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// Whether any byte of `word` equals `dle` or `etx` (each splatted over 8 bytes): the classic
/// "has a zero byte" test on `word ^ splat`, exact as a yes/no answer.
#[inline(always)]
fn has_special(word: u64, dle: u64, etx: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    zero(word ^ dle) | zero(word ^ etx) != 0
}

/// The first special byte in `haystack`.
#[inline(always)]
pub(super) fn find_special(haystack: &[u8], s: Specials) -> Option<usize> {
    memchr::memchr2(s.dle(), s.etx(), haystack)
}

/// Why [`decode`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DecodeStop {
    /// All input was read.
    InputEnd,
    /// The output is full.
    OutputFull,
    /// The lone terminator was read (and counted as read).
    Terminator,
    /// The last input byte was a DLE; it is read, and its partner comes with the next input.
    PendingDle,
    /// Strict mode met DLE followed by an ordinary byte. The DLE is read, its partner is not.
    Invalid,
}

/// Decodes from `input[r..]` into `output[w..]` until a reason to stop; returns the new read and
/// write indices and the reason.
///
/// Requires `w <= r` for in-place buffers; keeps it.
#[inline(always)]
pub(super) fn decode<B: Buffers>(
    io: &mut B,
    s: Specials,
    lenient: bool,
    mut r: usize,
    mut w: usize,
) -> (usize, usize, DecodeStop) {
    let (dle, etx) = (s.dle(), s.etx());
    let (dle8, etx8) = (splat(dle), splat(etx));
    let n = io.input_len();
    let cap = io.output_len();
    let mut dense = false;
    loop {
        if r >= n {
            return (r, w, DecodeStop::InputEnd);
        }
        if w >= cap {
            return (r, w, DecodeStop::OutputFull);
        }
        // No wire byte yields more than one payload byte, so reading at most `cap - w` bytes
        // can never overflow the output.
        let end = n.min(r + (cap - w));
        if dense {
            let stop = end.min(r + DENSE_SPAN);
            let mut specials = 0;
            // Whole words without a special byte move at once; a word with one goes through the
            // branch-free byte step, which keeps a DLE open across bytes in `escaped`.
            let mut escaped = false;
            'span: while r < stop {
                if !escaped && r + 8 <= stop {
                    let word = io.load8(r);
                    if !has_special(word, dle8, etx8) {
                        io.store8(w, word);
                        r += 8;
                        w += 8;
                        continue;
                    }
                }
                let word_end = stop.min(r + 8);
                while r < word_end {
                    let b = io.input(r);
                    let (is_dle, is_etx) = (b == dle, b == etx);
                    let is_special = is_dle | is_etx;
                    // Rare cases leave the fast step: an ETX that ends the data, or a DLE pair
                    // that is not an escape (strict error or lenient pass-through).
                    if (escaped & !is_special) | (!escaped & is_etx) {
                        break 'span;
                    }
                    // Written always, kept only when `w` advances: no branch on the byte.
                    io.put(w, b);
                    w += usize::from(escaped | !is_special);
                    escaped = !escaped & is_dle;
                    specials += usize::from(is_special);
                    r += 1;
                }
            }
            if escaped {
                // The DLE at `r - 1` is unpaired so far: `special` decides what it is.
                r -= 1;
            }
            if (r < stop || escaped)
                && let Some(stop) = special(io, dle, etx, lenient, n, &mut r, &mut w)
            {
                return (r, w, stop);
            }
            dense = specials > SPARSE;
        } else {
            match io.find_special(r, end, s) {
                None => {
                    io.copy_run(r, w, end - r);
                    w += end - r;
                    r = end;
                }
                Some(run) => {
                    io.copy_run(r, w, run);
                    r += run;
                    w += run;
                    dense = run < SHORT_RUN;
                    if let Some(stop) = special(io, dle, etx, lenient, n, &mut r, &mut w) {
                        return (r, w, stop);
                    }
                }
            }
        }
    }
}

/// `byte` in all eight bytes of a word.
#[inline(always)]
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// Handles the special byte at `r` (there is room for one output byte at `w`).
#[inline(always)]
fn special<B: Buffers>(
    io: &mut B,
    dle: u8,
    etx: u8,
    lenient: bool,
    n: usize,
    r: &mut usize,
    w: &mut usize,
) -> Option<DecodeStop> {
    if io.input(*r) == etx {
        *r += 1;
        return Some(DecodeStop::Terminator);
    }
    if *r + 1 == n {
        *r += 1;
        return Some(DecodeStop::PendingDle);
    }
    let next = io.input(*r + 1);
    if next == dle || next == etx {
        io.put(*w, next);
        *r += 2;
        *w += 1;
        None
    } else if lenient {
        // The DLE stands for itself; `next` is an ordinary byte and is read as such.
        io.put(*w, dle);
        *r += 1;
        *w += 1;
        None
    } else {
        *r += 1;
        Some(DecodeStop::Invalid)
    }
}

/// Why [`encode`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EncodeStop {
    /// All input was read.
    InputEnd,
    /// The output is full.
    OutputFull,
    /// The output had room for a DLE but not for the special byte it escapes: that byte is read
    /// and must be written first next time.
    Split(u8),
}

/// Encodes `input[r..]` into `output[w..]`; returns the new indices and the reason it stopped.
#[inline(always)]
pub(super) fn encode(
    io: &mut Split<'_>,
    s: Specials,
    mut r: usize,
    mut w: usize,
) -> (usize, usize, EncodeStop) {
    let (dle, etx) = (s.dle(), s.etx());
    let (dle8, etx8) = (splat(dle), splat(etx));
    let n = io.input_len();
    let cap = io.output_len();
    let mut dense = false;
    loop {
        if r >= n {
            return (r, w, EncodeStop::InputEnd);
        }
        if w >= cap {
            return (r, w, EncodeStop::OutputFull);
        }
        // Room for every byte even if each needs an escape, so the dense step can write
        // without checking; a nearly full output goes through the careful path below.
        let room2 = (cap - w) / 2;
        if dense && room2 > 0 {
            let stop = n.min(r + room2).min(r + DENSE_SPAN);
            let mut specials = 0;
            while r < stop {
                if r + 8 <= stop {
                    let word = io.load8(r);
                    if !has_special(word, dle8, etx8) {
                        io.store8(w, word);
                        r += 8;
                        w += 8;
                        continue;
                    }
                }
                for _ in 0..8.min(stop - r) {
                    let b = io.input(r);
                    let is_special = usize::from(b == dle || b == etx);
                    // The DLE is written always and kept only before a special byte.
                    io.put(w, dle);
                    w += is_special;
                    io.put(w, b);
                    w += 1;
                    specials += is_special;
                    r += 1;
                }
            }
            dense = specials > SPARSE;
        } else {
            let end = n.min(r + (cap - w));
            match io.find_special(r, end, s) {
                None => {
                    io.copy_run(r, w, end - r);
                    w += end - r;
                    r = end;
                }
                Some(run) => {
                    io.copy_run(r, w, run);
                    r += run;
                    w += run;
                    dense = run < SHORT_RUN;
                    let b = io.input(r);
                    io.put(w, dle);
                    w += 1;
                    r += 1;
                    if w == cap {
                        return (r, w, EncodeStop::Split(b));
                    }
                    io.put(w, b);
                    w += 1;
                }
            }
        }
    }
}
