//! The AVX2 kernels: 32-byte blocks, `vpmovmskb` masks, and `pshufb` per 8-byte group from the
//! tables of the parent module to drop or insert DLEs.

use core::arch::x86_64::*;

use super::{COMPACT, Decoded, EXPAND, Io, escapers};

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
/// # Safety
///
/// `io` holds the invariant of [`Io`], and the CPU supports AVX2 and POPCNT.
#[target_feature(enable = "avx2,popcnt")]
pub(super) unsafe fn decode(io: Io, dle: u8, etx: u8) -> Decoded {
    let Io { src, n, dst, cap, mut r, mut w } = io;
    let dle_v = _mm256_set1_epi8(dle as i8);
    let etx_v = _mm256_set1_epi8(etx as i8);
    let mut carry = 0u64;
    while n - r >= BLOCK && cap - w >= BLOCK {
        // SAFETY: `r + 32 <= n`.
        let v = unsafe { _mm256_loadu_si256(src.add(r).cast()) };
        let d = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, dle_v)) as u32 as u64;
        let t = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, etx_v)) as u32 as u64;
        if d | t | carry == 0 {
            // SAFETY: `w + 32 <= cap`; in place the store ends at most at byte `r + 31`, read
            // already (into `v`).
            unsafe { _mm256_storeu_si256(dst.add(w).cast(), v) };
            r += BLOCK;
            w += BLOCK;
            continue;
        }
        let esc = escapers(d, carry) & 0xFFFF_FFFF;
        let escaped = (esc << 1 | carry) & 0xFFFF_FFFF;
        let bad = escaped & !(d | t);
        let term = t & !escaped;
        if bad & 1 != 0 {
            // An undefined pair straddles the blocks: back to its DLE, read but not written.
            // In place it may have been overwritten by the last block's group stores: it is a
            // DLE, so write it back (`w <= r - 1`: the byte was dropped, not written).
            if src == dst.cast_const() {
                // SAFETY: `r - 1 < n == cap`, and at or after `w`.
                unsafe { dst.add(r - 1).write(dle) };
            }
            return Decoded { read: r - 1, written: w, at_special: true };
        }
        let stops = term | bad >> 1;
        if stops != 0 {
            // Decode the bytes before the stop through a scratch block, so that nothing at or
            // after the stop is overwritten in place (the scan reads it next).
            let p = stops.trailing_zeros();
            let keep = (!esc & ((1u64 << p) - 1)) as u32;
            let mut scratch = [0u8; BLOCK];
            // SAFETY: the scratch block has 32 bytes.
            let count = unsafe { compact(v, keep, scratch.as_mut_ptr()) };
            // SAFETY: `count <= p <= 32` and `w + 32 <= cap`; in place `w + count <= r + p`,
            // bytes already read; the scratch block does not overlap the buffers.
            unsafe { core::ptr::copy_nonoverlapping(scratch.as_ptr(), dst.add(w), count) };
            return Decoded { read: r + p as usize, written: w + count, at_special: true };
        }
        // SAFETY: `w + 32 <= cap`. In place `w <= r`, so the stores end at most at byte
        // `r + 31`, read already; a DLE there that escapes the next block's first byte may be
        // overwritten, which is why it is written back if it goes back to the scan.
        w += unsafe { compact(v, !esc as u32, dst.add(w)) };
        r += BLOCK;
        carry = esc >> 31;
    }
    if carry != 0 {
        r -= 1;
        if src == dst.cast_const() {
            // SAFETY: `r < n == cap`, and `w <= r` (the DLE was dropped, not written). It may
            // have been overwritten by the group stores (see above).
            unsafe { dst.add(r).write(dle) };
        }
    }
    Decoded { read: r, written: w, at_special: false }
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
    while n - r >= BLOCK && cap - w >= ENCODE_ROOM {
        // SAFETY: `r + 32 <= n`.
        let v = unsafe { _mm256_loadu_si256(src.add(r).cast()) };
        let special = _mm256_cmpeq_epi8(v, dle_v);
        let special = _mm256_or_si256(special, _mm256_cmpeq_epi8(v, etx_v));
        let special = _mm256_movemask_epi8(special) as u32;
        if special == 0 {
            // SAFETY: `w + 32 <= cap`.
            unsafe { _mm256_storeu_si256(dst.add(w).cast(), v) };
            r += BLOCK;
            w += BLOCK;
            continue;
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
