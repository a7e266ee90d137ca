//! Table tests of the codec: literal wire bytes and the exact payload, consumption and ending
//! each must give, fed whole, one byte at a time, in place, and through a one-byte output.

mod oracle;

use at_ftp_proto::{
    Escaper, InvalidEscape, Progress, SameSpecials, Specials, Strictness, Unescaper,
    max_escaped_len,
};
use oracle::{Decoded, Finish, drive_escape, drive_in_place, drive_unescape};

const D: u8 = 0x10;
const E: u8 = 0x03;

struct Case {
    name: &'static str,
    wire: &'static [u8],
    mode: Strictness,
    payload: &'static [u8],
    consumed: usize,
    finish: Finish,
}

const fn case(
    name: &'static str,
    wire: &'static [u8],
    mode: Strictness,
    payload: &'static [u8],
    consumed: usize,
    finish: Finish,
) -> Case {
    Case { name, wire, mode, payload, consumed, finish }
}

const OPEN: Finish = Finish::Open { mid_escape: false };
const MID: Finish = Finish::Open { mid_escape: true };
const S: Strictness = Strictness::Strict;
const L: Strictness = Strictness::Lenient;

const CASES: &[Case] = &[
    case("empty input", b"", S, b"", 0, OPEN),
    case("empty payload", b"\x03", S, b"", 1, Finish::End),
    case("only ETX", b"\x10\x03\x10\x03\x03", S, b"\x03\x03", 5, Finish::End),
    case("only DLE", b"\x10\x10\x10\x10\x03", S, b"\x10\x10", 5, Finish::End),
    case("mixed specials", b"\x10\x03\x10\x10\x10\x03\x03", S, b"\x03\x10\x03", 7, Finish::End),
    case("plain text", b"hello\x03", S, b"hello", 6, Finish::End),
    case(
        "CR LF NUL FF pass",
        b"\r\n\x00\xff\x11\x13\x03",
        S,
        b"\r\n\x00\xff\x11\x13",
        7,
        Finish::End,
    ),
    case("bytes after the terminator", b"ab\x03\r\nOK\r\n", S, b"ab", 3, Finish::End),
    case("a second terminator is not consumed", b"\x03\x03", S, b"", 1, Finish::End),
    case("ends before the terminator", b"abc", S, b"abc", 3, OPEN),
    case("ends after a DLE", b"ab\x10", S, b"ab", 3, MID),
    case("lone DLE", b"\x10", S, b"", 1, MID),
    case(
        "strict: invalid pair",
        b"ab\x10xc\x03",
        S,
        b"ab",
        3,
        Finish::Invalid { offset: 2, byte: b'x' },
    ),
    case("strict: DLE NUL", b"\x10\x00", S, b"", 1, Finish::Invalid { offset: 0, byte: 0 }),
    case(
        "strict: DLE CR",
        b"a\x10\x10\x10\r",
        S,
        b"a\x10",
        4,
        Finish::Invalid { offset: 3, byte: b'\r' },
    ),
    case("lenient: pair passes", b"ab\x10xc\x03", L, b"ab\x10xc", 6, Finish::End),
    case(
        "lenient: escapes still apply",
        b"\x10\x10\x10x\x10\x03\x03",
        L,
        b"\x10\x10x\x03",
        7,
        Finish::End,
    ),
    case("lenient: DLE DLE-x", b"\x10\x10\x10\x10\x10y\x03", L, b"\x10\x10\x10y", 7, Finish::End),
    case("lenient: ends after a DLE", b"a\x10", L, b"a", 2, MID),
];

/// Every way a caller can feed one case.
fn runs(c: &Case) -> Vec<(&'static str, Decoded)> {
    let dec = || Unescaper::with(Specials::DEFAULT, c.mode);
    let bytewise: Vec<usize> = (0..c.wire.len()).collect();
    vec![
        ("whole", drive_unescape(&mut dec(), c.wire, &[], 64)),
        ("byte at a time", drive_unescape(&mut dec(), c.wire, &bytewise, 64)),
        ("one-byte output", drive_unescape(&mut dec(), c.wire, &[], 1)),
        ("both", drive_unescape(&mut dec(), c.wire, &bytewise, 1)),
        ("in place", drive_in_place(&mut dec(), c.wire, &[])),
        ("in place, byte at a time", drive_in_place(&mut dec(), c.wire, &bytewise)),
    ]
}

#[test]
fn table() {
    for c in CASES {
        let want = Decoded { payload: c.payload.to_vec(), consumed: c.consumed, finish: c.finish };
        for (how, got) in runs(c) {
            assert_eq!(got, want, "{} ({how})", c.name);
        }
        let lenient = c.mode == Strictness::Lenient;
        assert_eq!(oracle::unescape(c.wire, D, E, lenient), want, "{} (oracle)", c.name);
    }
}

