//! Reading parameters back in both dialects, quoted and bare values.

use at_ftp_proto::{Dialect, Engine, Error, Instant, Param, ProtocolError};

use crate::harness::*;

fn reading(param: Param, dialect: Dialect) -> impl Fn() -> Engine {
    move || {
        let mut s = engine();
        s.read_param(Instant::ZERO, param, dialect).expect("valid request");
        s
    }
}

#[test]
fn reads_a_quoted_value_in_the_query_dialect() {
    for style in Style::ALL {
        let items = [
            Item::Host(b"AT#FTPSERV?\r".to_vec()),
            Item::Modem(concat(&[
                if style.echo { b"AT#FTPSERV?\r" } else { b"" },
                b"\r\n#FTPSERV: \"ftp.example.com\"\r\n",
                &style.result("OK", "0"),
            ])),
        ];
        let out = run_all_splits(reading(Param::Server, Dialect::Query), &items);
        assert_eq!(out.events, [Seen::ParamRead(Param::Server, b"ftp.example.com".to_vec())]);
    }
}

#[test]
fn reads_a_bare_value_in_the_legacy_dialect() {
    let items = [
        Item::Host(b"AT#FTPPORT\r".to_vec()),
        Item::Modem(b"AT#FTPPORT\r\r\n#FTPPORT: 2121\r\n\r\nOK\r\n".to_vec()),
    ];
    let out = run_all_splits(reading(Param::Port, Dialect::Legacy), &items);
    assert_eq!(out.events, [Seen::ParamRead(Param::Port, b"2121".to_vec())]);
}

#[test]
fn another_parameter_line_is_not_the_answer() {
    let items = [
        Item::Host(b"AT#FTPTYPE?\r".to_vec()),
        Item::Modem(b"\r\n#FTPPORT: 21\r\n\r\nOK\r\n".to_vec()),
    ];
    let out = run_all_splits(reading(Param::Type, Dialect::Query), &items);
    assert_eq!(
        out.events,
        [
            Seen::Unsolicited(b"#FTPPORT: 21".to_vec()),
            Seen::Failed(Error::Protocol(ProtocolError::MissingValue), 0)
        ]
    );
}
