//! The data connection breaks mid-transfer: ETX, then `#CME ERROR`. The ETX is not success.

use at_ftp_proto::{Error, ModemError};

use super::harness::*;

#[test]
fn etx_then_cme_error_is_a_failure_that_keeps_the_count() {
    let part = tricky_payload(1234);
    for style in Style::ALL {
        let mut items = style.transfer_setup(false);
        items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
        items.push(Item::Modem(concat(&[
            &style.answer(b"AT#FTPGET\r", "Ok_Info_DataBegin", "1025"),
            &stuffed(&part),
            b"\r\n#CME ERROR: 37966\r\n",
        ])));
        let out = run_all_splits(get_session, &items);
        assert_eq!(out.payload, part);
        assert_eq!(
            out.events,
            [Seen::DataBegin, Seen::Failed(Error::Modem(ModemError::Cme(37966)), 1234)]
        );
    }
}

#[test]
fn the_stream_stopping_mid_data_is_not_success() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\nhalf a fi".to_vec()));
    items.push(Item::Wait(60_000));
    let out = run_all_splits(get_session, &items);
    assert_eq!(
        out.events,
        [Seen::DataBegin, Seen::Failed(Error::Timeout(at_ftp_proto::Timer::Data), 9)]
    );
}
