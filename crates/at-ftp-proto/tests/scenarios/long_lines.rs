//! Over-long lines: reported once, discarded to their end, never unbounded memory.

use at_ftp_proto::{Config, Dialect, Error, Instant, MIN_LINE, Param};

use super::Engine;
use super::harness::*;

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
    // The smallest limit a config may have (`Engine::new` refuses a smaller one).
    let make = || {
        let config = Config { max_line_len: MIN_LINE, ..clean() };
        let mut s: Engine = Engine::new(config).expect("the smallest valid limit");
        s.read_param(Instant::ZERO, Param::Server, Dialect::Query).expect("valid request");
        s
    };
    assert_eq!(MIN_LINE, 24, "the values below are sized for a 24-byte limit");
    // `#FTPSERV: "abcdefghijk"` is 23 bytes, `#FTPSERV: "abcdefghijkl"` 24,
    // `#FTPSERV: "abcdefghijklm"` 25.
    let ok = [
        Item::Host(b"AT#FTPSERV?\r".to_vec()),
        Item::Modem(b"\r\n#FTPSERV: \"abcdefghijkl\"\r\n\r\nOK\r\n".to_vec()),
    ];
    let out = run_all_splits(make, &ok);
    assert_eq!(out.events, [Seen::ParamRead(Param::Server, b"abcdefghijkl".to_vec())]);
    let long = [
        Item::Host(b"AT#FTPSERV?\r".to_vec()),
        Item::Modem(b"\r\n#FTPSERV: \"abcdefghijklm\"\r\n\r\nOK\r\n".to_vec()),
    ];
    let out = run_all_splits(make, &long);
    assert_eq!(out.events, [Seen::LineTooLong, Seen::Failed(Error::LineTooLong, 0)]);
}

#[test]
fn a_limit_below_the_minimum_is_refused() {
    // The old test used a 16-byte limit; such a config is now refused outright.
    let config = Config { max_line_len: MIN_LINE - 1, ..clean() };
    assert!(matches!(
        <Engine>::new(config),
        Err(at_ftp_proto::ConfigError::LineLength { got: 23, min: MIN_LINE, .. })
    ));
}
