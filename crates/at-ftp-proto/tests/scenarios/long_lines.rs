//! Over-long lines: reported once, discarded to their end, never unbounded memory.

use at_ftp_proto::{Config, Dialect, Error, Instant, Param, Engine};

use crate::harness::*;

#[test]
fn an_over_long_urc_is_reported_and_the_transfer_goes_on() {
    let long = vec![b'Z'; 10_000];
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(concat(&[
        b"\r\n",
        &long,
        b"\r\nOk_Info_DataBegin\r\n",
        &stuffed(b"data"),
        b"\r\nOK\r\n",
    ])));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [Seen::LineTooLong, Seen::DataBegin, Seen::Complete(4)]);
}

#[test]
fn a_line_at_the_limit_is_kept() {
    let make = || {
        let mut s = Engine::new(Config { max_line_len: 16, ..Config::default() });
        s.read_param(Instant::ZERO, Param::Server, Dialect::Query).expect("valid request");
        s
    };
    // `#FTPSERV: "abc"` is 15 bytes, `#FTPSERV: "abcd"` 16, `#FTPSERV: "abcde"` 17.
    let ok = [
        Item::Host(b"AT#FTPSERV?\r".to_vec()),
        Item::Modem(b"\r\n#FTPSERV: \"abcd\"\r\n\r\nOK\r\n".to_vec()),
    ];
    let out = run_all_splits(make, &ok);
    assert_eq!(out.events, [Seen::ParamRead(Param::Server, b"abcd".to_vec())]);
    let long = [
        Item::Host(b"AT#FTPSERV?\r".to_vec()),
        Item::Modem(b"\r\n#FTPSERV: \"abcde\"\r\n\r\nOK\r\n".to_vec()),
    ];
    let out = run_all_splits(make, &long);
    assert_eq!(out.events, [Seen::LineTooLong, Seen::Failed(Error::LineTooLong, 0)]);
}
