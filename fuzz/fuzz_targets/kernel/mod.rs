//! One codec kernel against the byte-at-a-time oracle: shared by the `kernel_*` targets, one
//! target per kernel so each gets the fuzzer's whole attention (and its own corpus).
//!
//! The wire bytes are used as they are, or mapped onto a small alphabet dense in special bytes
//! (the kernels compare whole vectors, which libFuzzer's comparison tracing does not see), and
//! are decoded in one call, in the given reads with the given output size, and in place; the
//! same bytes as a payload are encoded and must round-trip.

#[path = "../../../crates/at-ftp-proto/tests/oracle/mod.rs"]
mod oracle;

use arbitrary::Arbitrary;
use at_ftp_proto::{Escaper, Kernel, Specials, Strictness, Unescaper};

#[derive(Arbitrary, Debug)]
pub struct Input {
    dense: bool,
    other_specials: Option<(u8, u8)>,
    lenient: bool,
    out_cap: u16,
    cuts: Vec<u16>,
    bytes: Vec<u8>,
}

/// Checks `kernel` on `input`; does nothing when this CPU lacks the kernel (`None`).
pub fn check(kernel: Option<Kernel>, input: Input) {
    let Some(kernel) = kernel else { return };
    let specials = match input.other_specials {
        None => Specials::DEFAULT,
        Some((dle, etx)) => match Specials::new(dle, etx) {
            Ok(s) => s,
            Err(_) => return,
        },
    };
    let (dle, etx) = (specials.dle(), specials.etx());
    let bytes: Vec<u8> = if input.dense {
        input.bytes.iter().map(|&b| [dle, etx, b'x', b >> 2][usize::from(b & 3)]).collect()
    } else {
        input.bytes
    };
    let mode = if input.lenient { Strictness::Lenient } else { Strictness::Strict };
    let cuts: Vec<usize> = input.cuts.iter().map(|&c| usize::from(c)).collect();
    let cap = usize::from(input.out_cap).max(1);
    let decoder = || {
        let mut dec = Unescaper::with(specials, mode);
        dec.set_kernel(kernel);
        dec
    };

    let want = oracle::unescape(&bytes, dle, etx, input.lenient);
    assert_eq!(oracle::drive_unescape(&mut decoder(), &bytes, &[], bytes.len() + 2), want);
    assert_eq!(oracle::drive_unescape(&mut decoder(), &bytes, &cuts, cap), want);
    assert_eq!(oracle::drive_in_place(&mut decoder(), &bytes, &cuts), want);

    let mut enc = Escaper::with(specials);
    enc.set_kernel(kernel);
    let wire = oracle::drive_escape(&mut enc, &bytes, &cuts, cap);
    assert_eq!(wire, oracle::escape(&bytes, dle, etx));
    let back = oracle::drive_unescape(&mut decoder(), &wire, &cuts, cap);
    assert_eq!(back.payload, bytes);
    assert_eq!(back.consumed, wire.len());
}
