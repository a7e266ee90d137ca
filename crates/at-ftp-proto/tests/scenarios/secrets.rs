//! Passwords never appear in Debug, Display, events or logs of what was sent.

use at_ftp_proto::{Action, Instant, LinkRequest, Request};

use super::harness::*;

#[test]
fn transmit_shows_no_password() {
    let mut s = engine();
    s.start_get(Instant::ZERO, &Request::new("h", "f").with_login("u", "hunter2"))
        .expect("valid request");
    let now = Instant::ZERO;
    let mut logged = String::new();
    let mut sent = Vec::new();
    let mut answered = 0;
    while answered < 4 {
        match s.poll(now) {
            Action::Transmit(t) => {
                logged.push_str(&format!("{t} {t:?}\n"));
                // A short write, as a transcript shows it.
                logged.push_str(&format!("{} {:?}\n", t.head(13), t.head(13)));
                sent.extend_from_slice(t.bytes());
                let n = t.bytes().len();
                s.transmitted(now, n);
            }
            Action::Read { buf, .. } => {
                let answer = b"\r\nOK\r\n";
                buf[..answer.len()].copy_from_slice(answer);
                s.received(answer.len());
                answered += 1;
            }
            Action::Peek(_) => s.received(0),
            Action::Event(e) => logged.push_str(&format!("{e:?}\n")),
            other => panic!("{}", describe(&other)),
        }
        logged.push_str(&format!("{s:?}\n"));
    }
    assert!(sent.ends_with(b"AT#FTPPW=\"hunter2\"\r"), "the port gets the real bytes");
    assert!(logged.contains("AT#FTPPW=\"***\"\\x0d"), "{logged}");
    assert!(!logged.contains("hunter2"), "{logged}");
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn an_echoed_password_line_is_never_an_event() {
    let make = || {
        let mut s = engine();
        let link = LinkRequest { apn: "a", user: "u", password: "hunter2" };
        s.start_link(Instant::ZERO, &link).expect("valid request");
        s
    };
    let mut items = Vec::new();
    for command in
        ["AT#GPRSMODE=1\r", "AT#APNSERV=\"a\"\r", "AT#APNUN=\"u\"\r", "AT#APNPW=\"hunter2\"\r"]
    {
        items.push(Item::Host(command.as_bytes().to_vec()));
        // Some modems echo in another letter case.
        let mut echo = command.as_bytes().to_ascii_lowercase();
        echo.extend_from_slice(b"\r\nOK\r\n");
        items.push(Item::Modem(echo));
    }
    // The echoes were not answers: each command got its own OK, and the script goes on.
    items.push(Item::Host(b"AT#CONNECTIONSTART\r".to_vec()));
    let out = run_all_splits(make, &items);
    // Bytes as text: `Debug` of a byte slice shows numbers, which would hide a leak.
    let seen: String = out
        .events
        .iter()
        .map(|e| match e {
            Seen::Unsolicited(line) => String::from_utf8_lossy(line).into_owned(),
            e => format!("{e:?}"),
        })
        .collect();
    assert!(!seen.contains("hunter2"), "{seen}");
    assert_eq!(out.events, [], "an echo is never an event");
}
