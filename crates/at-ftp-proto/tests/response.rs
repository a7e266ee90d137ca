//! The response line classifier: a table of literal lines (every variant, verbose and V0 forms,
//! letter case, spacing, near-misses, odd bytes) and properties over arbitrary bytes.

use core::net::Ipv4Addr;

use at_ftp_proto::{Response, Value};

fn parse(line: &[u8]) -> Response<'_> {
    Response::parse(line)
}
use proptest::prelude::*;

// The variants by their bare names keep the table readable (this shadows `Result::Ok`, unused here).
use Response::*;

const fn quoted<'a>(name: &'a [u8], v: &'a [u8]) -> Response<'a> {
    Param { name, value: Value::Quoted(v) }
}

const fn bare<'a>(name: &'a [u8], v: &'a [u8]) -> Response<'a> {
    Param { name, value: Value::Bare(v) }
}

const fn addr(a: u8, b: u8, c: u8, d: u8) -> Response<'static> {
    Address(Ipv4Addr::new(a, b, c, d))
}

/// Each literal line and how it must be classified.
const TABLE: &[(&[u8], Response<'static>)] = &[
    // Final result codes, verbose and V0.
    (b"OK", Ok),
    (b"ok", Ok),
    (b"Ok", Ok),
    (b"0", Ok),
    (b"ERROR", Error),
    (b"error", Error),
    (b"4", Error),
    // Intermediate codes of the Ok_Info family, in several letter cases.
    (b"Ok_Info_DataBegin", DataBegin),
    (b"OK_INFO_DATABEGIN", DataBegin),
    (b"ok_info_databegin", DataBegin),
    (b"1025", DataBegin),
    (b"Ok_Info_WaitingForData", WaitingForData),
    (b"OK_INFO_WAITINGFORDATA", WaitingForData),
    (b"ok_info_waitingfordata", WaitingForData),
    (b"1028", WaitingForData),
    (b"Ok_Info_GprsActivation", GprsActivation),
    (b"OK_INFO_GPRSACTIVATION", GprsActivation),
    (b"ok_info_gprsactivation", GprsActivation),
    (b"3086", GprsActivation),
    (b"OK_Info_PPP", Ppp),
    (b"Ok_Info_Ppp", Ppp),
    (b"ok_info_ppp", Ppp),
    (b"3077", Ppp),
    // Standard V.250 codes.
    (b"NO CARRIER", NoCarrier),
    (b"No Carrier", NoCarrier),
    (b"NO  CARRIER", NoCarrier),
    (b"3", NoCarrier),
    (b"RING", Ring),
    (b"ring", Ring),
    (b"2", Ring),
    (b"BUSY", Busy),
    (b"7", Busy),
    (b"NO ANSWER", NoAnswer),
    (b"no answer", NoAnswer),
    (b"8", NoAnswer),
    // Surrounding spaces and tabs are ignored.
    (b"  OK", Ok),
    (b"OK \t ", Ok),
    (b"\t1025\t", DataBegin),
    // CME errors, with and without spaces.
    (b"#CME ERROR: 38027", CmeError(38027)),
    (b"#CME ERROR:38027", CmeError(38027)),
    (b"#CME ERROR : 35840", CmeError(35840)),
    (b"#CME ERROR:   34817  ", CmeError(34817)),
    (b"#cme error: 0", CmeError(0)),
    (b"#CME ERROR: 4294967295", CmeError(u32::MAX)),
    (b"#CME ERROR: 0000038027", CmeError(38027)),
    (b"+CME ERROR: 3", PlusCmeError(3)),
    (b"+CME ERROR:10", PlusCmeError(10)),
    (b"+cme error : 515", PlusCmeError(515)),
    // CME near-misses: overflow, no number, not a number, sign, trailing text.
    (b"#CME ERROR: 4294967296", Other(b"#CME ERROR: 4294967296")),
    (b"#CME ERROR: 99999999999999999999", Other(b"#CME ERROR: 99999999999999999999")),
    (b"+CME ERROR: 4294967296", Other(b"+CME ERROR: 4294967296")),
    (b"#CME ERROR: x", Other(b"#CME ERROR: x")),
    (b"#CME ERROR:", Other(b"#CME ERROR:")),
    (b"#CME ERROR", Other(b"#CME ERROR")),
    (b"#CME ERROR: -1", Other(b"#CME ERROR: -1")),
    (b"#CME ERROR: +1", Other(b"#CME ERROR: +1")),
    (b"#CME ERROR: 12 34", Other(b"#CME ERROR: 12 34")),
    (b"#CME ERROR: 12x", Other(b"#CME ERROR: 12x")),
    (b"+CME ERROR: SIM not inserted", Other(b"+CME ERROR: SIM not inserted")),
    (b"CME ERROR: 5", Other(b"CME ERROR: 5")),
    // Without the space it is just a parameter name.
    (b"#CMEERROR: 5", bare(b"CMEERROR", b"5")),
    // Parameters: quoted, bare, empty quoted, spacing, letter case of the name kept.
    (br#"#FTPSERV: "ftp.example.com""#, quoted(b"FTPSERV", b"ftp.example.com")),
    (br#"#FTPSERV:"ftp.example.com""#, quoted(b"FTPSERV", b"ftp.example.com")),
    (br#"#STATE: "CONNECTED""#, quoted(b"STATE", b"CONNECTED")),
    (br#"#FTPGETPATH: """#, quoted(b"FTPGETPATH", b"")),
    (br#"#FTPUN: " spaced user ""#, quoted(b"FTPUN", b" spaced user ")),
    (b"#FTPPORT: 21", bare(b"FTPPORT", b"21")),
    (b"#FTPPORT :21", bare(b"FTPPORT", b"21")),
    (b"#FTPTYPE: I", bare(b"FTPTYPE", b"I")),
    (b"#FTPTYPE: A  ", bare(b"FTPTYPE", b"A")),
    (b"#FTPMODE: 1 2", bare(b"FTPMODE", b"1 2")),
    (b"#ftp_file_size2: 1024", bare(b"ftp_file_size2", b"1024")),
    (b"#CME: 5", bare(b"CME", b"5")),
    // Parameter near-misses.
    (b"#FTPSERV:", Other(b"#FTPSERV:")),
    (b"#FTPSERV:   ", Other(b"#FTPSERV:")),
    (br#"#FTPSERV: "unterminated"#, Other(br#"#FTPSERV: "unterminated"#)),
    (br#"#FTPSERV: ""#, Other(br#"#FTPSERV: ""#)),
    (br#"#FTPSERV: "a" b"#, Other(br#"#FTPSERV: "a" b"#)),
    (br#"#FTPSERV: "a""b""#, Other(br#"#FTPSERV: "a""b""#)),
    (b"#: 5", Other(b"#: 5")),
    (b"#FTP-SERV: 5", Other(b"#FTP-SERV: 5")),
    (b"#FTPSERV 5", Other(b"#FTPSERV 5")),
    (b"FTPSERV: 5", Other(b"FTPSERV: 5")),
    (b"#", Other(b"#")),
    // Address lines of AT#CONNECTIONSTART.
    (b"10.1.2.3", addr(10, 1, 2, 3)),
    (br#""10.1.2.3""#, addr(10, 1, 2, 3)),
    (b"IP: 10.1.2.3", addr(10, 1, 2, 3)),
    (b"IP:10.1.2.3", addr(10, 1, 2, 3)),
    (br#"IP: "10.1.2.3""#, addr(10, 1, 2, 3)),
    (b"MY IP 10.1.2.3", addr(10, 1, 2, 3)),
    (b"Local IP address\t255.255.255.255", addr(255, 255, 255, 255)),
    (b"  0.0.0.0  ", addr(0, 0, 0, 0)),
    // Address near-misses.
    (b"10.1.2", Other(b"10.1.2")),
    (b"10.1.2.3.4", Other(b"10.1.2.3.4")),
    (b"10.1.2.256", Other(b"10.1.2.256")),
    (b"10.1.2.3x", Other(b"10.1.2.3x")),
    (br#""10.1.2.3"#, Other(br#""10.1.2.3"#)),
    (b"10.1.2.3:", Other(b"10.1.2.3:")),
    (b"IP=10.1.2.3", Other(b"IP=10.1.2.3")),
    (b"#IP 10.1.2.3", Other(b"#IP 10.1.2.3")),
    (b"+CGPADDR: 1,10.1.2.3", Other(b"+CGPADDR: 1,10.1.2.3")),
    (b"+IP: 10.1.2.3", Other(b"+IP: 10.1.2.3")),
    (b"#IP: 10.1.2.3", bare(b"IP", b"10.1.2.3")),
    (b"\"\"", Other(b"\"\"")),
    (b"\"", Other(b"\"")),
    // Word near-misses: trailing text, glued words, prefixes.
    (b"OKAY", Other(b"OKAY")),
    (b"OK!", Other(b"OK!")),
    (b"OK OK", Other(b"OK OK")),
    (b"ERROR 5", Other(b"ERROR 5")),
    (b"ERRORS", Other(b"ERRORS")),
    (b"NOCARRIER", Other(b"NOCARRIER")),
    (b"NO", Other(b"NO")),
    (b"RINGING", Other(b"RINGING")),
    (b"Ok_Info_", Other(b"Ok_Info_")),
    (b"Ok_Info_DataBeginX", Other(b"Ok_Info_DataBeginX")),
    (b"Ok Info DataBegin", Other(b"Ok Info DataBegin")),
    (b"OK\0", Other(b"OK\0")),
    (b"\0OK", Other(b"\0OK")),
    // Numeric near-misses: unknown codes, leading zeros, signs.
    (b"1026", Other(b"1026")),
    (b"1", Other(b"1")),
    (b"5", Other(b"5")),
    (b"00", Other(b"00")),
    (b"01025", Other(b"01025")),
    (b"+0", Other(b"+0")),
    (b"1025 1025", Other(b"1025 1025")),
    // Empty and blank lines.
    (b"", Other(b"")),
    (b"   ", Other(b"")),
    (b"\t \t", Other(b"")),
    // Other text and URCs.
    (b"AT#FTPGET", Other(b"AT#FTPGET")),
    (b"+CREG: 1", Other(b"+CREG: 1")),
    (b"  hello world ", Other(b"hello world")),
    // Bytes that are not UTF-8.
    (b"\xff\xfe", Other(b"\xff\xfe")),
    (b"OK\xff", Other(b"OK\xff")),
    (b"#CME ERROR: \xb2", Other(b"#CME ERROR: \xb2")),
    (b"#FTPSERV: \"\xff\x80\"", quoted(b"FTPSERV", b"\xff\x80")),
    (b"#FTPPORT: \xc3\xa9", bare(b"FTPPORT", b"\xc3\xa9")),
    (b"10.1.2.\xff", Other(b"10.1.2.\xff")),
    (b"IP\xff 10.1.2.3", addr(10, 1, 2, 3)),
];

#[test]
fn table() {
    let mut failures = Vec::new();
    for &(line, expected) in TABLE {
        let got = parse(line);
        if got != expected {
            failures
                .push(format!("\"{}\": expected {expected:?}, got {got:?}", line.escape_ascii()));
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn table_covers_every_variant() {
    let mut seen = [false; 15];
    for &(_, expected) in TABLE {
        let i = match expected {
            Ok => 0,
            Error => 1,
            CmeError(_) => 2,
            PlusCmeError(_) => 3,
            DataBegin => 4,
            WaitingForData => 5,
            GprsActivation => 6,
            Ppp => 7,
            NoCarrier => 8,
            Ring => 9,
            Busy => 10,
            NoAnswer => 11,
            Param { .. } => 12,
            Address(_) => 13,
            Other(_) => 14,
        };
        seen[i] = true;
    }
    assert!(seen.iter().all(|&s| s), "variants missing from the table: {seen:?}");
}

#[test]
fn every_v0_code_matches_its_verbose_form() {
    let pairs: [(&[u8], &[u8]); 12] = [
        (b"0", b"OK"),
        (b"4", b"ERROR"),
        (b"1025", b"Ok_Info_DataBegin"),
        (b"1028", b"Ok_Info_WaitingForData"),
        (b"3086", b"Ok_Info_GprsActivation"),
        (b"3077", b"OK_Info_PPP"),
        (b"3", b"NO CARRIER"),
        (b"2", b"RING"),
        (b"7", b"BUSY"),
        (b"8", b"NO ANSWER"),
        (b" 0", b"OK "),
        (b"1025\t", b"\tok_info_databegin"),
    ];
    for (v0, v1) in pairs {
        assert_eq!(parse(v0), parse(v1), "{} vs {}", v0.escape_ascii(), v1.escape_ascii());
        assert!(!matches!(parse(v0), Other(_)), "{}", v0.escape_ascii());
    }
}

#[test]
fn only_the_listed_numbers_are_v0_codes() {
    const CODES: [u32; 10] = [0, 2, 3, 4, 7, 8, 1025, 1028, 3077, 3086];
    for n in 0..10_000u32 {
        let line = n.to_string();
        let known = !matches!(parse(line.as_bytes()), Other(_));
        assert_eq!(known, CODES.contains(&n), "{n}");
    }
}

#[test]
fn the_known_cme_codes_parse() {
    let codes = [
        34817, 34819, 34824, 34881, 34882, 35840, 35841, 35862, 35865, 35866, 35867, 35868, 37123,
        37966, 38016, 38027, 49155,
    ];
    for n in codes {
        assert_eq!(parse(format!("#CME ERROR: {n}").as_bytes()), CmeError(n));
        assert_eq!(parse(format!("+CME ERROR: {n}").as_bytes()), PlusCmeError(n));
    }
}

/// The trimming rule of the parser, restated for the properties.
fn trimmed(line: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = line.iter().position(|b| !blank(b)).unwrap_or(line.len());
    let end = line.iter().rposition(|b| !blank(b)).map_or(start, |i| i + 1);
    &line[start..end]
}

/// Lines assembled from fragments of the grammar, so most of them come close to a real line.
fn near_line() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just(&b"#"[..]),
        Just(&b"+"[..]),
        Just(&b"CME"[..]),
        Just(&b"ERROR"[..]),
        Just(&b"OK"[..]),
        Just(&b"_Info_"[..]),
        Just(&b"DataBegin"[..]),
        Just(&b"PPP"[..]),
        Just(&b"NO"[..]),
        Just(&b"CARRIER"[..]),
        Just(&b"FTPSERV"[..]),
        Just(&b":"[..]),
        Just(&b" "[..]),
        Just(&b"\t"[..]),
        Just(&b"\""[..]),
        Just(&b"."[..]),
        Just(&b"10"[..]),
        Just(&b"255"[..]),
        Just(&b"4294967295"[..]),
        Just(&b"1025"[..]),
        Just(&b"0"[..]),
        Just(&b"\xff"[..]),
        Just(&b"\xc3"[..]),
        Just(&b"\0"[..]),
    ];
    prop::collection::vec(fragment, 0..12).prop_map(|f| f.concat())
}

/// Checks what holds for every classification of `line`.
fn check(line: &[u8]) {
    let t = trimmed(line);
    match parse(line) {
        Other(rest) => assert_eq!(rest, t),
        Param { name, value } => {
            assert!(t.starts_with(b"#"));
            assert!(!name.is_empty());
            assert!(name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_'));
            match value {
                Value::Quoted(v) => assert!(!v.contains(&b'"')),
                Value::Bare(v) => {
                    assert!(!v.is_empty());
                    assert_eq!(trimmed(v), v);
                }
            }
        }
        CmeError(n) => {
            assert!(t.starts_with(b"#"));
            assert!(t.ends_with(n.to_string().as_bytes()));
        }
        PlusCmeError(n) => {
            assert!(t.starts_with(b"+"));
            assert!(t.ends_with(n.to_string().as_bytes()));
        }
        Address(a) => {
            assert!(!t.starts_with(b"#") && !t.starts_with(b"+"));
            let text = a.to_string();
            assert!(t.ends_with(text.as_bytes()) || t.ends_with(format!("\"{text}\"").as_bytes()));
        }
        _ => assert!(t.is_ascii()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn never_panics_on_arbitrary_bytes(line in prop::collection::vec(any::<u8>(), 0..256)) {
        check(&line);
    }

    #[test]
    fn never_panics_near_the_grammar(line in near_line()) {
        check(&line);
    }

    #[test]
    fn surrounding_blanks_do_not_matter(
        line in prop_oneof![near_line(), prop::collection::vec(any::<u8>(), 0..64)],
        before in "[ \t]{0,4}",
        after in "[ \t]{0,4}",
    ) {
        let t = trimmed(&line);
        let padded = [before.as_bytes(), &line, after.as_bytes()].concat();
        prop_assert_eq!(parse(&padded), parse(t));
        prop_assert_eq!(parse(&line), parse(t));
    }

    #[test]
    fn any_u32_round_trips_as_a_cme_code(n in any::<u32>(), sp1 in " {0,2}", sp2 in " {0,2}") {
        let line = format!("#CME ERROR{sp1}:{sp2}{n}");
        prop_assert_eq!(parse(line.as_bytes()), CmeError(n));
        let line = format!("+CME ERROR{sp1}:{sp2}{n}");
        prop_assert_eq!(parse(line.as_bytes()), PlusCmeError(n));
    }

    #[test]
    fn any_ipv4_round_trips_as_an_address(a in any::<[u8; 4]>(), label in "(|IP: |MY IP |IP:)") {
        let ip = Ipv4Addr::from(a);
        let plain = format!("{label}{ip}");
        prop_assert_eq!(parse(plain.as_bytes()), Address(ip));
        let quoted = format!("{label}\"{ip}\"");
        prop_assert_eq!(parse(quoted.as_bytes()), Address(ip));
    }
}
