//! Silence at each phase: the right deadline fires at the right time, naming its phase.

use at_ftp_proto::{Action, Error, Instant, Timer};

use super::Engine;
use super::harness::*;

fn timed_out(phase: Timer, bytes: u64) -> Seen {
    Seen::Failed(Error::Timeout(phase), bytes)
}

/// The deadline the engine reads to, at `now`, when it waits for input (`None` when it asks
/// for something else).
fn read_deadline(s: &mut Engine, now: Instant) -> Option<Instant> {
    match s.poll(now) {
        Action::Read { deadline, .. } => Some(deadline),
        _ => None,
    }
}

#[test]
fn a_parameter_command_gets_five_seconds() {
    let mut s = get_session();
    assert_eq!(write_next(&mut s, Instant::ZERO), b"AT#FTPSERV=\"ftp.example.com\"\r");
    assert_eq!(read_deadline(&mut s, Instant::ZERO), Some(Instant::from_millis(5_000)));
    s.received(0);
    // Just before the deadline: still waiting, with the same deadline.
    assert_eq!(
        read_deadline(&mut s, Instant::from_millis(4_999)),
        Some(Instant::from_millis(5_000))
    );
    s.received(0);
    assert!(s.is_busy());
    match s.poll(Instant::from_millis(5_000)) {
        Action::Done(Err(Error::Timeout(Timer::Command))) => {}
        other => panic!("the command deadline, not {}", describe(&other)),
    }
    assert!(!s.is_busy());
    // No deadline left: the engine waits for the next operation.
    assert!(matches!(s.poll(Instant::from_millis(5_000)), Action::Idle));
}

#[test]
fn the_deadline_restarts_with_each_command() {
    let mut items = Style { echo: false, numeric: false }.set("AT#FTPSERV=\"ftp.example.com\"");
    items.insert(1, Item::Wait(4_000));
    items.push(Item::Wait(4_999));
    let out = run_all_splits(get_session, &items);
    assert_eq!(out.events, []);
    let mut s = get_session();
    let out = run(&mut s, &items, 1);
    assert_eq!(out.now, 8_999);
    assert_eq!(
        read_deadline(&mut s, Instant::from_millis(out.now)),
        Some(Instant::from_millis(4_000 + 5_000))
    );
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
    items.push(Item::Host(b"xy\x03".to_vec()));
    items.push(Item::Wait(29_999));
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData]);
    items.push(Item::Wait(1));
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData, timed_out(Timer::Result, 2)]);
}
