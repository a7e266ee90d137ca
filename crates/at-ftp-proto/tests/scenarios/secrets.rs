//! Passwords never appear in Debug, Display, events or logs of what was sent.

use at_ftp_proto::{Instant, LinkRequest, Request, Engine};

#[test]
fn transmit_shows_no_password() {
    let mut s = engine();
    s.start_get(Instant::ZERO, &Request::new("h", "u", "hunter2", "", "f")).expect("valid request");
    let mut logged = String::new();
    let mut sent = Vec::new();
    for _ in 0..4 {
        let t = s.poll_transmit().expect("a command");
        logged.push_str(&format!("{t} {t:?}\n"));
        sent.extend_from_slice(t.bytes());
        s.handle_input(Instant::ZERO, b"\r\nOK\r\n");
        while s.poll_event().is_some() {}
    }
    assert!(sent.ends_with(b"AT#FTPPW=\"hunter2\"\r"), "the port gets the real bytes");
    assert!(logged.contains("AT#FTPPW=\"***\"\\x0d"), "{logged}");
    assert!(!logged.contains("hunter2"), "{logged}");
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn an_echoed_password_line_is_never_an_event() {
    let mut s = engine();
    let link = LinkRequest { apn: "a", user: "u", password: "hunter2" };
    s.start_link(Instant::ZERO, &link).expect("valid request");
    let mut seen = String::new();
    for _ in 0..4 {
        let t = s.poll_transmit().expect("a command");
        let mut echo = t.bytes().to_vec();
        // Some modems echo in another letter case.
        echo.make_ascii_lowercase();
        echo.extend_from_slice(b"\r\nOK\r\n");
        let mut input = &echo[..];
        while !input.is_empty() {
            let used = s.handle_input(Instant::ZERO, input);
            input = &input[used..];
            // Nothing taken: the next command waits to be written (the loop above polls it).
            if used == 0 {
                break;
            }
            while let Some(e) = s.poll_event() {
                // Bytes as text: `Debug` of a byte slice shows numbers, which would hide a leak.
                match e {
                    at_ftp_proto::Event::Unsolicited(line) => {
                        seen.push_str(&String::from_utf8_lossy(line));
                    }
                    e => seen.push_str(&format!("{e:?}")),
                }
                seen.push('\n');
            }
        }
    }
    assert!(!seen.contains("hunter2"), "{seen}");
    assert_eq!(
        s.poll_transmit().map(|t| t.bytes().to_vec()),
        Some(b"AT#CONNECTIONSTART\r".to_vec())
    );
}