#[test]
fn dle_at_the_end_of_a_chunk_is_remembered() {
    let mut dec = Unescaper::new();
    let mut out = [0u8; 8];
    let p = dec.unescape(b"a\x10", &mut out).unwrap();
    assert_eq!(p, Progress { consumed: 2, written: 1, end: false });
    assert!(dec.is_mid_escape());
    let p = dec.unescape(b"\x03b\x03rest", &mut out).unwrap();
    assert_eq!(p, Progress { consumed: 3, written: 2, end: true });
    assert_eq!(&out[..2], b"\x03b");
    assert!(!dec.is_mid_escape());
    assert_eq!(dec.position(), 5);
}

#[test]
fn output_too_small_stops_and_resumes() {
    let mut dec = Unescaper::new();
    let wire = b"abcdef\x03";
    let mut out = [0u8; 2];
    let p = dec.unescape(wire, &mut out).unwrap();
    assert_eq!(p, Progress { consumed: 2, written: 2, end: false });
    assert_eq!(&out, b"ab");
    let p = dec.unescape(&wire[2..], &mut out).unwrap();
    assert_eq!(p, Progress { consumed: 2, written: 2, end: false });
    assert_eq!(&out, b"cd");
    // An empty output makes no progress and says so.
    assert_eq!(dec.unescape(&wire[4..], &mut []).unwrap(), Progress::default());
}

#[test]
fn an_escape_pair_needs_only_one_output_byte() {
    let mut dec = Unescaper::new();
    let mut out = [0u8; 1];
    let p = dec.unescape(b"\x10\x10\x03", &mut out).unwrap();
    assert_eq!(p, Progress { consumed: 2, written: 1, end: false });
    assert_eq!(out, [D]);
}

#[test]
fn after_the_end_nothing_more_is_consumed_until_reset() {
    let mut dec = Unescaper::new();
    let mut out = [0u8; 8];
    assert!(dec.unescape(b"x\x03", &mut out).unwrap().end);
    assert!(dec.is_ended());
    let p = dec.unescape(b"more\x03", &mut out).unwrap();
    assert_eq!(p, Progress { consumed: 0, written: 0, end: true });
    let p = dec.unescape_in_place(&mut [1, 2, 3]).unwrap();
    assert_eq!(p, Progress { consumed: 0, written: 0, end: true });
    dec.reset();
    assert_eq!(dec.position(), 0);
    let p = dec.unescape(b"more\x03", &mut out).unwrap();
    assert_eq!(p, Progress { consumed: 5, written: 4, end: true });
}

#[test]
fn strict_error_names_its_place_and_sticks() {
    let mut dec = Unescaper::new();
    let mut out = [0u8; 8];
    assert_eq!(dec.unescape(b"abc\x10", &mut out).unwrap().written, 3);
    let err = dec.unescape(b"xyz", &mut out).unwrap_err();
    assert_eq!(err, InvalidEscape { offset: 3, byte: b'x', progress: Progress::default() });
    assert_eq!(err.to_string(), "invalid escape: DLE followed by 0x78 at wire offset 3");
    // The same again: a corrupted stream is never resumed silently.
    assert_eq!(dec.unescape(b"xyz", &mut out).unwrap_err(), err);
    assert_eq!(dec.unescape_in_place(&mut b"xyz".to_vec()).unwrap_err(), err);

    // Within one call, the payload before the pair is reported with the error.
    let mut dec = Unescaper::new();
    let err = dec.unescape(b"ok\x10!", &mut out).unwrap_err();
    assert_eq!(err.progress, Progress { consumed: 3, written: 2, end: false });
    assert_eq!((err.offset, err.byte), (2, b'!'));
    assert_eq!(&out[..2], b"ok");
}

#[test]
fn lenient_in_place_owes_a_byte_across_calls() {
    let mut dec = Unescaper::with(Specials::DEFAULT, Strictness::Lenient);
    let mut first = *b"a\x10";
    let p = dec.unescape_in_place(&mut first).unwrap();
    assert_eq!((p.consumed, p.written, &first[..1]), (2, 1, &b"a"[..]));
    // DLE x: two payload bytes for the one wire byte left.
    let mut second = *b"xyz";
    let p = dec.unescape_in_place(&mut second).unwrap();
    assert_eq!(p, Progress { consumed: 3, written: 3, end: false });
    assert_eq!(&second, b"\x10xy");
    // `z` is owed; it comes first next time.
    let mut third = *b"\x10\x10\x03";
    let p = dec.unescape_in_place(&mut third).unwrap();
    assert_eq!(p, Progress { consumed: 3, written: 2, end: true });
    assert_eq!(&third[..2], b"z\x10");
}

