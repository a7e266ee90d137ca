//! The AVX2 kernels: 32-byte blocks, `vpmovmskb` masks, and `pshufb` per 8-byte group from the
//! tables of the parent module to drop or insert DLEs.

use core::arch::x86_64::*;

use super::{Block, COMPACT, Decoded, EXPAND, Io, back_to_dle};

/// Clean blocks in a row that send the decoder back to its clean mode (512 bytes). Long enough
/// that at 1% escapes (a clean 512 bytes one time in a hundred) it does not flip back and forth.
const CLEAN_RUN: u32 = 16;

/// Bytes per decoder block (one ymm register).
const BLOCK: usize = 32;

/// Writes the bytes of `v` whose bit is set in `keep` (32 bits), in order, from `out`; returns
/// how many. Writes with 8-byte stores: up to 32 bytes from `out`, beyond the kept ones.
///
/// # Safety
///
/// `out` is valid for writes of 32 bytes; the CPU supports AVX2 and POPCNT.
#[target_feature(enable = "avx2,popcnt")]
#[inline]
unsafe fn compact(v: __m256i, keep: u32, out: *mut u8) -> usize {
    let halves = [_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v)];
    let mut at = 0;
    for (half, bytes) in halves.into_iter().enumerate() {
        let k0 = (keep >> (16 * half)) as u8;
        let k1 = (keep >> (16 * half + 8)) as u8;
        // The high group's indices point 8 bytes on; 0x80 + 8 keeps the zeroing bit.
        let shuffle = _mm_set_epi64x(
            (COMPACT[usize::from(k1)] + 0x0808_0808_0808_0808) as i64,
            COMPACT[usize::from(k0)] as i64,
        );
        let packed = _mm_shuffle_epi8(bytes, shuffle);
        // SAFETY: `at <= 16 * half` before the group and `at <= 16 * half + 8` between
        // them, so each 8-byte store ends at most 32 bytes from `out`.
        unsafe {
            _mm_storel_epi64(out.add(at).cast(), packed);
            at += k0.count_ones() as usize;
            _mm_storel_epi64(out.add(at).cast(), _mm_unpackhi_epi64(packed, packed));
            at += k1.count_ones() as usize;
        }
    }
    at
}

/// Decodes whole 32-byte blocks; see [`Decoded`] for where it stops.
///
/// Two loops, as the AVX-512 decoder: the clean loop tests and stores 64 bytes at a time while
/// they hold no special byte; the compact loop handles every block (one DLE: two stores;
/// more: the table) until [`CLEAN_RUN`] clean blocks in a row send it back.
///
/// # Safety
///
/// `io` holds the invariant of [`Io`], and the CPU supports AVX2 and POPCNT.
#[target_feature(enable = "avx2,popcnt")]
pub(super) unsafe fn decode(io: Io, dle: u8, etx: u8) -> Decoded {
    if io.src == io.dst.cast_const() {
        // SAFETY: passed on.
        unsafe { decode_with::<true>(io, dle, etx) }
    } else {
        // SAFETY: passed on.
        unsafe { decode_with::<false>(io, dle, etx) }
    }
}

