//! Arbitrary wire bytes, split arbitrarily, decoded with any special bytes, mode and output
//! size, slice and in place: always the oracle's result, never a panic, always terminating
//! (the drivers assert progress on every call, which bounds the calls by the input length).
#![no_main]

#[path = "../../crates/at-ftp-proto/tests/oracle/mod.rs"]
mod oracle;

use arbitrary::Arbitrary;
use at_ftp_proto::{Specials, Strictness, Unescaper};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    default_specials: bool,
    dle: u8,
    etx: u8,
    lenient: bool,
    out_cap: u8,
    cuts: Vec<u16>,
    wire: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let specials = if input.default_specials {
        Specials::DEFAULT
    } else {
        match Specials::new(input.dle, input.etx) {
            Ok(s) => s,
            Err(_) => return,
        }
    };
    let mode = if input.lenient { Strictness::Lenient } else { Strictness::Strict };
    let cuts: Vec<usize> = input.cuts.iter().map(|&c| usize::from(c)).collect();
    let want = oracle::unescape(&input.wire, specials.dle(), specials.etx(), input.lenient);

    let whole = oracle::drive_unescape(
        &mut Unescaper::with(specials, mode),
        &input.wire,
        &[],
        input.wire.len() + 2,
    );
    assert_eq!(whole, want);
    let cap = usize::from(input.out_cap).max(1);
    let split =
        oracle::drive_unescape(&mut Unescaper::with(specials, mode), &input.wire, &cuts, cap);
    assert_eq!(split, want);
    let in_place = oracle::drive_in_place(&mut Unescaper::with(specials, mode), &input.wire, &cuts);
    assert_eq!(in_place, want);
});
