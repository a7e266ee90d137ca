//! The modem out of step with the host: answers after the host gave up, results that answer
//! nothing, data nobody asked for. Nothing of a file may reach a modem in command mode, and no
//! echo may surface as an event.

use at_ftp_proto::{Error, Event, Instant, ProtocolError, Request, Engine};

use crate::harness::*;

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn req() -> Request<'static> {
    Request::new("h", "u", "hunter2", "", "f")
}

/// Answers OK to every command until `stop` (a command prefix) is transmitted.
fn until(s: &mut Engine, now: Instant, stop: &[u8]) {
    loop {
        let tx = s.poll_transmit().expect("a command").bytes().to_vec();
        if tx.starts_with(stop) {
            return;
        }
        feed(s, now, b"\r\nOK\r\n");
    }
}

/// Feeds `input` until it is used up or the session waits for its next command to be
/// written (the caller polls it); returns the events as text, byte slices shown as text (so
/// that a password in them would be visible to a `contains` check).
fn feed(s: &mut Engine, now: Instant, mut input: &[u8]) -> Vec<String> {
    let mut events = Vec::new();
    while !input.is_empty() {
        let used = s.handle_input(now, input);
        input = &input[used..];
        let before = events.len();
        while let Some(e) = s.poll_event() {
            events.push(match e {
                Event::Unsolicited(l) => format!("Unsolicited({})", String::from_utf8_lossy(l)),
                Event::Payload(p) => format!("Payload({})", String::from_utf8_lossy(p)),
                e => format!("{e:?}"),
            });
        }
        if used == 0 && events.len() == before {
            break;
        }
    }
    events
}

#[test]
fn queued_upload_bytes_never_follow_the_final_result() {
    let mut s = engine();
    s.start_put(t(0), &req()).expect("valid request");
    until(&mut s, t(0), b"AT#FTPPUT\r");
    assert_eq!(feed(&mut s, t(0), b"\r\nOk_Info_WaitingForData\r\n"), ["ReadyForData"]);
    // The caller writes and finishes, then handles input it already has before draining.
    s.write_payload(b"AT+CFUN=0\r").expect("ready");
    s.finish_payload(t(0)).expect("ready");
    let events = feed(&mut s, t(0), b"\x03\r\n#CME ERROR: 37966\r\n");
    assert_eq!(events.len(), 1, "{events:?}");
    // Never the queued file bytes: the session waits for the line to be quiet (stray bytes
    // may still reach the modem as commands), ends a partial line with a bare CR, waits
    // again, and only then is idle.
    assert_eq!(s.poll_transmit().map(|t| t.bytes().to_vec()), None);
    assert!(s.is_busy());
    s.handle_timeout(t(500));
    assert_eq!(s.poll_transmit().map(|t| t.bytes().to_vec()), Some(b"\r".to_vec()));
    assert_eq!(feed(&mut s, t(600), b"\r\nERROR\r\n"), Vec::<String>::new());
    s.handle_timeout(t(1000));
    assert!(s.is_busy(), "the stray ERROR restarted the quiet wait");
    s.handle_timeout(t(1100));
    assert!(!s.is_busy());
    assert_eq!(s.poll_transmit().map(|t| t.bytes().to_vec()), None);
    assert!(s.poll_event().is_none(), "the failure was reported once");
}

#[test]
fn a_quiet_wait_ends_however_busy_the_line_stays() {
    let mut s = engine();
    s.start_put(t(0), &req()).expect("valid request");
    until(&mut s, t(0), b"AT#FTPPUT\r");
    feed(&mut s, t(0), b"\r\nOk_Info_WaitingForData\r\n");
    feed(&mut s, t(0), b"\x03\r\n#CME ERROR: 37966\r\n");
    // A URC every 400 ms for an hour: the wait is capped by the result timeout (30 s).
    let mut now = 0;
    while s.is_busy() && now < 3_600_000 {
        now += 400;
        feed(&mut s, t(now), b"\r\nRING\r\n");
        s.handle_timeout(t(now));
        while s.poll_transmit().is_some() {}
    }
    assert!(!s.is_busy());
    assert!(now <= 61_000, "{now} ms");
}

#[test]
fn queued_upload_bytes_never_follow_an_abort_either() {
    let mut s = engine();
    s.start_put(t(0), &req()).expect("valid request");
    until(&mut s, t(0), b"AT#FTPPUT\r");
    feed(&mut s, t(0), b"\r\nOk_Info_WaitingForData\r\n");
    s.write_payload(b"AT+CFUN=0\r").expect("ready");
    s.abort(t(0));
    let events = feed(&mut s, t(0), b"\r\n#CME ERROR: 37966\r\n");
    assert_eq!(events, ["Failed { error: Aborted, bytes: 10 }"]);
    assert_eq!(s.poll_transmit().map(|t| t.bytes().to_vec()), None);
}

