//! The hot loops of the codec: finding special bytes and moving the runs between them.
//!
//! Everything speed-critical sits behind [`decode`] and [`encode`], so the state handling in
//! `unescape.rs` and `escape.rs` does not know which kernel runs. With a SIMD kernel (module
//! `simd`, chosen by [`Path`]) whole blocks go to it first, and the loops here handle the rest:
//! the bytes it stops at (a terminator, an undefined pair), and the last partial block. The
//! portable kernel is these loops alone. The portable decoder picks its next step from a running average of the run lengths between special bytes
//! (an average, so that a stray short run does not flip it back and forth):
//! - runs of 24 bytes or more: `memchr2` finds the next special byte, the run is copied whole,
//!   and a plain escape pair is decoded in the same tight loop;
//! - runs of 4 to 24 bytes: a plain byte loop with a branch per byte, which the predictor gets
//!   right most of the time at these densities;
//! - shorter runs: a byte step with no branch on the data (random escapes would mispredict),
//!   or, when the input is nothing but escape pairs, a branchy pair step that the regular
//!   pattern makes free.
//!
//! The average is kept across calls (in the `Unescaper`), so small reads do not start over.
//!
//! Measured and dropped: 32-byte SWAR block tests for medium runs, and inline 8-byte word steps
//! for runs under 384 bytes (both slower than `memchr2` at 1% escapes: 2.5 against 3.3 GiB/s
//! for the word steps; the exact per-byte masks cost more instructions than they save).
//!
//! Kept: four escape pairs per 8-byte word in the all-pairs step (3.0 against 2.1 GiB/s for the
//! byte loop, where one pair a step was level with it).
//!
//! The encoder uses `memchr2` for long runs and a branch-free step for dense ones.

use super::Specials;
use super::kernel::Path;
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
use super::simd;

/// Runs shorter than this on average send the decoder from `memchr2` to the byte steps.
const DENSE_RUN: usize = 24;
/// Runs at least this long on average (and shorter than [`DENSE_RUN`]) take the branchy byte
/// step; shorter ones the branch-free one.
const BRANCHY_RUN: usize = 4;
/// How many input bytes the decoder's mixed dense step takes before it looks at the density
/// again.
const DENSE_SPAN: usize = 128;
/// A run shorter than this sends the encoder into its dense path.
const SHORT_RUN: usize = 48;
/// How many input bytes the encoder's dense path handles before it reconsiders `memchr2`.
const ENCODE_SPAN: usize = 256;
/// The encoder's dense path hands back to `memchr2` when it met at most this many special
/// bytes in a span.
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
    /// Writes 4 bytes at `output[at..]`.
    fn put4(&mut self, at: usize, bytes: [u8; 4]);
    /// Writes 8 bytes at `output[at..]`.
    fn store8(&mut self, at: usize, word: u64);
    /// Decodes whole blocks from `r` and `w` with a SIMD kernel.
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    fn decode_blocks(&mut self, path: Path, s: Specials, r: usize, w: usize) -> simd::Decoded;
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
        load8(self.input, at)
    }
    #[inline(always)]
    fn put4(&mut self, at: usize, bytes: [u8; 4]) {
        self.output[at..at + 4].copy_from_slice(&bytes);
    }
    #[inline(always)]
    fn store8(&mut self, at: usize, word: u64) {
        self.output[at..at + 8].copy_from_slice(&word.to_le_bytes());
    }
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    #[inline(always)]
    fn decode_blocks(&mut self, path: Path, s: Specials, r: usize, w: usize) -> simd::Decoded {
        simd::decode_split(path, self.input, self.output, s, r, w)
    }
}

/// The 8 bytes of `bytes` at `at`, little-endian.
#[inline(always)]
fn load8(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
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
        load8(self.buf, at)
    }
    #[inline(always)]
    fn put4(&mut self, at: usize, bytes: [u8; 4]) {
        self.buf[at..at + 4].copy_from_slice(&bytes);
    }
    #[inline(always)]
    fn store8(&mut self, at: usize, word: u64) {
        self.buf[at..at + 8].copy_from_slice(&word.to_le_bytes());
    }
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    #[inline(always)]
    fn decode_blocks(&mut self, path: Path, s: Specials, r: usize, w: usize) -> simd::Decoded {
        simd::decode_in_place(path, self.buf, s, r, w)
    }
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

