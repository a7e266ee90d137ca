//! Every codec kernel this CPU has (portable, AVX2, AVX-512) against the byte-at-a-time oracle,
//! with inputs built around the kernels' block sizes (32 and 64 bytes): lengths next to every
//! block multiple, DLE runs across block edges, a terminator or an undefined pair at every
//! offset, in place and not, with outputs that end mid-block.
//!
//! On a CPU without AVX2 or AVX-512 the missing kernels are skipped and named on stderr; the
//! fuzz targets `kernel_avx2` and `kernel_avx512` check the same on this project's machines.

mod oracle;

use at_ftp_proto::{Escaper, Kernel, Specials, Strictness, Unescaper};
use oracle::{Decoded, Finish, drive_escape, drive_in_place, drive_unescape};
use proptest::prelude::*;

/// Under Miri (which runs the portable kernel, hundreds of times slower) the exhaustive loops
/// take every n-th case.
const MIRI_STEP: usize = if cfg!(miri) { 29 } else { 1 };

const DLE: u8 = 0x10;
const ETX: u8 = 0x03;

/// The kernels to check: all this CPU supports.
fn kernels() -> Vec<Kernel> {
    let mut all = vec![Kernel::PORTABLE];
    for (name, kernel) in [("avx2", Kernel::avx2()), ("avx512", Kernel::avx512())] {
        match kernel {
            Some(k) => all.push(k),
            None => eprintln!("kernel {name} is not available here: not checked"),
        }
    }
    all
}

fn decoder(kernel: Kernel, mode: Strictness) -> Unescaper {
    let mut dec = Unescaper::with(Specials::DEFAULT, mode);
    dec.set_kernel(kernel);
    dec
}

fn encoder(kernel: Kernel) -> Escaper {
    let mut enc = Escaper::new();
    enc.set_kernel(kernel);
    enc
}

/// Decodes `wire` with `kernel` in every way a caller can (one call, the given reads and
/// output size, in place) and checks each against the oracle.
fn check_decode(kernel: Kernel, wire: &[u8], mode: Strictness, cuts: &[usize], cap: usize) {
    let want = oracle::unescape(wire, DLE, ETX, mode == Strictness::Lenient);
    let name = kernel.name();
    let whole = drive_unescape(&mut decoder(kernel, mode), wire, &[], wire.len() + 2);
    assert_eq!(whole, want, "{name}, one call");
    let split = drive_unescape(&mut decoder(kernel, mode), wire, cuts, cap);
    assert_eq!(split, want, "{name}, reads {cuts:?}, output {cap}");
    let in_place = drive_in_place(&mut decoder(kernel, mode), wire, cuts);
    assert_eq!(in_place, want, "{name}, in place, reads {cuts:?}");
    let whole_in_place = drive_in_place(&mut decoder(kernel, mode), wire, &[]);
    assert_eq!(whole_in_place, want, "{name}, in place, one call");
}

/// Ordinary bytes that are not special, varied so a misplaced byte shows.
fn ordinary(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| 0x20 + ((i * 7 + seed * 13) % 200) as u8).collect()
}

#[test]
fn lengths_around_every_block_multiple() {
    for kernel in kernels() {
        for blocks in (0..=6).step_by(if cfg!(miri) { 3 } else { 1 }) {
            for delta in if cfg!(miri) { -1i64..=1 } else { -3i64..=3 } {
                let Ok(len) = usize::try_from(blocks * 32 + delta) else { continue };
                // No special byte, one escape pair at the end, and all pairs.
                let plain = oracle::escape(&ordinary(len, blocks as usize), DLE, ETX);
                let mut tail = ordinary(len, 1);
                if let Some(last) = tail.last_mut() {
                    *last = DLE;
                }
                let tail = oracle::escape(&tail, DLE, ETX);
                let pairs = oracle::escape(&vec![DLE; len], DLE, ETX);
                for wire in [plain, tail, pairs] {
                    for mode in [Strictness::Strict, Strictness::Lenient] {
                        check_decode(kernel, &wire, mode, &[], wire.len());
                        check_decode(kernel, &wire, mode, &[len / 2, len], 33);
                        // Without the terminator: the input ends in mid-stream.
                        let open = &wire[..wire.len() - 1];
                        check_decode(kernel, open, mode, &[31, 64], 64);
                    }
                }
            }
        }
    }
}

#[test]
fn dle_runs_across_every_block_edge() {
    for kernel in kernels() {
        for edge in [32usize, 64, 128] {
            for start in (edge.saturating_sub(4)..=edge + 1).step_by(if cfg!(miri) { 5 } else { 1 })
            {
                for run in (1..=6).step_by(if cfg!(miri) { 3 } else { 1 }) {
                    for (after, mode) in [
                        (ETX, Strictness::Strict),
                        (b'x', Strictness::Strict),
                        (b'x', Strictness::Lenient),
                        (DLE, Strictness::Strict),
                    ] {
                        let mut wire = ordinary(start, run);
                        wire.extend(std::iter::repeat_n(DLE, run));
                        wire.push(after);
                        wire.extend(ordinary(150, start));
                        wire.push(ETX);
                        wire.extend_from_slice(b"\r\nOK\r\n");
                        check_decode(kernel, &wire, mode, &[edge - 1, edge + 1], 200);
                    }
                }
            }
        }
    }
}

