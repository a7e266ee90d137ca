//! Any payload, escaped in arbitrary pieces into any output size, then unescaped from arbitrary
//! reads: the wire equals the oracle's and the payload comes back exactly.
#![no_main]

#[path = "../../crates/at-ftp-proto/tests/oracle/mod.rs"]
mod oracle;

use arbitrary::Arbitrary;
use at_ftp_proto::{Escaper, Specials, Strictness, Unescaper};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    default_specials: bool,
    dle: u8,
    etx: u8,
    out_cap: u8,
    payload_cuts: Vec<u16>,
    wire_cuts: Vec<u16>,
    payload: Vec<u8>,
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
    let cap = usize::from(input.out_cap).max(1);
    let payload_cuts: Vec<usize> = input.payload_cuts.iter().map(|&c| usize::from(c)).collect();
    let wire_cuts: Vec<usize> = input.wire_cuts.iter().map(|&c| usize::from(c)).collect();

    let wire =
        oracle::drive_escape(&mut Escaper::with(specials), &input.payload, &payload_cuts, cap);
    assert_eq!(wire, oracle::escape(&input.payload, specials.dle(), specials.etx()));
    for mode in [Strictness::Strict, Strictness::Lenient] {
        let got =
            oracle::drive_unescape(&mut Unescaper::with(specials, mode), &wire, &wire_cuts, cap);
        assert_eq!(got.payload, input.payload);
        assert_eq!(got.consumed, wire.len());
        assert_eq!(got.finish, oracle::Finish::End);
        let got = oracle::drive_in_place(&mut Unescaper::with(specials, mode), &wire, &wire_cuts);
        assert_eq!(got.payload, input.payload);
    }
});
