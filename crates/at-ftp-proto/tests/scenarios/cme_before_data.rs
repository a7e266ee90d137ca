//! A failure before any data: the server cannot be resolved, or a parameter is refused.

use at_ftp_proto::{Error, ModemError};

use super::harness::*;

#[test]
fn cme_error_instead_of_data_begin_fails_with_its_code() {
    for style in Style::ALL {
        let mut items = style.transfer_setup(false);
        items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
        let mut modem = if style.echo { b"AT#FTPGET\r".to_vec() } else { Vec::new() };
        modem.extend_from_slice(b"\r\n#CME ERROR: 38027\r\n");
        items.push(Item::Modem(modem));
        let out = run_all_splits(get_session, &items);
        assert_eq!(out.events, [Seen::Failed(Error::Modem(ModemError::Cme(38027)), 0)]);
        assert_eq!(out.payload, b"");
    }
}

#[test]
fn a_refused_parameter_stops_the_script() {
    let items = [
        Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()),
        Item::Modem(b"\r\n+CME ERROR: 3\r\n".to_vec()),
        // No further command goes out.
        Item::Host(Vec::new()),
    ];
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [Seen::Failed(Error::Modem(ModemError::PlusCme(3)), 0)]);
}

#[test]
fn plain_error_in_numeric_form() {
    let items = [
        Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()),
        Item::Modem(b"4\r".to_vec()),
        Item::Host(Vec::new()),
    ];
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [Seen::Failed(Error::Modem(ModemError::Error), 0)]);
}

#[test]
fn the_error_says_what_the_code_means() {
    let e = Error::Modem(ModemError::Cme(38027));
    assert_eq!(
        e.to_string(),
        "the modem reported a failure: #CME ERROR: 38027 (DNS: the server name could not be resolved)"
    );
    assert!(Error::Modem(ModemError::Cme(1)).to_string().contains("#CME ERROR: 1 (unknown code)"));
}
