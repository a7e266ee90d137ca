//! Reading parameters back in both dialects, quoted and bare values.

use at_ftp_proto::{Dialect, Error, Instant, Param, ProtocolError};

use super::Engine;
use super::harness::*;

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

/// Each setting answered `OK` is reported set, in order, and only those; a setting the
/// request says the modem holds already is not sent.
#[test]
fn settings_are_reported_set_and_known_ones_are_not_sent() {
    use at_ftp_proto::{Known, Setting};
    const V1: Style = Style { echo: false, numeric: false };
    let mut items = V1.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\n#CME ERROR: 38016\r\n".to_vec()));
    let out = run_all_splits(get_session, &items);
    let get = [
        Setting::Server,
        Setting::Port,
        Setting::User,
        Setting::Password,
        Setting::GetPath,
        Setting::GetFileName,
        Setting::Type,
    ];
    assert_eq!(out.sets, get);
    assert_eq!(out.events, [Seen::Failed(Error::Modem(at_ftp_proto::ModemError::Cme(38016)), 0)]);

    // All but the file name known: its command and the transfer's only.
    let known = get[..5].iter().chain([&Setting::Type]).fold(Known::NONE, |k, &s| k.with(s));
    let session = move || {
        let mut s = engine();
        s.start_get(Instant::ZERO, &request().with_known(known)).expect("valid request");
        s
    };
    let mut items = V1.set("AT#FTPGETFILENAME=\"file.bin\"");
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\nab\x03\r\nOK\r\n".to_vec()));
    let out = run_all_splits(session, &items);
    assert_eq!(out.sets, [Setting::GetFileName]);
    assert_eq!(out.events, [Seen::DataBegin, Seen::Complete(2)]);
    assert_eq!(out.payload, b"ab");

    // A failure stops the reports at the last OK.
    let mut items = V1.set("AT#FTPSERV=\"ftp.example.com\"");
    items.push(Item::Host(b"AT#FTPPORT=21\r".to_vec()));
    items.push(Item::Modem(b"\r\nERROR\r\n".to_vec()));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.sets, [Setting::Server]);
}
