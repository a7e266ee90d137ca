//! The modem out of step with the host: answers after the host gave up, results that answer
//! nothing, data nobody asked for. Nothing of a file may reach a modem in command mode, and no
//! echo may surface as an event.

use at_ftp_proto::{Error, ModemError, ProtocolError};

use super::harness::*;

const V1: Style = Style { echo: false, numeric: false };
const V0: Style = Style { echo: false, numeric: true };

fn unexpected() -> Error {
    Error::Protocol(ProtocolError::UnexpectedResult)
}

fn cme(n: u32) -> Error {
    Error::Modem(ModemError::Cme(n))
}

/// The events as text, byte strings shown as text (so that a password in them would be
/// visible to a `contains` check; `Debug` of bytes shows numbers).
fn text(events: &[Seen]) -> String {
    events
        .iter()
        .map(|e| match e {
            Seen::Unsolicited(line) => format!("Unsolicited({})\n", String::from_utf8_lossy(line)),
            e => format!("{e:?}\n"),
        })
        .collect()
}

/// The modem ends an upload with its ETX and a failure before the caller's first piece of
/// the file is sent: that piece is never sent (the engine hears the port between reading a
/// piece and sending it). Nothing of ours was written, so nothing can reach the modem as
/// command lines: the failure is reported at once, with no quiet wait and no CR.
fn cut_before_the_first_piece(style: Style) -> Vec<Item> {
    let mut items = style.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(style.answer(b"AT#FTPPUT\r", "Ok_Info_WaitingForData", "1028")));
    items.push(Item::Modem(b"\x03\r\n#CME ERROR: 37966\r\n".to_vec()));
    items.push(Item::Write(b"AT+CFUN=0\r".to_vec()));
    items.push(Item::Finish);
    // Never the file's bytes, nor its terminator.
    items.push(Item::Host(Vec::new()));
    items
}

#[test]
fn queued_upload_bytes_never_follow_the_final_result() {
    // Numeric results (`1028\r` has no LF after it), so that under every split the port
    // holds the modem's ETX, and only it, when the engine peeks before the first piece.
    let items = cut_before_the_first_piece(V0);
    let out = run_all_splits(put_session, &items);
    // Progress counts what the port took: nothing.
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Failed(cme(37966), 0)]);
    assert_eq!(out.now, 0, "no quiet wait: nothing of ours was on its way");
    assert!(out.unchecked_host.is_empty(), "{:?}", out.unchecked_host);

    // Verbose results, all of the modem's bytes in one read each (a split between the CR
    // and the LF of `Ok_Info_WaitingForData` would leave only the LF for that peek).
    let items = cut_before_the_first_piece(V1);
    let out = run(&mut put_session(), &items, usize::MAX);
    // Progress counts what the port took: nothing.
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Failed(cme(37966), 0)]);
    assert!(out.unchecked_host.is_empty(), "{:?}", out.unchecked_host);
}

#[test]
fn a_quiet_wait_ends_however_busy_the_line_stays() {
    let mut items = V1.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(b"abc".to_vec()));
    items.push(Item::Finish);
    items.push(Item::Host(b"abc\x03".to_vec()));
    items.push(Item::Modem(b"\x03\r\n#CME ERROR: 37966\r\n".to_vec()));
    // A URC every 400 ms: the line is never quiet for 500 ms, yet the wait ends, capped.
    let mut now = 0;
    while now + 400 <= 61_000 {
        now += 400;
        items.push(Item::Wait(400));
        items.push(Item::Modem(b"\r\nRING\r\n".to_vec()));
    }
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Failed(cme(37966), 3)], "by {now} ms");
    assert_eq!(out.unchecked_host, b"\r", "one CR to end a partial line, nothing else");
}

#[test]
fn queued_upload_bytes_never_follow_an_abort_either() {
    let mut items = V1.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    // The piece is handed out, but the port takes none of it before the abort.
    items.push(Item::Stall);
    items.push(Item::Write(b"AT+CFUN=0\r".to_vec()));
    items.push(Item::Abort);
    items.push(Item::Modem(b"\r\n#CME ERROR: 37966\r\n".to_vec()));
    items.push(Item::Unstall);
    // Only the terminator: not one byte of the piece.
    items.push(Item::Host(b"\x03".to_vec()));
    // No ETX from the modem before its result: the result is believed once the line is
    // quiet; then the quiet wait of a failed upload, with its CR.
    items.push(Item::Wait(500));
    items.push(Item::Wait(500));
    items.push(Item::Host(b"\r".to_vec()));
    items.push(Item::Wait(499));
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData]);
    items.push(Item::Wait(1));
    let out = run_all_splits(put_session, &items);
    // Progress counts what the port took: none of the piece.
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Failed(Error::Aborted, 0)]);
    assert!(out.unchecked_host.is_empty(), "{:?}", out.unchecked_host);
}