/// [`decode`], for one buffer decoded in place or for two.
///
/// # Safety
///
/// As [`decode`]; `IN_PLACE` is whether `src == dst`.
#[target_feature(enable = "avx2,popcnt")]
unsafe fn decode_with<const IN_PLACE: bool>(io: Io, dle: u8, etx: u8) -> Decoded {
    let Io { src, n, dst, cap, mut r, mut w } = io;
    let dle_v = _mm256_set1_epi8(dle as i8);
    let etx_v = _mm256_set1_epi8(etx as i8);
    let special = |v| _mm256_or_si256(_mm256_cmpeq_epi8(v, dle_v), _mm256_cmpeq_epi8(v, etx_v));
    // 1 when the last byte of the previous block was an escaping DLE (already read, not
    // written), so byte 0 of this block is escaped. Always 0 in the clean loop.
    let mut carry = 0u64;
    'clean: loop {
        while n - r >= 2 * BLOCK && cap - w >= 2 * BLOCK {
            // SAFETY: `r + 64 <= n`.
            let (v0, v1) = unsafe {
                (
                    _mm256_loadu_si256(src.add(r).cast()),
                    _mm256_loadu_si256(src.add(r + BLOCK).cast()),
                )
            };
            if _mm256_movemask_epi8(_mm256_or_si256(special(v0), special(v1))) != 0 {
                break;
            }
            // SAFETY: `w + 64 <= cap`; in place `w <= r`, so the stores end at most at byte
            // `r + 63`, read already (into `v0` and `v1`).
            unsafe {
                _mm256_storeu_si256(dst.add(w).cast(), v0);
                _mm256_storeu_si256(dst.add(w + BLOCK).cast(), v1);
            }
            r += 2 * BLOCK;
            w += 2 * BLOCK;
        }
        // The compact loop; also the last block of clean data.
        let mut clean_run = 0u32;
        while n - r >= BLOCK && cap - w >= BLOCK {
            // SAFETY: `r + 32 <= n`.
            let v = unsafe { _mm256_loadu_si256(src.add(r).cast()) };
            let d = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, dle_v)) as u32 as u64;
            let t = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, etx_v)) as u32 as u64;
            let block = Block::scan(d, t, carry, 32);
            if block.stops != 0 {
                // SAFETY: as this function's; `v` is the block at `r`, and `w + 32 <= cap`.
                let (read, written) = unsafe { partial(Io { r, w, ..io }, v, block, dle) };
                return Decoded { read, written, at_special: true };
            }
            let esc = block.esc;
            if !IN_PLACE
                && esc & esc.wrapping_sub(1) == 0
                && n - r > 2 * BLOCK
                && cap - w >= 2 * BLOCK
            {
                // At most one escaping DLE (the common case at 1% escapes): store the block,
                // then the 32 input bytes after the DLE over it from the DLE's slot on. No
                // table, and no branch on whether there is one (without one, the second store
                // lands past the block's output, where the next block's store goes).
                let at = esc.trailing_zeros().min(BLOCK as u32) as usize;
                // SAFETY: `r + at + 1 + 32 <= r + 65 <= n`; two buffers, and
                // `w + at + 32 <= w + 64 <= cap`.
                unsafe {
                    let after = _mm256_loadu_si256(src.add(r + at + 1).cast());
                    _mm256_storeu_si256(dst.add(w).cast(), v);
                    _mm256_storeu_si256(dst.add(w + at).cast(), after);
                }
                w += BLOCK - esc.count_ones() as usize;
            } else {
                // SAFETY: `w + 32 <= cap`. In place `w <= r`, so the stores end at most at
                // byte `r + 31`, read already; a DLE there that escapes the next block's first
                // byte may be overwritten, which is why it is written back if it goes back to
                // the scan.
                w += unsafe { compact(v, !esc as u32, dst.add(w)) };
            }
            r += BLOCK;
            carry = block.carry_out(32);
            clean_run = if d | t == 0 { clean_run + 1 } else { 0 };
            if clean_run >= CLEAN_RUN {
                // The carry is 0 after a clean block.
                continue 'clean;
            }
        }
        break;
    }
    if carry != 0 {
        // The pending escaping DLE goes back to the scan, unwritten (`w <= r - 1`).
        // SAFETY: the invariant of `Io` holds, `r >= 32` (a block ended with the DLE), and the
        // output ends before it.
        r = unsafe { back_to_dle(src, dst, r, dle) };
    }
    Decoded { read: r, written: w, at_special: false }
}

