//! Properties of the codec against the byte-at-a-time oracle: round trips, any split of the
//! input, any output size, in place or not, with generators biased towards the special bytes and
//! towards run lengths that cross the kernel's strategy switches.

mod oracle;

use at_ftp_proto::{Escaper, Specials, Strictness, Unescaper};
use oracle::{Finish, drive_escape, drive_in_place, drive_unescape};
use proptest::prelude::*;

/// Bytes where DLE and ETX are common.
fn biased_byte() -> impl Strategy<Value = u8> {
    prop_oneof![3 => Just(0x03u8), 3 => Just(0x10u8), 4 => any::<u8>()]
}

/// Payloads built from segments: long ordinary runs, dense special clusters, or biased noise, so
/// both the `memchr2` path and the byte loop, and the switches between them, are exercised.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let segment = prop_oneof![
        prop::collection::vec(4u8..=15, 0..200),
        prop::collection::vec(prop_oneof![Just(0x03u8), Just(0x10u8)], 0..80),
        prop::collection::vec(biased_byte(), 0..100),
    ];
    prop::collection::vec(segment, 0..8).prop_map(|s| s.concat())
}

/// Arbitrary wire bytes: payload shapes plus stray terminators and undefined pairs.
fn wire() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        payload(),
        payload().prop_map(|p| oracle::escape(&p, 0x10, 0x03)),
        (payload(), payload()).prop_map(|(a, b)| {
            let mut w = oracle::escape(&a, 0x10, 0x03);
            w.extend_from_slice(&b);
            w
        }),
    ]
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..12)
}

fn mode() -> impl Strategy<Value = Strictness> {
    prop_oneof![Just(Strictness::Strict), Just(Strictness::Lenient)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(payload in payload(), cuts in cuts(), wire_cuts in cuts(), cap in 1usize..70) {
        let wire = drive_escape(&mut Escaper::new(), &payload, &cuts, cap);
        prop_assert_eq!(&wire, &oracle::escape(&payload, 0x10, 0x03));
        let got = drive_unescape(&mut Unescaper::new(), &wire, &wire_cuts, cap);
        prop_assert_eq!(&got.payload, &payload);
        prop_assert_eq!(got.consumed, wire.len());
        prop_assert_eq!(got.finish, Finish::End);
    }

    #[test]
    fn any_split_equals_the_oracle(wire in wire(), cuts in cuts(), mode in mode(), cap in 1usize..300) {
        let want = oracle::unescape(&wire, 0x10, 0x03, mode == Strictness::Lenient);
        let dec = || Unescaper::with(Specials::DEFAULT, mode);
        prop_assert_eq!(&drive_unescape(&mut dec(), &wire, &[], wire.len() + 2), &want);
        prop_assert_eq!(&drive_unescape(&mut dec(), &wire, &cuts, cap), &want);
        prop_assert_eq!(&drive_in_place(&mut dec(), &wire, &cuts), &want);
    }

    #[test]
    fn one_byte_at_a_time_equals_the_oracle(wire in wire(), mode in mode()) {
        let want = oracle::unescape(&wire, 0x10, 0x03, mode == Strictness::Lenient);
        let every: Vec<usize> = (0..wire.len()).collect();
        let dec = || Unescaper::with(Specials::DEFAULT, mode);
        prop_assert_eq!(&drive_unescape(&mut dec(), &wire, &every, 1), &want);
        prop_assert_eq!(&drive_in_place(&mut dec(), &wire, &every), &want);
    }

    #[test]
    fn other_specials_round_trip(
        dle in any::<u8>(),
        etx in any::<u8>(),
        raw in prop::collection::vec(0u8..4, 0..300),
        cuts in cuts(),
        cap in 1usize..40,
    ) {
        prop_assume!(dle != etx);
        let s = Specials::new(dle, etx).unwrap();
        // Map the small alphabet onto the two specials and two ordinary-looking bytes.
        let payload: Vec<u8> = raw.iter().map(|&b| [dle, etx, 0x10, 0x03][b as usize]).collect();
        let wire = drive_escape(&mut Escaper::with(s), &payload, &cuts, cap);
        prop_assert_eq!(&wire, &oracle::escape(&payload, dle, etx));
        let got = drive_unescape(&mut Unescaper::with(s, Strictness::Strict), &wire, &cuts, cap);
        prop_assert_eq!(got.payload, payload);
        prop_assert_eq!(got.finish, Finish::End);
    }

    #[test]
    fn other_specials_any_wire(
        dle in any::<u8>(),
        etx in any::<u8>(),
        raw in prop::collection::vec(0u8..4, 0..300),
        cuts in cuts(),
        mode in mode(),
    ) {
        prop_assume!(dle != etx);
        let wire: Vec<u8> = raw.iter().map(|&b| [dle, etx, 0x10, 0x41][b as usize]).collect();
        let want = oracle::unescape(&wire, dle, etx, mode == Strictness::Lenient);
        let s = Specials::new(dle, etx).unwrap();
        prop_assert_eq!(&drive_unescape(&mut Unescaper::with(s, mode), &wire, &cuts, 5), &want);
        prop_assert_eq!(&drive_in_place(&mut Unescaper::with(s, mode), &wire, &cuts), &want);
    }
}
