//! An upload in every modem style; the modem echoes the host's final ETX before its result.

use crate::harness::*;

#[test]
fn uploads_in_every_style() {
    let payload = tricky_payload(9000);
    for style in Style::ALL {
        let mut items = style.transfer_setup(true);
        items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
        items.push(Item::Modem(style.answer(b"AT#FTPPUT\r", "Ok_Info_WaitingForData", "1028")));
        items.push(Item::Write(payload.clone()));
        items.push(Item::Finish);
        // Everything the host sent after the command: exactly the stuffed file and its ETX.
        items.push(Item::Host(stuffed(&payload)));
        items.push(Item::Modem(concat(&[b"\x03", &style.result("OK", "0")])));
        let out = run_all_splits(put_session, &items);
        assert_eq!(
            out.events,
            [Seen::ReadyForData, Seen::Complete(payload.len() as u64)],
            "{style:?}"
        );
        assert!(out.unchecked_host.is_empty());
    }
}

#[test]
fn no_payload_goes_out_before_the_modem_is_ready() {
    let mut s = put_session();
    while s.poll_transmit().is_some() {}
    assert_eq!(s.write_payload(b"x"), Err(at_ftp_proto::WriteError::NotReady));
    assert_eq!(
        s.finish_payload(at_ftp_proto::Instant::ZERO),
        Err(at_ftp_proto::WriteError::NotReady)
    );
}

#[test]
fn an_upload_failure_after_the_data_keeps_the_count() {
    let style = Style { echo: false, numeric: false };
    let mut items = style.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(b"abc\x03".to_vec()));
    items.push(Item::Finish);
    items.push(Item::Host(b"abc\x10\x03\x03".to_vec()));
    items.push(Item::Modem(b"\x03\r\n#CME ERROR: 37966\r\n".to_vec()));
    let out = run_all_splits(put_session, &items);
    let error = at_ftp_proto::Error::Modem(at_ftp_proto::ModemError::Cme(37966));
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Failed(error, 4)]);
}
