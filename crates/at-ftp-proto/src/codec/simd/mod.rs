//! The SIMD block kernels of the codec (x86-64, feature `simd`): the only place in the crate
//! where `unsafe` code is allowed.
//!
//! Each kernel handles whole blocks (64 bytes for AVX-512, 32 for AVX2) and leaves the rest to
//! the portable scan, which also owns every decision that is not a plain block: the
//! terminator, an undefined pair, a DLE left at the end of the input, a nearly full output.
//!
//! - **Decoding** finds the escaping DLEs of a block branch-free: within a run of DLEs the
//!   first, third, fifth... escape the byte after them (the carry trick simdjson uses for odd
//!   runs of backslashes, [`escapers`]). The escaping DLEs are dropped: AVX-512 with one
//!   `vpcompressb`, AVX2 with a `pshufb` per 8 bytes from a table of the 256 keep masks. A
//!   block with no special byte is copied as it is. An escape pair that straddles two blocks
//!   is carried as one bit. A decoder kernel stops *at* a terminator or at the DLE of an
//!   undefined pair, having decoded everything before it, so the scan only has to look at that
//!   one byte.
//! - **Encoding** inserts a DLE before each special byte: AVX-512 with one `vpexpandb` per
//!   32 input bytes (whose mask `pdep`/`pext` compute from the special bytes), AVX2 with a
//!   `pshufb` per 8 bytes from a table of the 256 expansions.
//!
//! The safe functions here check every bound a kernel relies on; the kernels state the
//! invariant each `unsafe` block needs. Every kernel is checked against the byte-at-a-time
//! oracle (`tests/codec_kernels.rs`, fuzz targets `kernel_avx2`, `kernel_avx512`).
// The one module of the crate where `unsafe` code is allowed (the crate root denies it): the
// intrinsics need it. Every block says why it is sound.
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]

mod avx2;
mod avx512;

use super::Specials;
use super::kernel::Path;

/// How far a decoder kernel got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Decoded {
    /// The next input byte to read. Never the second byte of an escape pair.
    pub(super) read: usize,
    /// The next output byte to write.
    pub(super) written: usize,
    /// It stopped at a byte the scan must handle (a terminator, or the DLE of a pair that is
    /// not an escape), with at least one block of input left and room for a block of output;
    /// otherwise it stopped for lack of a whole block of input or output room.
    pub(super) at_special: bool,
}

/// Decodes whole blocks of `input[r..]` into `output[w..]`.
#[inline(always)]
pub(super) fn decode_split(
    path: Path,
    input: &[u8],
    output: &mut [u8],
    s: Specials,
    r: usize,
    w: usize,
) -> Decoded {
    let io = Io {
        src: input.as_ptr(),
        n: input.len(),
        dst: output.as_mut_ptr(),
        cap: output.len(),
        r: r.min(input.len()),
        w: w.min(output.len()),
    };
    // SAFETY: `src..src + n` and `dst..dst + cap` are the two slices, borrowed for the call; a
    // SIMD `path` holds the proof of detection.
    unsafe { decode(path, io, s) }
}

/// Decodes whole blocks of `buf[r..]` into `buf[w..]`, towards the start of the buffer.
///
/// Requires `w <= r`; returns with `written <= read`.
#[inline(always)]
pub(super) fn decode_in_place(
    path: Path,
    buf: &mut [u8],
    s: Specials,
    r: usize,
    w: usize,
) -> Decoded {
    debug_assert!(w <= r, "in-place decoding writes behind the reading");
    let n = buf.len();
    let dst = buf.as_mut_ptr();
    let r = r.min(n);
    let io = Io { src: dst.cast_const(), n, dst, cap: n, r, w: w.min(r) };
    // SAFETY: both pointers come from one `&mut [u8]` of `n` bytes, borrowed for the call, and
    // `w <= r`; a SIMD `path` holds the proof of detection.
    unsafe { decode(path, io, s) }
}