/// What the decoder learned of the escape density: kept across calls, so that small reads do
/// not each start from scratch (and pay for finding out again).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Density(usize);

impl Density {
    /// Sparse until seen otherwise.
    pub(super) const SPARSE: Density = Density(usize::MAX);
}

impl Default for Density {
    fn default() -> Self {
        Density::SPARSE
    }
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
///
/// A SIMD `path` decodes whole blocks and hands each byte it cannot decode as part of a block
/// (the terminator, the DLE of an undefined pair) to [`special`]; the portable loops below
/// decode what is left when less than a block remains.
#[inline(always)]
pub(super) fn decode<B: Buffers>(
    io: &mut B,
    s: Specials,
    lenient: bool,
    path: Path,
    r: usize,
    w: usize,
    density: &mut Density,
) -> (usize, usize, DecodeStop) {
    let (r, w) = match decode_blocks(io, s, lenient, path, r, w) {
        Ok(at) => at,
        Err(done) => return done,
    };
    let (r, w, stop, last_run) = decode_with(io, s, lenient, r, w, density.0);
    density.0 = last_run;
    (r, w, stop)
}

/// The SIMD part of [`decode`]: whole blocks, and the bytes the kernel stops at. `Ok` with the
/// indices where the portable loops go on, or `Err` with the call's result.
#[cfg(all(feature = "simd", target_arch = "x86_64"))]
#[inline(always)]
fn decode_blocks<B: Buffers>(
    io: &mut B,
    s: Specials,
    lenient: bool,
    path: Path,
    mut r: usize,
    mut w: usize,
) -> Result<(usize, usize), (usize, usize, DecodeStop)> {
    if path == Path::Portable {
        return Ok((r, w));
    }
    loop {
        let blocks = io.decode_blocks(path, s, r, w);
        (r, w) = (blocks.read, blocks.written);
        if !blocks.at_special {
            return Ok((r, w));
        }
        // There is a byte at `r` and room at `w`: the kernel left a whole block of each.
        let n = io.input_len();
        if let Some(stop) = special(io, s.dle(), s.etx(), lenient, n, &mut r, &mut w) {
            return Err((r, w, stop));
        }
    }
}

/// Without SIMD kernels there is nothing to do before the portable loops.
#[cfg(not(all(feature = "simd", target_arch = "x86_64")))]
#[inline(always)]
fn decode_blocks<B: Buffers>(
    _io: &mut B,
    _s: Specials,
    _lenient: bool,
    _path: Path,
    r: usize,
    w: usize,
) -> Result<(usize, usize), (usize, usize, DecodeStop)> {
    Ok((r, w))
}

/// [`decode`], with the running average of the run lengths between special bytes, which picks
/// the way to find the next one (0: nothing but escape pairs), in a local and handed back.
#[inline(always)]
fn decode_with<B: Buffers>(
    io: &mut B,
    s: Specials,
    lenient: bool,
    mut r: usize,
    mut w: usize,
    mut last_run: usize,
) -> (usize, usize, DecodeStop, usize) {
    let (dle, etx) = (s.dle(), s.etx());
    let n = io.input_len();
    let cap = io.output_len();
    'steps: loop {
        if r >= n {
            return (r, w, DecodeStop::InputEnd, last_run);
        }
        if w >= cap {
            return (r, w, DecodeStop::OutputFull, last_run);
        }
        // No wire byte yields more than one payload byte, so reading at most `cap - w` bytes
        // can never overflow the output.
        let end = n.min(r + (cap - w));
        let start = r;
        if last_run < DENSE_RUN {
            // The pair step stops by itself at the first ordinary byte; the mixed one looks
            // again at the density after a short span.
            let stop = if last_run == 0 { end } else { end.min(r + DENSE_SPAN) };
            let (read, written, pairs, at_special) = if last_run == 0 {
                dense_pairs(io, dle, etx, r, w, stop)
            } else if last_run < BRANCHY_RUN {
                dense_mixed(io, dle, etx, r, w, stop)
            } else {
                branchy(io, dle, etx, r, w, stop)
            };
            (r, w) = (read, written);
            let wire = r - start;
            // Nothing but pairs: the regular pattern suits the branchy step. Otherwise the
            // average run decides how to go on.
            last_run = if wire > 0 && pairs * 2 == wire { 0 } else { (wire / (pairs + 1)).max(1) };
            if at_special && let Some(stop) = special(io, dle, etx, lenient, n, &mut r, &mut w) {
                return (r, w, stop, last_run);
            }
            continue;
        }
        // The sparse loop: run, pair, run, pair... kept tight, since at about one escape in a
        // hundred bytes the cost per escape decides. Anything but a plain escape pair (the
        // terminator, a DLE at the end of the input, a bad pair) goes to `special` below.
        let mut start = r;
        loop {
            match io.find_special(r, end, s) {
                None => {
                    io.copy_run(r, w, end - r);
                    w += end - r;
                    r = end;
                    // A long run: stay sparse.
                    last_run = usize::MAX;
                    continue 'steps;
                }
                Some(run) => {
                    io.copy_run(r, w, run);
                    r += run;
                    w += run;
                }
            }
            // A running average, so that one short run among long ones does not flip the
            // strategy back and forth (each flip costs a misprediction).
            last_run = ((last_run).min(1 << 16) * 3 + (r - start)) / 4;
            if r + 1 >= end || io.input(r) != dle {
                break;
            }
            let next = io.input(r + 1);
            if (next != dle) & (next != etx) {
                break;
            }
            // `r + 1 < end` leaves room for this byte: `end - r <= cap - w`.
            io.put(w, next);
            r += 2;
            w += 1;
            start = r;
            if last_run < DENSE_RUN {
                // Escapes got dense: pick the next step afresh.
                continue 'steps;
            }
        }
        if let Some(stop) = special(io, dle, etx, lenient, n, &mut r, &mut w) {
            return (r, w, stop, last_run);
        }
    }
}