#[test]
fn other_special_bytes() {
    // ESC (0x1b) escapes, EOT (0x04) terminates; the defaults are ordinary bytes here.
    let s = Specials::new(0x1b, 0x04).unwrap();
    let payload = b"a\x04\x1b\x03\x10z";
    let mut enc = Escaper::with(s);
    let wire = drive_escape(&mut enc, payload, &[], 64);
    assert_eq!(wire, b"a\x1b\x04\x1b\x1b\x03\x10z\x04");
    let got = drive_unescape(&mut Unescaper::with(s, Strictness::Strict), &wire, &[3, 4], 2);
    assert_eq!(got.payload, payload);
    assert_eq!(got.finish, Finish::End);
    assert_eq!(Specials::new(7, 7), Err(SameSpecials { byte: 7 }));
    assert_eq!(
        SameSpecials { byte: 7 }.to_string(),
        "the escape byte and the terminator must differ (both are 0x07)"
    );
}

#[test]
fn escaper_table() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"", b"\x03"),
        (b"\x03", b"\x10\x03\x03"),
        (b"\x10", b"\x10\x10\x03"),
        (b"\x03\x10\x03", b"\x10\x03\x10\x10\x10\x03\x03"),
        (b"plain\r\n\x00\xff", b"plain\r\n\x00\xff\x03"),
    ];
    for &(payload, wire) in cases {
        for out_cap in [1, 2, 3, 64] {
            let bytewise: Vec<usize> = (0..payload.len()).collect();
            assert_eq!(drive_escape(&mut Escaper::new(), payload, &[], out_cap), wire);
            assert_eq!(drive_escape(&mut Escaper::new(), payload, &bytewise, out_cap), wire);
        }
        assert_eq!(oracle::escape(payload, D, E), wire);
    }
}

#[test]
fn escaper_splits_a_pair_over_a_full_buffer() {
    let mut enc = Escaper::new();
    let mut out = [0u8; 2];
    let p = enc.escape(b"a\x03b", &mut out);
    assert_eq!(p, Progress { consumed: 2, written: 2, end: false });
    assert_eq!(out, [b'a', D]);
    // The split ETX must come before the terminator: finish writes it first.
    let mut one = [0u8; 1];
    assert_eq!(enc.finish(&mut one), Progress { consumed: 0, written: 1, end: false });
    assert_eq!(one, [E]);
    assert_eq!(enc.finish(&mut one), Progress { consumed: 0, written: 1, end: true });
    assert!(enc.is_ended());
    assert_eq!(enc.escape(b"late", &mut out), Progress { consumed: 0, written: 0, end: true });
    assert_eq!(enc.finish(&mut out), Progress { consumed: 0, written: 0, end: true });
    enc.reset();
    assert!(!enc.is_ended());
}

#[test]
fn worst_case_length() {
    assert_eq!(max_escaped_len(0), 1);
    assert_eq!(max_escaped_len(10), 21);
    assert_eq!(max_escaped_len(usize::MAX), usize::MAX);
    let all_special = [D; 100];
    assert_eq!(oracle::escape(&all_special, D, E).len(), max_escaped_len(100));
}

#[test]
fn vec_conveniences() {
    let mut enc = Escaper::new();
    let mut wire = b"prefix:".to_vec();
    assert_eq!(enc.escape_to_vec(b"a\x03", &mut wire).consumed, 2);
    assert_eq!(enc.escape_to_vec(b"\x10", &mut wire).consumed, 1);
    assert!(enc.finish_to_vec(&mut wire).end);
    assert_eq!(wire, b"prefix:a\x10\x03\x10\x10\x03");

    let mut dec = Unescaper::new();
    let mut payload = b">".to_vec();
    let p = dec.unescape_to_vec(&wire[7..9], &mut payload).unwrap();
    assert_eq!(p, Progress { consumed: 2, written: 1, end: false });
    let p = dec.unescape_to_vec(&wire[9..], &mut payload).unwrap();
    assert_eq!(p, Progress { consumed: 4, written: 2, end: true });
    assert_eq!(payload, b">a\x03\x10");

    // On an error the payload before it is kept.
    let mut dec = Unescaper::new();
    let mut payload = Vec::new();
    let err = dec.unescape_to_vec(b"ok\x10?", &mut payload).unwrap_err();
    assert_eq!((err.offset, err.byte), (2, b'?'));
    assert_eq!(payload, b"ok");
}