/// Encodes whole blocks of `input[r..]` into `output[w..]`; returns the new read and write
/// indices. Stops when less than a block of input, or room for its worst case, is left.
#[inline(always)]
pub(super) fn encode(
    path: Path,
    input: &[u8],
    output: &mut [u8],
    s: Specials,
    r: usize,
    w: usize,
) -> (usize, usize) {
    let io = Io {
        src: input.as_ptr(),
        n: input.len(),
        dst: output.as_mut_ptr(),
        cap: output.len(),
        r: r.min(input.len()),
        w: w.min(output.len()),
    };
    // SAFETY: the two slices are borrowed for the call, and do not overlap; a SIMD `path`
    // holds the proof of detection.
    unsafe {
        match path {
            Path::Avx512(_) => avx512::encode(io, s.dle(), s.etx()),
            Path::Avx2(_) => avx2::encode(io, s.dle(), s.etx()),
            Path::Portable => (io.r, io.w),
        }
    }
}

/// The raw view a kernel works on.
///
/// Invariant (the callers above establish it): `src` is valid for reads of `n` bytes and `dst`
/// for writes of `cap` bytes, for the whole call; `r <= n` and `w <= cap`; either the two
/// ranges do not overlap, or `src == dst`, `n == cap` and `w <= r` (in place). Kernels keep
/// `r <= n`, `w <= cap`, and in place `w <= r`; they read only `src[r..n]` and write only
/// `dst[w..cap]`, and in place only bytes they have already read.
#[derive(Clone, Copy)]
struct Io {
    src: *const u8,
    n: usize,
    dst: *mut u8,
    cap: usize,
    r: usize,
    w: usize,
}

/// # Safety
///
/// `io` holds the invariant of [`Io`]. (The CPU supports `path`: a [`Path`] other than
/// `Portable` holds the proof of detection.)
#[inline(always)]
unsafe fn decode(path: Path, io: Io, s: Specials) -> Decoded {
    // SAFETY: passed on from the caller.
    unsafe {
        match path {
            Path::Avx512(_) => avx512::decode(io, s.dle(), s.etx()),
            Path::Avx2(_) => avx2::decode(io, s.dle(), s.etx()),
            Path::Portable => Decoded { read: io.r, written: io.w, at_special: false },
        }
    }
}

/// Steps back onto the escaping DLE at `r - 1`, which a decoder kernel read but did not write,
/// to hand it to the scan; returns `r - 1`. In place the kernel's full-width stores may have
/// overwritten that byte, so it is written back: it was a DLE.
///
/// # Safety
///
/// `src`, `dst` are those of an [`Io`] whose invariant holds, `1 <= r <= n`, the kernel read
/// the byte at `r - 1` (a DLE), and its output ends before it (`w <= r - 1`).
#[inline(always)]
unsafe fn back_to_dle(src: *const u8, dst: *mut u8, r: usize, dle: u8) -> usize {
    if src == dst.cast_const() {
        // SAFETY: in place `n == cap`, so `r - 1 < cap`; the byte is the kernel's to write
        // (read already, and not in the output written).
        unsafe { dst.add(r - 1).write(dle) };
    }
    r - 1
}

/// What a decoder kernel learns of one block from its DLE and ETX masks: which DLEs escape,
/// and where it must stop.
#[derive(Clone, Copy, Debug)]
struct Block {
    /// The escaping DLEs (read, never written).
    esc: u64,
    /// The escape carried into the block: 1 when its byte 0 is escaped.
    carry: u64,
    /// Terminators (ETX not escaped), and escaped bytes that are neither DLE nor ETX (the
    /// second bytes of undefined pairs).
    stops: u64,
}

