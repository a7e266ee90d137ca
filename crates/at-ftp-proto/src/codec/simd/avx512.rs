//! The AVX-512 VBMI2 kernels: 64-byte blocks, compares into mask registers, `vpcompressb` to
//! drop escaping DLEs and `vpexpandb` to insert them.

use core::arch::x86_64::*;

use super::{Decoded, Io, escapers, payload_slots};

/// Bytes per decoder block (one zmm register).
const BLOCK: usize = 64;

/// Decodes whole 64-byte blocks; see [`Decoded`] for where it stops.
///
/// # Safety
///
/// `io` holds the invariant of [`Io`], and the CPU supports AVX-512 F, BW, VBMI2, BMI2 and
/// POPCNT.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,bmi1,bmi2,popcnt")]
pub(super) unsafe fn decode(io: Io, dle: u8, etx: u8) -> Decoded {
    let Io { src, n, dst, cap, mut r, mut w } = io;
    let dle_v = _mm512_set1_epi8(dle as i8);
    let etx_v = _mm512_set1_epi8(etx as i8);
    // 1 when the last byte of the previous block was an escaping DLE (already read, not
    // written), so byte 0 of this block is escaped.
    let mut carry = 0u64;
    while n - r >= BLOCK && cap - w >= BLOCK {
        // SAFETY: `r + 64 <= n`, so the 64 bytes are inside `src[..n]`.
        let v = unsafe { _mm512_loadu_si512(src.add(r).cast()) };
        let d = _mm512_cmpeq_epi8_mask(v, dle_v);
        let t = _mm512_cmpeq_epi8_mask(v, etx_v);
        if d | t | carry == 0 {
            // SAFETY: `w + 64 <= cap`. In place, `w <= r`: the store reaches at most byte
            // `r + 63`, all read already (into `v`).
            unsafe { _mm512_storeu_si512(dst.add(w).cast(), v) };
            r += BLOCK;
            w += BLOCK;
            continue;
        }
        let esc = escapers(d, carry);
        let escaped = esc << 1 | carry;
        // An escaped byte that is neither DLE nor ETX: its DLE starts an undefined pair.
        let bad = escaped & !(d | t);
        let term = t & !escaped;
        if bad & 1 != 0 {
            // The undefined pair straddles the blocks: its DLE, the previous block's last
            // byte, goes back to the scan (it was read but not written, so `w <= r - 1`).
            return Decoded { read: r - 1, written: w, at_special: true };
        }
        let stops = term | bad >> 1;
        let keep =
            if stops == 0 { !esc } else { !esc & _bzhi_u64(u64::MAX, stops.trailing_zeros()) };
        let out = _mm512_maskz_compress_epi8(keep, v);
        let count = keep.count_ones() as usize;
        // SAFETY: `w + count <= w + 64 <= cap`; the masked store writes exactly `count` bytes.
        // In place, `w + count <= r + 64` minus the dropped DLEs, and every byte it writes
        // was read into `v`; bytes from the stop on are not written.
        unsafe {
            _mm512_mask_storeu_epi8(dst.add(w).cast(), _bzhi_u64(u64::MAX, count as u32), out)
        };
        w += count;
        if stops != 0 {
            // Everything before the stop (never in mid-pair: a stop byte is not escaped, and
            // neither is an escaping DLE) is decoded.
            r += stops.trailing_zeros() as usize;
            return Decoded { read: r, written: w, at_special: true };
        }
        r += BLOCK;
        carry = esc >> 63;
    }
    // A pending escaping DLE goes back to the scan, unwritten: `w <= r - 1` then.
    Decoded { read: r - carry as usize, written: w, at_special: false }
}

/// Input bytes per encoder step: two halves of 32, each expanded into one zmm register.
const ENCODE_BLOCK: usize = 64;
/// The most output one encoder step writes (64 bytes stored for each half).
const ENCODE_ROOM: usize = 32 + 32 + 64;

/// Encodes whole 64-byte blocks while the output has room for the worst case; returns the new
/// read and write indices.
///
/// # Safety
///
/// `io` holds the invariant of [`Io`] with non-overlapping buffers, and the CPU supports
/// AVX-512 F, BW, VBMI2, BMI2 and POPCNT.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,bmi1,bmi2,popcnt")]
pub(super) unsafe fn encode(io: Io, dle: u8, etx: u8) -> (usize, usize) {
    let Io { src, n, dst, cap, mut r, mut w } = io;
    let dle_v = _mm512_set1_epi8(dle as i8);
    let etx_v = _mm512_set1_epi8(etx as i8);
    while n - r >= ENCODE_BLOCK && cap - w >= ENCODE_ROOM {
        // SAFETY: `r + 64 <= n`.
        let v = unsafe { _mm512_loadu_si512(src.add(r).cast()) };
        let special = _mm512_cmpeq_epi8_mask(v, dle_v) | _mm512_cmpeq_epi8_mask(v, etx_v);
        if special == 0 {
            // SAFETY: `w + 64 <= cap`.
            unsafe { _mm512_storeu_si512(dst.add(w).cast(), v) };
            r += ENCODE_BLOCK;
            w += ENCODE_BLOCK;
            continue;
        }
        // The upper half moved down: `vpexpandb` takes its source bytes from the bottom.
        let halves = [v, _mm512_shuffle_i64x2::<0b11_10_11_10>(v, v)];
        for (half, v) in halves.into_iter().enumerate() {
            let special = (special >> (32 * half)) as u32;
            let slots = payload_slots(special, |a, m| _pdep_u64(a, m), |a, m| _pext_u64(a, m));
            let out = _mm512_mask_expand_epi8(dle_v, slots, v);
            // SAFETY: at most `32 + 32` bytes were written before this store of 64, and
            // `cap - w >= 128` held at the top.
            unsafe { _mm512_storeu_si512(dst.add(w).cast(), out) };
            w += 32 + special.count_ones() as usize;
        }
        r += ENCODE_BLOCK;
    }
    (r, w)
}
