//! The AVX-512 VBMI2 kernels: 64-byte blocks, compares into mask registers, `vpcompressb` to
//! drop escaping DLEs and `vpexpandb` to insert them.

use core::arch::x86_64::*;

use super::{Block, Decoded, Io, back_to_dle, payload_slots};

/// Clean blocks in a row that send the decoder back to its clean mode (512 bytes). Long enough
/// that at 1% escapes (a clean 512 bytes one time in a hundred) it does not flip back and forth.
const CLEAN_RUN: u32 = 8;

/// Bytes per decoder block (one zmm register).
const BLOCK: usize = 64;

/// Decodes whole 64-byte blocks; see [`Decoded`] for where it stops.
///
/// Two loops, so that no branch depends on the data at random: the clean loop stores 128 bytes
/// at a time as they are while they hold no special byte; the compress loop sends every block
/// through `vpcompressb` (at 1% escapes most blocks hold one, and a branch taken at random
/// would cost more than the compress) until [`CLEAN_RUN`] clean blocks in a row send it back.
///
/// # Safety
///
/// `io` holds the invariant of [`Io`], and the CPU supports AVX-512 F, BW, VBMI2, BMI2 and
/// POPCNT.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,bmi2,popcnt")]
pub(super) unsafe fn decode(io: Io, dle: u8, etx: u8) -> Decoded {
    let Io { src, n, dst, cap, mut r, mut w } = io;
    let dle_v = _mm512_set1_epi8(dle as i8);
    let etx_v = _mm512_set1_epi8(etx as i8);
    // 1 when the last byte of the previous block was an escaping DLE (already read, not
    // written), so byte 0 of this block is escaped. Always 0 in the clean loop.
    let mut carry = 0u64;
    'clean: loop {
        while n - r >= 2 * BLOCK && cap - w >= 2 * BLOCK {
            // SAFETY: `r + 128 <= n`.
            let (v0, v1) = unsafe {
                (
                    _mm512_loadu_si512(src.add(r).cast()),
                    _mm512_loadu_si512(src.add(r + BLOCK).cast()),
                )
            };
            let special = _mm512_cmpeq_epi8_mask(v0, dle_v)
                | _mm512_cmpeq_epi8_mask(v0, etx_v)
                | _mm512_cmpeq_epi8_mask(v1, dle_v)
                | _mm512_cmpeq_epi8_mask(v1, etx_v);
            if special != 0 {
                break;
            }
            // SAFETY: `w + 128 <= cap`. In place `w <= r`: the stores end at most at byte
            // `r + 127`, read already (into `v0` and `v1`).
            unsafe {
                _mm512_storeu_si512(dst.add(w).cast(), v0);
                _mm512_storeu_si512(dst.add(w + BLOCK).cast(), v1);
            }
            r += 2 * BLOCK;
            w += 2 * BLOCK;
        }
        // The compress loop; also the last block or two of clean data.
        let mut clean_run = 0u32;
        while n - r >= BLOCK && cap - w >= BLOCK {
            if n - r >= 2 * BLOCK && cap - w >= 2 * BLOCK {
                // Two blocks a step: half the loop's bookkeeping per block.
                // SAFETY: `r + 128 <= n`.
                let (v0, v1) = unsafe {
                    (
                        _mm512_loadu_si512(src.add(r).cast()),
                        _mm512_loadu_si512(src.add(r + BLOCK).cast()),
                    )
                };
                let (d0, t0) =
                    (_mm512_cmpeq_epi8_mask(v0, dle_v), _mm512_cmpeq_epi8_mask(v0, etx_v));
                let (d1, t1) =
                    (_mm512_cmpeq_epi8_mask(v1, dle_v), _mm512_cmpeq_epi8_mask(v1, etx_v));
                let b0 = Block::scan(d0, t0, carry, 64);
                let b1 = Block::scan(d1, t1, b0.carry_out(64), 64);
                if b0.stops | b1.stops == 0 {
                    let (keep0, keep1) = (!b0.esc, !b1.esc);
                    // SAFETY: `w + 128 <= cap`: the first store ends before `w + 64`, the
                    // second starts at most 64 bytes on. In place `w <= r`, so they end at most
                    // at byte `r + 127`, read already (into `v0` and `v1`); as below for a DLE
                    // there.
                    unsafe {
                        _mm512_storeu_si512(
                            dst.add(w).cast(),
                            _mm512_maskz_compress_epi8(keep0, v0),
                        );
                        let w1 = w + keep0.count_ones() as usize;
                        _mm512_storeu_si512(
                            dst.add(w1).cast(),
                            _mm512_maskz_compress_epi8(keep1, v1),
                        );
                        w = w1 + keep1.count_ones() as usize;
                    }
                    r += 2 * BLOCK;
                    carry = b1.carry_out(64);
                    clean_run = if d0 | t0 | d1 | t1 == 0 { clean_run + 2 } else { 0 };
                    if clean_run >= CLEAN_RUN {
                        // The carry is 0 after a clean block.
                        continue 'clean;
                    }
                    continue;
                }
                // A stop in one of them: one block at a time below finds it.
            }
            // SAFETY: `r + 64 <= n`, so the 64 bytes are inside `src[..n]`.
            let v = unsafe { _mm512_loadu_si512(src.add(r).cast()) };
            let d = _mm512_cmpeq_epi8_mask(v, dle_v);
            let t = _mm512_cmpeq_epi8_mask(v, etx_v);
            let block = Block::scan(d, t, carry, 64);
            if block.stops != 0 {
                // SAFETY: as this function's; `v` is the block at `r`, and `w + 64 <= cap`.
                let (read, written) = unsafe { partial(Io { r, w, ..io }, v, block, dle) };
                return Decoded { read, written, at_special: true };
            }
            let keep = !block.esc;
            // SAFETY: `w + 64 <= cap`. In place `w <= r`: the store ends at most at byte
            // `r + 63`, read already; a DLE there that escapes the next block's first byte may
            // be overwritten, which is why it is written back if it goes back to the scan.
            unsafe { _mm512_storeu_si512(dst.add(w).cast(), _mm512_maskz_compress_epi8(keep, v)) };
            w += keep.count_ones() as usize;
            r += BLOCK;
            carry = block.carry_out(64);
        }
        break;
    }
    if carry != 0 {
        // The pending escaping DLE goes back to the scan, unwritten (`w <= r - 1`).
        // SAFETY: the invariant of `Io` holds, `r >= 64` (a block ended with the DLE), and the
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
/// As [`decode`], with `v` the block at `io.r`, `io.w + 64 <= io.cap`, and `block` what
/// [`Block::scan`] found in it, with stops.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,bmi2,popcnt")]
#[cold]
unsafe fn partial(io: Io, v: __m512i, block: Block, dle: u8) -> (usize, usize) {
    let Io { src, dst, r, w, .. } = io;
    let Some(at) = block.stop_offset() else {
        // The undefined pair straddles the blocks: back to its DLE, the previous block's last
        // byte, read but not written (`w <= r - 1`).
        // SAFETY: as for the pending DLE at the end of `decode`.
        return (unsafe { back_to_dle(src, dst, r, dle) }, w);
    };
    let keep = !block.esc & _bzhi_u64(u64::MAX, at);
    let count = keep.count_ones();
    // SAFETY: `w + count <= w + 64 <= cap`; the masked store writes exactly `count` bytes, and
    // in place `w + count <= r + at`, bytes read already: the stop and what follows it are
    // not written.
    unsafe {
        let out = _mm512_maskz_compress_epi8(keep, v);
        _mm512_mask_storeu_epi8(dst.add(w).cast(), _bzhi_u64(u64::MAX, count), out);
    }
    (r + at as usize, w + count as usize)
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
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,bmi2,popcnt")]
pub(super) unsafe fn encode(io: Io, dle: u8, etx: u8) -> (usize, usize) {
    let Io { src, n, dst, cap, mut r, mut w } = io;
    let dle_v = _mm512_set1_epi8(dle as i8);
    let etx_v = _mm512_set1_epi8(etx as i8);
    // As in the decoder: blocks without special bytes are copied until one has some, then
    // every block is expanded until a run of clean ones.
    let mut clean_mode = true;
    let mut clean_run = 0u32;
    while n - r >= ENCODE_BLOCK && cap - w >= ENCODE_ROOM {
        // SAFETY: `r + 64 <= n`.
        let v = unsafe { _mm512_loadu_si512(src.add(r).cast()) };
        let special = _mm512_cmpeq_epi8_mask(v, dle_v) | _mm512_cmpeq_epi8_mask(v, etx_v);
        if clean_mode {
            if special == 0 {
                // SAFETY: `w + 64 <= cap`.
                unsafe { _mm512_storeu_si512(dst.add(w).cast(), v) };
                r += ENCODE_BLOCK;
                w += ENCODE_BLOCK;
                continue;
            }
            clean_mode = false;
        }
        clean_run = if special == 0 { clean_run + 1 } else { 0 };
        if clean_run >= CLEAN_RUN {
            clean_mode = true;
            clean_run = 0;
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
