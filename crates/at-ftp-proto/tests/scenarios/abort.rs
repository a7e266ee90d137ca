//! Aborting: reported at once; the session stays busy until the modem is in command mode.

use at_ftp_proto::{Error, Instant};

use crate::harness::*;

#[test]
fn abort_mid_download_drains_the_data_silently() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\nabc".to_vec()));
    items.push(Item::Abort);
    items.push(Item::Modem(b"more data\x03\r\nOK\r\n\r\nRING\r\n".to_vec()));
    let mut s = get_session();
    let out = run(&mut s, &items, 1);
    assert_eq!(
        out.events,
        [Seen::DataBegin, Seen::Failed(Error::Aborted, 3), Seen::Unsolicited(b"RING".to_vec())]
    );
    assert_eq!(out.payload, b"abc", "nothing after the abort is delivered");
    assert!(!s.is_busy());
    let whole = run_all_splits(get_session, &items);
    assert_eq!(whole, out);
}

#[test]
fn abort_mid_upload_ends_it_with_the_terminator() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(b"a\x10".to_vec()));
    items.push(Item::Abort);
    items.push(Item::Host(b"a\x10\x10\x03".to_vec()));
    items.push(Item::Modem(b"\x03\r\nOK\r\n".to_vec()));
    let mut s = put_session();
    let out = run(&mut s, &items, 1);
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Failed(Error::Aborted, 2)]);
    assert!(!s.is_busy());
}

#[test]
fn abort_before_a_command_is_sent_sends_nothing() {
    let mut s = get_session();
    assert!(s.abort(Instant::ZERO));
    assert!(s.poll_transmit().is_none());
    assert!(matches!(
        s.poll_event(),
        Some(at_ftp_proto::Event::Failed { error: Error::Aborted, bytes: 0 })
    ));
    assert!(!s.is_busy());
    assert!(!s.abort(Instant::ZERO), "nothing left to abort");
}

#[test]
fn abort_while_a_command_waits_keeps_the_session_busy_until_its_answer() {
    let mut s = get_session();
    assert!(s.poll_transmit().is_some());
    assert!(s.abort(Instant::ZERO));
    assert!(s.is_busy());
    let out = run(&mut s, &[Item::Modem(b"\r\nOK\r\n".to_vec())], 1);
    assert_eq!(out.events, [Seen::Failed(Error::Aborted, 0)]);
    assert!(out.unchecked_host.is_empty(), "no further command");
    assert!(!s.is_busy());
}