#[test]
fn a_late_password_echo_after_a_timeout_is_dropped() {
    let mut items = Vec::new();
    for command in ["AT#FTPSERV=\"ftp.example.com\"", "AT#FTPPORT=21", "AT#FTPUN=\"user\""] {
        items.extend(V1.set(command));
    }
    items.push(Item::Host(b"AT#FTPPW=\"hunter2\"\r".to_vec()));
    items.push(Item::Wait(5_000));
    items.push(Item::Wait(100));
    items.push(Item::Modem(b"AT#FTPPW=\"hunter2\"\r\r\nOK\r\n".to_vec()));
    // The engine is idle; the next operation hears the port before its first command: the
    // late echo is dropped, the late OK is no answer of it.
    items.push(Item::Start(Op::Get));
    items.push(Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()));
    items.push(Item::Host(Vec::new()));
    let out = run_all_splits(get_session, &items);
    assert!(!text(&out.events).contains("hunter2"), "{}", text(&out.events));
    assert_eq!(
        out.events,
        [
            Seen::Failed(Error::Timeout(at_ftp_proto::Timer::Command), 0),
            Seen::Unsolicited(b"OK".to_vec()),
        ]
    );
}

#[test]
fn a_password_echo_behind_a_stray_byte_is_dropped() {
    let mut items = Vec::new();
    for command in ["AT#FTPSERV=\"ftp.example.com\"", "AT#FTPPORT=21", "AT#FTPUN=\"user\""] {
        items.extend(V1.set(command));
    }
    items.push(Item::Host(b"AT#FTPPW=\"hunter2\"\r".to_vec()));
    items.push(Item::Modem(b"\xffAT#FTPPW=\"hunter2\"\r\r\nOK\r\n".to_vec()));
    // The OK answered the password command: the script goes on.
    items.push(Item::Host(b"AT#FTPGETPATH=\"/pub\"\r".to_vec()));
    let out = run_all_splits(get_session, &items);
    assert!(!text(&out.events).contains("hunter2"), "{}", text(&out.events));
    assert_eq!(out.events, []);
}

#[test]
fn ok_while_the_host_uploads_fails_and_stops_sending() {
    let mut items = V1.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(b"abc".to_vec()));
    items.push(Item::Host(b"abc".to_vec()));
    items.push(Item::Modem(b"\r\nOK\r\n".to_vec()));
    // The engine hears the port before it sends the next piece: the OK (no ETX before it)
    // means the modem left the data phase; neither this piece nor any later one is sent,
    // and no more is asked for.
    items.push(Item::Write(b"x".to_vec()));
    items.push(Item::Host(Vec::new()));
    items.push(Item::Write(b"more".to_vec()));
    items.push(Item::Finish);
    items.push(Item::Wait(500));
    items.push(Item::Host(b"\r".to_vec()));
    items.push(Item::Wait(500));
    // The OK must come whole to the one peek before the piece: one read.
    let out = run(&mut put_session(), &items, usize::MAX);
    // Progress counts what the port took: `x` was read from the source, never sent.
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Failed(unexpected(), 3)]);
    assert!(out.unchecked_host.is_empty(), "{:?}", out.unchecked_host);
}

#[test]
fn data_begin_to_an_upload_is_drained_not_framed() {
    let items = [
        Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()),
        Item::Modem(
            b"\r\nOk_Info_DataBegin\r\nline one\r\nOK\r\n\x03\r\nOK\r\n\r\nRING\r\n".to_vec(),
        ),
        Item::Host(Vec::new()),
        // The drained data's `OK` and its final result were taken by the failed operation:
        // the next one hears only the `RING`, then sends its first command.
        Item::Start(Op::Get),
        Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()),
        Item::Host(Vec::new()),
    ];
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::Failed(unexpected(), 0), Seen::Unsolicited(b"RING".to_vec())]);
    assert_eq!(out.payload, b"");
}

#[test]
fn a_numeric_data_begin_with_a_trailing_blank_keeps_the_payload_lf() {
    let mut items = V0.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"1025 \r\nX\x030\r".to_vec()));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.payload, b"\nX");
    assert_eq!(out.events, [Seen::DataBegin, Seen::Complete(2)]);
}

/// Found by the `transcript` fuzz target: two answers in one read advanced the script past a
/// command line that had not been written yet, so it was never sent; in two reads it was.
/// No command is ever skipped, and every split sends the same lines: answers that came
/// before a command was written are not its answer (they are reported as unsolicited), and
/// the command waits for its own.
#[test]
fn answers_in_one_read_never_skip_a_command() {
    let items = [
        Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()),
        Item::Modem(b"\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n".to_vec()),
        Item::Host(b"AT#FTPPORT=21\r".to_vec()),
        Item::Host(Vec::new()),
        Item::Modem(b"\r\nOK\r\n".to_vec()),
        Item::Host(b"AT#FTPUN=\"user\"\r".to_vec()),
        Item::Modem(b"\r\nOK\r\n".to_vec()),
        Item::Host(b"AT#FTPPW=\"hunter2\"\r".to_vec()),
    ];
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [Seen::Unsolicited(b"OK".to_vec()), Seen::Unsolicited(b"OK".to_vec())]);
}
