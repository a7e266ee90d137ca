//! Aborting: reported once the modem is in command mode; the engine stays busy until then.

use at_ftp_proto::{Action, Error, Instant};

use super::harness::*;

#[test]
fn abort_mid_download_drains_the_data_silently() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\nabc".to_vec()));
    items.push(Item::Abort);
    items.push(Item::Modem(b"more data\x03\r\nOK\r\n\r\nRING\r\n".to_vec()));
    // The abort ends at the final result, not before: the next operation's first command
    // goes out, the `RING` after that result is a URC (not data, not dropped), and the
    // command still waits for its own answer.
    items.push(Item::Start(Op::Get));
    items.push(Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()));
    items.push(Item::Host(Vec::new()));
    let mut s = get_session();
    let out = run(&mut s, &items, 1);
    assert_eq!(
        out.events,
        [Seen::DataBegin, Seen::Failed(Error::Aborted, 3), Seen::Unsolicited(b"RING".to_vec())]
    );
    assert_eq!(out.payload, b"abc", "nothing after the abort is delivered");
    assert!(s.is_busy(), "the next operation waits for its answer");
    assert!(!s.is_line_lost());
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
    assert!(out.unchecked_host.is_empty());
    assert!(!s.is_busy());
    assert_eq!(run_all_splits(put_session, &items), out);
}

#[test]
fn abort_before_a_command_is_sent_sends_nothing() {
    let mut s = get_session();
    assert!(s.abort(Instant::ZERO));
    let mut seen = Vec::new();
    for _ in 0..100 {
        let action = s.poll(Instant::ZERO);
        let idle = matches!(action, Action::Idle);
        seen.push(describe(&action));
        if let Action::Peek(_) | Action::Read { .. } = action {
            s.received(0);
        }
        if idle {
            break;
        }
    }
    // No transmit, no progress: the failure at once, with 0 bytes.
    assert_eq!(seen, ["Done(Err(Aborted))", "Idle"]);
    assert!(!s.is_busy());
    assert!(!s.abort(Instant::ZERO), "nothing left to abort");
}

#[test]
fn abort_while_a_command_waits_keeps_the_engine_busy_until_its_answer() {
    let mut s = get_session();
    assert_eq!(write_next(&mut s, Instant::ZERO), b"AT#FTPSERV=\"ftp.example.com\"\r");
    assert!(s.abort(Instant::ZERO));
    assert!(s.is_busy());
    let out = run(&mut s, &[Item::Modem(b"\r\nOK\r\n".to_vec())], 1);
    assert_eq!(out.events, [Seen::Failed(Error::Aborted, 0)]);
    assert!(out.unchecked_host.is_empty(), "no further command");
    assert!(!s.is_busy());
    assert!(!s.is_line_lost(), "the answer came: the modem is in command mode");
}