impl Block {
    /// Reads a block of `width` bytes (32 or 64) from its masks `dle` and `etx` and the carry.
    #[inline(always)]
    fn scan(dle: u64, etx: u64, carry: u64, width: u32) -> Block {
        let esc = escapers(dle, carry);
        let escaped = (esc << 1 | carry) & u64::MAX >> (64 - width);
        Block { esc, carry, stops: (escaped & !(dle | etx)) | (etx & !escaped) }
    }

    /// The carry into the next block of `width` bytes.
    #[inline(always)]
    fn carry_out(self, width: u32) -> u64 {
        self.esc >> (width - 1)
    }

    /// Where to stop in a block with stops: the offset of the first stop byte, or for an
    /// undefined pair of its DLE; `None` when that DLE is the previous block's last byte.
    /// Nothing before the offset is in mid-pair: neither a stop byte nor an escaping DLE is
    /// escaped.
    #[inline(always)]
    fn stop_offset(self) -> Option<u32> {
        let at = self.stops.trailing_zeros();
        let escaped = self.esc << 1 | self.carry;
        match (at, escaped >> at & 1 != 0) {
            (0, true) => None,
            (at, true) => Some(at - 1),
            (at, false) => Some(at),
        }
    }
}

/// Alternate bits, starting at bit 1.
const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;
/// Alternate bits, starting at bit 0.
const EVEN_BITS: u64 = 0x5555_5555_5555_5555;

/// The escaping DLEs of a block: the first, third, fifth... DLE of every run of DLEs.
///
/// `dle` has bit `i` set when byte `i` is a DLE; `carry` is 1 when the byte before the block
/// was an escaping DLE, so byte 0 is escaped (and, if a DLE, escapes nothing). Branch-free: the
/// subtraction below lets each run's borrow flip the parity from where the run starts (the
/// method of simdjson's `json_escape_scanner`). Bits above a block narrower than 64 bytes are
/// only ever influenced from below, so callers mask them off.
#[inline(always)]
pub(super) fn escapers(dle: u64, carry: u64) -> u64 {
    let starts = dle & !carry;
    // Subtracting the run bits from "the bit after each of them, or odd bits" borrows through
    // each run; xor with the odd bits leaves, per run, alternate bits from its start.
    let code = ((starts << 1) | ODD_BITS).wrapping_sub(starts) ^ ODD_BITS;
    code & starts
}

/// The positions, among `8 + k` output bytes, of the 8 payload bytes of a group whose special
/// bytes are the `k` set bits of `special`: each special byte is preceded by a DLE slot.
///
/// For 32-bit `special` the same with 32 payload bytes among `32 + k`: bit `2i + 1` of an
/// interleaved mask stands for payload byte `i`, bit `2i` for the DLE before it, present only
/// when the byte is special; `pext` squeezes out the absent DLE slots.
#[inline(always)]
fn payload_slots(
    special: u32,
    pdep: impl Fn(u64, u64) -> u64,
    pext: impl Fn(u64, u64) -> u64,
) -> u64 {
    let present = pdep(u64::from(special), EVEN_BITS) | ODD_BITS;
    pext(ODD_BITS, present)
}

/// `pshufb` indices that keep the bytes of an 8-byte group whose bit is set in the table index,
/// in order, at the start; the unused tail indices are 0x80 (which `pshufb` turns into zero).
static COMPACT: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut mask = 0;
    while mask < 256 {
        let mut entry = [0x80u8; 8];
        let (mut bit, mut out) = (0, 0);
        while bit < 8 {
            if mask & (1 << bit) != 0 {
                entry[out] = bit as u8;
                out += 1;
            }
            bit += 1;
        }
        table[mask] = u64::from_le_bytes(entry);
        mask += 1;
    }
    table
};