#[test]
fn a_late_password_echo_after_a_timeout_is_dropped() {
    let mut s = engine();
    s.start_get(t(0), &req()).expect("valid request");
    until(&mut s, t(0), b"AT#FTPPW");
    s.handle_timeout(t(5_000));
    while s.poll_event().is_some() {}
    let events = feed(&mut s, t(5_100), b"AT#FTPPW=\"hunter2\"\r\r\nOK\r\n");
    assert_eq!(events, ["Unsolicited(OK)"]);
}

#[test]
fn a_password_echo_behind_a_stray_byte_is_dropped() {
    let mut s = engine();
    s.start_get(t(0), &req()).expect("valid request");
    until(&mut s, t(0), b"AT#FTPPW");
    let events = feed(&mut s, t(0), b"\xffAT#FTPPW=\"hunter2\"\r\r\nOK\r\n");
    assert!(!events.iter().any(|e| e.contains("hunter2")), "{events:?}");
    assert_eq!(
        s.poll_transmit().map(|t| t.bytes().to_vec()),
        Some(b"AT#FTPGETPATH=\"\"\r".to_vec())
    );
}

#[test]
fn ok_while_the_host_uploads_fails_and_stops_sending() {
    let mut s = engine();
    s.start_put(t(0), &req()).expect("valid request");
    until(&mut s, t(0), b"AT#FTPPUT\r");
    feed(&mut s, t(0), b"\r\nOk_Info_WaitingForData\r\n");
    s.write_payload(b"abc").expect("ready");
    let events = feed(&mut s, t(0), b"\r\nOK\r\n");
    let error = Error::Protocol(ProtocolError::UnexpectedResult);
    assert_eq!(events, [format!("{:?}", Event::Failed { error, bytes: 3 })]);
    assert_eq!(s.poll_transmit().map(|t| t.bytes().to_vec()), None);
    assert_eq!(s.write_payload(b"x"), Err(at_ftp_proto::WriteError::NotReady));
}

#[test]
fn data_begin_to_an_upload_is_drained_not_framed() {
    let items = [
        Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()),
        Item::Modem(
            b"\r\nOk_Info_DataBegin\r\nline one\r\nOK\r\n\x03\r\nOK\r\n\r\nRING\r\n".to_vec(),
        ),
        Item::Host(Vec::new()),
    ];
    let out = run_all_splits(put_session, &items);
    let error = Error::Protocol(ProtocolError::UnexpectedResult);
    assert_eq!(out.events, [Seen::Failed(error, 0), Seen::Unsolicited(b"RING".to_vec())]);
    assert_eq!(out.payload, b"");
}

#[test]
fn a_numeric_data_begin_with_a_trailing_blank_keeps_the_payload_lf() {
    let mut items = Style { echo: false, numeric: true }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"1025 \r\nX\x030\r".to_vec()));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.payload, b"\nX");
    assert_eq!(out.events, [Seen::DataBegin, Seen::Complete(2)]);
}

/// Found by the `transcript` fuzz target: two answers in one read advanced the script past a
/// command line that had not been written yet, so it was never sent; in two reads it was.
/// The session now stops for a queued command line, and every split sends the same lines.
#[test]
fn answers_in_one_read_never_skip_a_command() {
    let answers = b"\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n";
    let mut sent_by_read = Vec::new();
    for read in [1, 6, 7, answers.len()] {
        let mut s = engine();
        s.start_get(t(0), &req()).expect("valid request");
        let mut sent = Vec::new();
        let mut input = &answers[..];
        while let Some(tx) = s.poll_transmit() {
            sent.push(tx.bytes().to_vec());
        }
        while !input.is_empty() {
            let n = read.min(input.len());
            let used = s.handle_input(t(0), &input[..n]);
            input = &input[used..];
            while let Some(tx) = s.poll_transmit() {
                sent.push(tx.bytes().to_vec());
            }
            while s.poll_event().is_some() {}
        }
        sent_by_read.push(sent);
    }
    let want: Vec<&[u8]> = vec![
        b"AT#FTPSERV=\"h\"\r",
        b"AT#FTPPORT=21\r",
        b"AT#FTPUN=\"u\"\r",
        b"AT#FTPPW=\"hunter2\"\r",
    ];
    for sent in sent_by_read {
        assert_eq!(sent, want);
    }
}
