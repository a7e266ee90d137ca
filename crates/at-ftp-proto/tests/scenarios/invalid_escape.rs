//! A DLE followed by an ordinary byte inside download data.

use at_ftp_proto::{Config, Error, Instant, ProtocolError, Strictness};

use super::Engine;
use super::harness::*;

fn items() -> Vec<Item> {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\nab\x10Xcd\x03\r\nOK\r\n".to_vec()));
    items
}

#[test]
fn strict_mode_fails_and_still_reads_to_the_end() {
    let out = run_all_splits(get_session, &items());
    // The DLE is the third byte of the data; what came before it is delivered.
    let error = Error::Protocol(ProtocolError::InvalidEscape { offset: 2, byte: b'X' });
    assert_eq!(out.events, [Seen::DataBegin, Seen::Failed(error, 2)]);
    assert_eq!(out.payload, b"ab");
}

#[test]
fn strict_mode_session_is_free_again_after_the_final_result() {
    let mut s = get_session();
    run(&mut s, &items(), 1);
    assert!(!s.is_busy());
    s.start_get(Instant::ZERO, &request()).expect("idle again");
}

#[test]
fn lenient_mode_passes_both_bytes_through() {
    let make = || {
        let mut s =
            Engine::new(Config { strictness: Strictness::Lenient, ..clean() }).expect("valid");
        s.start_get(Instant::ZERO, &request()).expect("valid request");
        s
    };
    let out = run_all_splits(make, &items());
    assert_eq!(out.payload, b"ab\x10Xcd");
    assert_eq!(out.events, [Seen::DataBegin, Seen::Complete(6)]);
}