/// `pshufb` indices that expand an 8-byte group (register bytes 0..8) to its wire form, taking
/// a DLE (register bytes 8..16 hold DLEs) before each byte whose bit is set in the table index.
/// The tail after `8 + popcount` bytes also takes DLEs; it is overwritten or out of the result.
static EXPAND: [[u8; 16]; 256] = {
    let mut table = [[8u8; 16]; 256];
    let mut mask = 0;
    while mask < 256 {
        let (mut bit, mut out) = (0, 0);
        while bit < 8 {
            if mask & (1 << bit) != 0 {
                // The DLE slot: index 8 already.
                out += 1;
            }
            table[mask][out] = bit as u8;
            out += 1;
            bit += 1;
        }
        mask += 1;
    }
    table
};

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// The escaping DLEs the slow way: walk the block with the escape state.
    fn escapers_by_walk(dle: u64, carry: u64) -> u64 {
        let mut escaped = carry != 0;
        let mut out = 0;
        for i in 0..64 {
            let is_dle = dle >> i & 1 != 0;
            if !escaped && is_dle {
                out |= 1 << i;
                escaped = true;
            } else {
                escaped = false;
            }
        }
        out
    }

    /// A small deterministic generator (xorshift), so the test needs no crate.
    fn masks() -> impl Iterator<Item = u64> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        (0..200_000).map(move |i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Dense, sparse and long runs alike: and/or several draws.
            match i % 4 {
                0 => x,
                1 => x & (x >> 3),
                2 => x | (x << 1) | (x >> 2),
                _ => !(x & (x << 5)),
            }
        })
    }

    #[test]
    fn escapers_equal_the_walk() {
        for dle in masks().chain([0, u64::MAX, 1, 1 << 63, ODD_BITS, EVEN_BITS]) {
            for carry in [0, 1] {
                assert_eq!(escapers(dle, carry), escapers_by_walk(dle, carry), "{dle:#x} {carry}");
            }
        }
    }

    /// `pdep`/`pext` bit by bit, to test [`payload_slots`] on any CPU.
    fn pdep(src: u64, mask: u64) -> u64 {
        let (mut out, mut k) = (0, 0);
        for i in 0..64 {
            if mask >> i & 1 != 0 {
                out |= (src >> k & 1) << i;
                k += 1;
            }
        }
        out
    }

    fn pext(src: u64, mask: u64) -> u64 {
        let (mut out, mut k) = (0, 0);
        for i in 0..64 {
            if mask >> i & 1 != 0 {
                out |= (src >> i & 1) << k;
                k += 1;
            }
        }
        out
    }

    #[test]
    fn payload_slots_skip_one_slot_per_special_byte() {
        for special in masks().take(20_000).map(|m| m as u32).chain([0, u32::MAX, 1, 1 << 31]) {
            let mut expected = 0u64;
            let mut at = 0;
            for i in 0..32 {
                at += (special >> i & 1) as usize;
                expected |= 1 << at;
                at += 1;
            }
            assert_eq!(payload_slots(special, pdep, pext), expected, "{special:#x}");
        }
    }

    #[test]
    fn tables_compact_and_expand() {
        let group: [u8; 8] = *b"abcdefgh";
        for mask in 0..256usize {
            let keep = COMPACT[mask].to_le_bytes();
            let kept: Vec<u8> =
                keep.iter().take(mask.count_ones() as usize).map(|&i| group[i as usize]).collect();
            let expected: Vec<u8> =
                (0..8).filter(|i| mask >> i & 1 != 0).map(|i| group[i]).collect();
            assert_eq!(kept, expected);
            assert!(keep[mask.count_ones() as usize..].iter().all(|&i| i == 0x80));

            let reg: Vec<u8> = group.iter().copied().chain([b'!'; 8]).collect();
            let wire: Vec<u8> = EXPAND[mask]
                .iter()
                .take(8 + mask.count_ones() as usize)
                .map(|&i| reg[i as usize])
                .collect();
            let mut expected = Vec::new();
            for (i, &b) in group.iter().enumerate() {
                if mask >> i & 1 != 0 {
                    expected.push(b'!');
                }
                expected.push(b);
            }
            assert_eq!(wire, expected);
        }
    }
}
