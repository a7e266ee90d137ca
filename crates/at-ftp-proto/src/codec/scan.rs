//! The hot loops of the codec: finding special bytes and moving the runs between them.
//!
//! Everything speed-critical sits behind [`decode`] and [`encode`], so a faster kernel (SIMD) can
//! replace them without touching the state handling in `unescape.rs` and `escape.rs`. Each
//! kernel switches between two strategies:
//! - long runs: `memchr2` finds the next special byte and the run before it is copied whole;
//! - dense escapes: a plain byte loop, because one `memchr2` call per escape costs more than it
//!   saves when the runs are only a few bytes long.

use super::Specials;

/// A run shorter than this sends the kernel into the byte loop.
const SHORT_RUN: usize = 24;
/// How many input bytes the byte loop handles before the kernel reconsiders `memchr2`.
const SHORT_SPAN: usize = 64;
/// The byte loop hands back to `memchr2` when it met at most this many special bytes in a span.
const SPARSE: usize = 1;

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
            let stop = end.min(r + SHORT_SPAN);
            let mut specials = 0;
            while r < stop {
                let b = io.input(r);
                if b != dle && b != etx {
                    io.put(w, b);
                    r += 1;
                    w += 1;
                    continue;
                }
                specials += 1;
                if let Some(stop) = special(io, dle, etx, lenient, n, &mut r, &mut w) {
                    return (r, w, stop);
                }
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
        let end = n.min(r + (cap - w));
        if dense {
            let stop = end.min(r + SHORT_SPAN);
            let mut specials = 0;
            while r < stop && w < cap {
                let b = io.input(r);
                r += 1;
                if b == dle || b == etx {
                    specials += 1;
                    io.put(w, dle);
                    w += 1;
                    if w == cap {
                        return (r, w, EncodeStop::Split(b));
                    }
                }
                io.put(w, b);
                w += 1;
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
