//! Inputs for the at-ftp benchmarks: payloads of a chosen escape density, and their wire form.
//!
//! Shared by the criterion benches and any fixed-input measurement, so every figure is taken on
//! the same bytes.

#![forbid(unsafe_code)]

use at_ftp_proto::{DLE, ETX, Escaper};
use rand::{RngExt, SeedableRng, rngs::StdRng};

/// Payload size of every codec bench: 4 MiB.
pub const PAYLOAD_LEN: usize = 4 << 20;

/// The escape densities benched, as (id, fraction of payload bytes that are DLE or ETX).
pub const DENSITIES: [(&str, f64); 6] =
    [("0", 0.0), ("0.1pct", 0.001), ("1pct", 0.01), ("10pct", 0.1), ("50pct", 0.5), ("all", 1.0)];

/// `len` bytes where a fraction `density` are DLE or ETX (half each) and the rest are uniform
/// over the 254 ordinary byte values. Seeded: the same arguments give the same bytes.
pub fn payload(len: usize, density: f64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(0x5eed_f11e);
    (0..len)
        .map(|_| {
            if rng.random_bool(density) {
                if rng.random_bool(0.5) { DLE } else { ETX }
            } else {
                // 254 ordinary values: skip ETX (3) and DLE (16).
                match rng.random_range(0u8..254) {
                    b if b < ETX => b,
                    b if b + 1 < DLE => b + 1,
                    b => b + 2,
                }
            }
        })
        .collect()
}

/// The wire form of `payload`: stuffed, with the lone terminator.
pub fn wire(payload: &[u8]) -> Vec<u8> {
    let mut enc = Escaper::new();
    let mut out = Vec::new();
    enc.escape_to_vec(payload, &mut out);
    enc.finish_to_vec(&mut out);
    out
}

/// The reference the decoder must never fall behind: the plain byte-at-a-time loop anyone would
/// write first, with a branch per byte. Decodes `wire` into `out` up to the terminator and
/// returns the payload length (`out` must be large enough).
pub fn byte_loop(wire: &[u8], out: &mut [u8]) -> usize {
    let mut written = 0;
    let mut escaped = false;
    for &b in wire {
        if escaped {
            out[written] = b;
            written += 1;
            escaped = false;
        } else if b == DLE {
            escaped = true;
        } else if b == ETX {
            break;
        } else {
            out[written] = b;
            written += 1;
        }
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_has_the_density_asked_for() {
        for (name, density) in DENSITIES {
            let p = payload(1 << 16, density);
            let specials = p.iter().filter(|&&b| b == DLE || b == ETX).count();
            let measured = specials as f64 / p.len() as f64;
            assert!((measured - density).abs() < 0.01, "{name}: {measured}");
        }
        assert!(payload(1 << 16, 0.0).iter().all(|&b| b != DLE && b != ETX));
        // All 254 ordinary values occur.
        let mut seen = [false; 256];
        payload(1 << 16, 0.0).iter().for_each(|&b| seen[b as usize] = true);
        assert_eq!(seen.iter().filter(|&&s| s).count(), 254);
    }

    #[test]
    fn byte_loop_decodes_the_wire() {
        let p = payload(1 << 12, 0.5);
        let mut out = vec![0; p.len()];
        assert_eq!(byte_loop(&wire(&p), &mut out), p.len());
        assert_eq!(out, p);
    }

    #[test]
    fn wire_is_stuffed_and_terminated() {
        assert_eq!(wire(&[1, ETX, DLE]), [1, DLE, ETX, DLE, DLE, ETX]);
    }
}
