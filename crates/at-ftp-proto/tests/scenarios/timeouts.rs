//! Silence at each phase: the right deadline fires at the right time, naming its phase.

use at_ftp_proto::{Error, Instant, Timer};

use crate::harness::*;

fn timed_out(phase: Timer, bytes: u64) -> Seen {
    Seen::Failed(Error::Timeout(phase), bytes)
}

#[test]
fn a_parameter_command_gets_five_seconds() {
    let mut s = get_session();
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(5_000)));
    s.handle_timeout(Instant::from_millis(4_999));
    assert!(s.poll_event().is_none());
    assert!(s.is_busy());
    s.handle_timeout(Instant::from_millis(5_000));
    assert!(matches!(
        s.poll_event(),
        Some(at_ftp_proto::Event::Failed { error: Error::Timeout(Timer::Command), bytes: 0 })
    ));
    assert!(!s.is_busy());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn the_deadline_restarts_with_each_command() {
    let mut items = Style { echo: false, numeric: false }.set("AT#FTPSERV=\"ftp.example.com\"");
    items.insert(1, Item::Wait(4_000));
    items.push(Item::Wait(4_999));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, []);
    let mut s = get_session();
    run(&mut s, &items, 1);
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(4_000 + 5_000)));
}

#[test]
fn starting_the_transfer_gets_two_minutes() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Wait(119_999));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, []);
    items.push(Item::Wait(1));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [timed_out(Timer::Start, 0)]);
}

#[test]
fn silence_in_the_data_gets_a_minute_from_the_last_byte() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\nab".to_vec()));
    items.push(Item::Wait(59_000));
    items.push(Item::Modem(b"cd".to_vec()));
    items.push(Item::Wait(59_999));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [Seen::DataBegin]);
    items.push(Item::Wait(1));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [Seen::DataBegin, timed_out(Timer::Data, 4)]);
}

#[test]
fn the_final_result_gets_thirty_seconds_after_the_data() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\nabc\x03".to_vec()));
    items.push(Item::Wait(29_999));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [Seen::DataBegin]);
    items.push(Item::Wait(1));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, [Seen::DataBegin, timed_out(Timer::Result, 3)]);
}

#[test]
fn an_upload_result_gets_thirty_seconds_after_finish() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    // No deadline while the host is the one to send.
    items.push(Item::Wait(600_000));
    items.push(Item::Write(b"xy".to_vec()));
    items.push(Item::Finish);
    items.push(Item::Wait(30_000));
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData, timed_out(Timer::Result, 2)]);
}