/// The step for escapes every few bytes: a plain loop with a branch per byte, which the
/// predictor gets right most of the time at these densities (cheaper than a `memchr2` call per
/// escape, and than the data dependencies of [`dense_mixed`]). Same contract as
/// [`dense_mixed`].
#[inline(always)]
fn branchy<B: Buffers>(
    io: &mut B,
    dle: u8,
    etx: u8,
    mut r: usize,
    mut w: usize,
    stop: usize,
) -> (usize, usize, usize, bool) {
    let mut pairs = 0;
    while r < stop {
        let b = io.input(r);
        if (b == dle) | (b == etx) {
            if b == etx || r + 1 >= stop {
                break;
            }
            let next = io.input(r + 1);
            if (next != dle) & (next != etx) {
                break;
            }
            io.put(w, next);
            r += 2;
            pairs += 1;
        } else {
            io.put(w, b);
            r += 1;
        }
        w += 1;
    }
    (r, w, pairs, r < stop)
}

/// The dense step for mixed data: one input byte per step with no branch on its value, so
/// random escapes cost no mispredictions. Stops before `stop`, or at a byte `special` must see:
/// an ETX that ends the data or a DLE pair that is not an escape (the DLE is then not read).
/// Returns the new indices, how many escape pairs it decoded, and whether it stopped at a byte
/// for `special`.
#[inline(always)]
fn dense_mixed<B: Buffers>(
    io: &mut B,
    dle: u8,
    etx: u8,
    mut r: usize,
    mut w: usize,
    stop: usize,
) -> (usize, usize, usize, bool) {
    let mut escaped = false;
    let mut specials = 0;
    while r < stop {
        let b = io.input(r);
        let (is_dle, is_etx) = (b == dle, b == etx);
        let is_special = is_dle | is_etx;
        if (escaped & !is_special) | (!escaped & is_etx) {
            break;
        }
        // Written always, kept only when `w` advances.
        io.put(w, b);
        w += usize::from(escaped | !is_special);
        specials += usize::from(escaped);
        escaped = !escaped & is_dle;
        r += 1;
    }
    if escaped {
        // The DLE at `r - 1` is unpaired so far: hand it to `special`.
        r -= 1;
    }
    (r, w, specials, r < stop)
}