#[test]
fn a_terminator_or_an_undefined_pair_at_every_offset() {
    for kernel in kernels() {
        for at in (0..200).step_by(MIRI_STEP) {
            // Escape pairs before the stop, so the kernels' compaction runs in its block.
            let mut payload = ordinary(at, at);
            for i in (0..at).step_by(5) {
                payload[i] = if i % 2 == 0 { DLE } else { ETX };
            }
            let mut wire = oracle::escape(&payload, DLE, ETX); // ends in the terminator
            wire.extend(ordinary(100, 3));
            for mode in [Strictness::Strict, Strictness::Lenient] {
                check_decode(kernel, &wire, mode, &[], 300);
            }
            // The terminator replaced by an undefined pair: an error in strict mode, two payload
            // bytes in lenient mode.
            let mut bad = wire.clone();
            let stop = oracle::escape(&payload, DLE, ETX).len() - 1;
            bad[stop] = DLE;
            bad.insert(stop + 1, b'y');
            bad.push(ETX);
            for mode in [Strictness::Strict, Strictness::Lenient] {
                check_decode(kernel, &bad, mode, &[], 300);
                check_decode(kernel, &bad, mode, &[stop, stop + 1], 300);
            }
        }
    }
}

#[test]
fn every_kernel_encodes_like_the_oracle_around_block_sizes() {
    for kernel in kernels() {
        let long: &[usize] = if cfg!(miri) { &[] } else { &[1000, 4095, 4096, 4097] };
        for len in (0..=300).step_by(MIRI_STEP).chain(long.iter().copied()) {
            for density in [0usize, 1, 7, 64, 1000] {
                let payload: Vec<u8> = ordinary(len, density)
                    .into_iter()
                    .enumerate()
                    .map(
                        |(i, b)| {
                            if (i * 31 + len) % 1000 < density { [DLE, ETX][i % 2] } else { b }
                        },
                    )
                    .collect();
                let want = oracle::escape(&payload, DLE, ETX);
                let one = drive_escape(&mut encoder(kernel), &payload, &[], 2 * len + 1);
                assert_eq!(one, want, "{}, len {len}, density {density}", kernel.name());
                for cap in [1, 63, 64, 65, 127, 128, 129] {
                    let cuts = [len / 3, len / 2 + 1];
                    let got = drive_escape(&mut encoder(kernel), &payload, &cuts, cap);
                    assert_eq!(got, want, "{}, len {len}, output {cap}", kernel.name());
                }
            }
        }
    }
}

/// Wire bytes made of pieces that meet at block edges: ordinary runs, DLE runs, pairs, stray
/// terminators and undefined pairs.
fn wire() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => (1usize..70).prop_map(|n| ordinary(n, n)),
        3 => (1usize..8).prop_map(|n| vec![DLE; n]),
        2 => prop::collection::vec(prop_oneof![Just(DLE), Just(ETX)], 1..40)
            .prop_map(|p| oracle::escape(&p, DLE, ETX)[..2 * p.len()].to_vec()),
        1 => Just(vec![ETX]),
        1 => any::<u8>().prop_map(|b| vec![DLE, b]),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

/// Payloads whose special bytes come in runs and clusters.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        (1usize..90).prop_map(|n| ordinary(n, n)),
        prop::collection::vec(prop_oneof![Just(DLE), Just(ETX), Just(b'a')], 1..70),
    ];
    prop::collection::vec(piece, 0..20).prop_map(|p| p.concat())
}

fn mode() -> impl Strategy<Value = Strictness> {
    prop_oneof![Just(Strictness::Strict), Just(Strictness::Lenient)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_kernel_decodes_like_the_oracle(
        wire in wire(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
        cap in 1usize..200,
        mode in mode(),
    ) {
        for kernel in kernels() {
            check_decode(kernel, &wire, mode, &cuts, cap);
        }
    }

    #[test]
    fn every_kernel_round_trips(
        payload in payload(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
        cap in 1usize..300,
    ) {
        let want = oracle::escape(&payload, DLE, ETX);
        for kernel in kernels() {
            let wire = drive_escape(&mut encoder(kernel), &payload, &cuts, cap);
            prop_assert_eq!(&wire, &want, "{}", kernel.name());
            let got = drive_unescape(&mut decoder(kernel, Strictness::Strict), &wire, &cuts, cap);
            let end = Decoded { payload: payload.clone(), consumed: wire.len(), finish: Finish::End };
            prop_assert_eq!(got, end, "{}", kernel.name());
        }
    }

    #[test]
    fn every_kernel_handles_other_specials(
        dle in any::<u8>(),
        etx in any::<u8>(),
        raw in prop::collection::vec(0u8..4, 0..400),
        mode in mode(),
    ) {
        prop_assume!(dle != etx);
        let s = Specials::new(dle, etx).unwrap();
        let wire: Vec<u8> = raw.iter().map(|&b| [dle, etx, 0x10, 0x41][b as usize]).collect();
        let want = oracle::unescape(&wire, dle, etx, mode == Strictness::Lenient);
        let payload: Vec<u8> = raw.iter().map(|&b| [dle, etx, 0x10, 0x03][b as usize]).collect();
        for kernel in kernels() {
            let mut dec = Unescaper::with(s, mode);
            dec.set_kernel(kernel);
            prop_assert_eq!(&drive_unescape(&mut dec, &wire, &[], wire.len() + 2), &want);
            let mut enc = Escaper::with(s);
            enc.set_kernel(kernel);
            let stuffed = drive_escape(&mut enc, &payload, &[], 2 * payload.len() + 1);
            prop_assert_eq!(stuffed, oracle::escape(&payload, dle, etx), "{}", kernel.name());
        }
    }
}