/// The block that holds a stop (a terminator, or an escaped byte that is neither DLE nor ETX):
/// decodes the bytes before it and returns the new read and write indices, the read index on
/// the stop byte (or, for an undefined pair, on its DLE).
///
/// # Safety
///
/// As [`decode`], with `v` the block at `io.r`, `io.w + 32 <= io.cap`, and `block` what
/// [`Block::scan`] found in it, with stops.
#[target_feature(enable = "avx2,popcnt")]
#[cold]
unsafe fn partial(io: Io, v: __m256i, block: Block, dle: u8) -> (usize, usize) {
    let Io { src, dst, r, w, .. } = io;
    let Some(at) = block.stop_offset() else {
        // The undefined pair straddles the blocks: back to its DLE, the previous block's last
        // byte, read but not written (`w <= r - 1`).
        // SAFETY: as for the pending DLE at the end of `decode`.
        return (unsafe { back_to_dle(src, dst, r, dle) }, w);
    };
    let keep = (!block.esc & ((1u64 << at) - 1)) as u32;
    // Through a scratch block, so that nothing at or after the stop is overwritten in place
    // (the scan reads it next).
    let mut scratch = [0u8; BLOCK];
    // SAFETY: the scratch block has 32 bytes. Then `count <= at <= 32` and `w + 32 <= cap`;
    // in place `w + count <= r + at`, bytes read already; the scratch block is not in the
    // buffers.
    unsafe {
        let count = compact(v, keep, scratch.as_mut_ptr());
        core::ptr::copy_nonoverlapping(scratch.as_ptr(), dst.add(w), count);
        (r + at as usize, w + count)
    }
}

/// The most output one encoder block writes: four 16-byte group stores, each starting at most
/// 16 bytes after the previous one.
const ENCODE_ROOM: usize = 64;

/// Encodes whole 32-byte blocks while the output has room for the worst case; returns the new
/// read and write indices.
///
/// # Safety
///
/// `io` holds the invariant of [`Io`] with non-overlapping buffers, and the CPU supports AVX2
/// and POPCNT.
#[target_feature(enable = "avx2,popcnt")]
pub(super) unsafe fn encode(io: Io, dle: u8, etx: u8) -> (usize, usize) {
    let Io { src, n, dst, cap, mut r, mut w } = io;
    let dle_v = _mm256_set1_epi8(dle as i8);
    let etx_v = _mm256_set1_epi8(etx as i8);
    let dle_x = _mm_set1_epi8(dle as i8);
    // As in the decoder: blocks without special bytes are copied until one has some, then
    // every block is expanded until a run of clean ones.
    let mut clean_mode = true;
    let mut clean_run = 0u32;
    while n - r >= BLOCK && cap - w >= ENCODE_ROOM {
        // SAFETY: `r + 32 <= n`.
        let v = unsafe { _mm256_loadu_si256(src.add(r).cast()) };
        let special = _mm256_cmpeq_epi8(v, dle_v);
        let special = _mm256_or_si256(special, _mm256_cmpeq_epi8(v, etx_v));
        let special = _mm256_movemask_epi8(special) as u32;
        if clean_mode {
            if special == 0 {
                // SAFETY: `w + 32 <= cap`.
                unsafe { _mm256_storeu_si256(dst.add(w).cast(), v) };
                r += BLOCK;
                w += BLOCK;
                continue;
            }
            clean_mode = false;
        }
        clean_run = if special == 0 { clean_run + 1 } else { 0 };
        if clean_run >= CLEAN_RUN {
            clean_mode = true;
            clean_run = 0;
        }
        let halves = [_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v)];
        for (half, bytes) in halves.into_iter().enumerate() {
            // Each 8-byte group beside 8 DLEs, which the expansion indices 8..16 pick.
            let groups = [_mm_unpacklo_epi64(bytes, dle_x), _mm_unpackhi_epi64(bytes, dle_x)];
            for (g, group) in groups.into_iter().enumerate() {
                let mask = (special >> (16 * half + 8 * g)) as u8;
                // SAFETY: `EXPAND` entries are 16 bytes.
                let shuffle = unsafe { _mm_loadu_si128(EXPAND[usize::from(mask)].as_ptr().cast()) };
                // SAFETY: each group writes 16 bytes and advances at most 16, so the four
                // stores end within 64 bytes of the block's start: `cap - w >= 64` held.
                unsafe { _mm_storeu_si128(dst.add(w).cast(), _mm_shuffle_epi8(group, shuffle)) };
                w += 8 + mask.count_ones() as usize;
            }
        }
        r += BLOCK;
    }
    (r, w)
}