/// The dense step for data that is all escape pairs: branches, which the regular pattern
/// makes free, instead of the data dependencies of [`dense_mixed`]. Same contract, except that
/// it also stops (not at a special byte) at an ordinary byte or one byte before `stop`.
#[inline(always)]
fn dense_pairs<B: Buffers>(
    io: &mut B,
    dle: u8,
    etx: u8,
    mut r: usize,
    mut w: usize,
    stop: usize,
) -> (usize, usize, usize, bool) {
    let mut pairs = 0;
    // Restated so the compiler can drop the bounds checks (`stop` is at most this already).
    let stop = stop.min(io.input_len());
    // Four pairs a step while the words hold nothing else (`stop - r` wire bytes have room
    // in the output: `w + 4 <= cap`).
    let (dle16, etx16) = (splat16(dle), splat16(etx));
    while r + 8 <= stop {
        let word = io.load8(r);
        let firsts = word & LOW_BYTES;
        let seconds = word >> 8 & LOW_BYTES;
        let special = zero_bytes(seconds ^ dle16) | zero_bytes(seconds ^ etx16);
        if (firsts != dle16) | (special & LOW_BYTES_HIGH_BIT != LOW_BYTES_HIGH_BIT) {
            break;
        }
        // The second bytes (even positions of `seconds`) packed into four.
        let packed = (seconds | seconds >> 8) & 0x0000_FFFF_0000_FFFF;
        let packed = (packed | packed >> 16) as u32;
        io.put4(w, packed.to_le_bytes());
        r += 8;
        w += 4;
        pairs += 4;
    }
    while r + 1 < stop {
        let b = io.input(r);
        let next = io.input(r + 1);
        // `|` and `&`, not `||` and `&&`: which special byte follows is random.
        if (b != dle) | ((next != dle) & (next != etx)) {
            return (r, w, pairs, (b == dle) | (b == etx));
        }
        io.put(w, next);
        r += 2;
        w += 1;
        pairs += 1;
    }
    (r, w, pairs, false)
}

/// `byte` in all eight bytes of a word.
#[inline(always)]
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// The low byte of each 16-bit lane.
const LOW_BYTES: u64 = 0x00FF_00FF_00FF_00FF;
/// The high bit of the low byte of each 16-bit lane.
const LOW_BYTES_HIGH_BIT: u64 = 0x0080_0080_0080_0080;

/// `byte` in the low byte of each 16-bit lane of a word, little-endian.
#[inline(always)]
const fn splat16(byte: u8) -> u64 {
    (byte as u64) * 0x0001_0001_0001_0001
}

/// The high bit of every zero byte of `word`, exactly (no carries between bytes).
#[inline(always)]
const fn zero_bytes(word: u64) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((word & LOW7) + LOW7) | word) & !LOW7
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
    // `|`, not `||`: which of the two follows is random, a second branch would mispredict.
    if (next == dle) | (next == etx) {
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
///
/// A SIMD `path` encodes whole blocks first, while the output has room for their worst case;
/// the portable loops below encode the rest.
pub(super) fn encode(
    io: &mut Split<'_>,
    s: Specials,
    path: Path,
    mut r: usize,
    mut w: usize,
) -> (usize, usize, EncodeStop) {
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    if path != Path::Portable {
        (r, w) = simd::encode(path, io.input, io.output, s, r, w);
    }
    #[cfg(not(all(feature = "simd", target_arch = "x86_64")))]
    let _ = path;
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
            let stop = n.min(r + room2).min(r + ENCODE_SPAN);
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
