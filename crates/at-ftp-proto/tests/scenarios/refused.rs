//! Requests refused before anything is queued: injection, limits, ports, a busy engine.

use at_ftp_proto::{Action, Field, Instant, LinkRequest, ParamError, Problem, Request, StartError};

use super::Engine;
use super::harness::*;

/// Whether the engine has nothing at all to do: nothing to send, nothing to report, no
/// operation in flight.
fn is_idle(s: &mut Engine) -> bool {
    matches!(s.poll(Instant::ZERO), Action::Idle) && !s.is_busy()
}

#[test]
fn a_file_name_cannot_inject_a_command() {
    let mut s = engine();
    let req = Request::new("h", "x\"\rAT#FTPSERV=\"evil").with_login("u", "p").with_dir("/");
    let err = s.start_get(Instant::ZERO, &req).expect_err("refused");
    assert_eq!(
        err,
        StartError::Param(ParamError { field: Field::File, problem: Problem::Forbidden { at: 1 } })
    );
    // Nothing may be queued: no transmit, no event, no operation.
    assert!(is_idle(&mut s));
}

#[test]
fn every_string_field_is_checked() {
    let mut s = engine();
    let cases: [(Request<'_>, Field); 5] = [
        (Request::new("a\nb", "f").with_login("u", "p"), Field::Server),
        (Request::new("h", "f").with_login("u\0", "p"), Field::User),
        (Request::new("h", "f").with_login("u", "p\""), Field::Password),
        (Request::new("h", "f").with_login("u", "p").with_dir("d\x7f"), Field::Dir),
        (Request::new("h", "").with_login("u", "p"), Field::File),
    ];
    for (req, field) in cases {
        match s.start_put(Instant::ZERO, &req) {
            Err(StartError::Param(e)) => assert_eq!(e.field, field),
            other => panic!("{field:?}: {other:?}"),
        }
        assert!(is_idle(&mut s), "{field:?}");
    }
    let link = LinkRequest { apn: "apn", user: "u", password: "\r" };
    match s.start_link(Instant::ZERO, &link) {
        Err(StartError::Param(e)) => assert_eq!(e.field, Field::ApnPassword),
        other => panic!("{other:?}"),
    }
    assert!(is_idle(&mut s));
}

#[test]
fn limits_and_ports() {
    let mut s = engine();
    let long_user = "u".repeat(65);
    let req = Request::new("h", "f").with_login(&long_user, "p");
    assert_eq!(
        s.start_get(Instant::ZERO, &req),
        Err(StartError::Param(ParamError {
            field: Field::User,
            problem: Problem::TooLong { max: 64 }
        }))
    );
    let user = "u".repeat(64);
    let mut req = Request::new("h", "f").with_login(&user, "p");
    req.port = 0;
    assert_eq!(
        s.start_get(Instant::ZERO, &req),
        Err(StartError::Param(ParamError { field: Field::Port, problem: Problem::PortZero }))
    );
    req.port = 65535;
    s.start_get(Instant::ZERO, &req).expect("64 bytes and port 65535 are fine");
}

#[test]
fn one_operation_at_a_time() {
    let mut s = engine();
    let req = Request::new("h", "f").with_login("u", "p");
    s.start_get(Instant::ZERO, &req).expect("valid request");
    assert_eq!(s.start_put(Instant::ZERO, &req), Err(StartError::Busy));
    assert_eq!(write_next(&mut s, Instant::ZERO), b"AT#FTPSERV=\"h\"\r");
    // The next command waits for the answer to the first: the engine only reads, however
    // often it is polled and however long the port stays silent (short of the deadline).
    for ms in [0, 1, 4_999] {
        let now = Instant::from_millis(ms);
        match s.poll(now) {
            Action::Read { .. } => s.received(0),
            other => panic!("at {ms} ms, only a read, not {}", describe(&other)),
        }
    }
    assert_eq!(s.start_put(Instant::ZERO, &req), Err(StartError::Busy));
}
