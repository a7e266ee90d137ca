//! A download or an upload driven by arbitrary modem bytes, time steps and caller actions:
//! never a panic, never an endless loop (every `handle_input` call with no events waiting
//! consumes at least one byte), payload events within their bound, and no success without
//! a final result line after the data.
#![no_main]

use arbitrary::Arbitrary;
use at_ftp_proto::{Event, Instant, PAYLOAD_CHUNK, Request, Session};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Action {
    /// The modem sends these bytes.
    Modem(Vec<u8>),
    /// Time passes (milliseconds).
    Wait(u32),
    /// The caller uploads these bytes.
    Write(Vec<u8>),
    Finish,
    Abort,
    /// The caller starts another operation (refused while one is in flight).
    Start {
        put: bool,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    put: bool,
    actions: Vec<Action>,
}

/// Distinctive enough that arbitrary modem bytes will not spell it.
const PASSWORD: &str = "pw-Zq7x-9Kd";

fuzz_target!(|input: Input| {
    // Whether the data phase of the operation began: a transfer may complete only then.
    let mut began = false;
    let mut session = Session::default();
    let mut now = Instant::ZERO;
    let request = Request::new("ftp.example.com", "user", PASSWORD, "/pub", "f.bin");
    let _ =
        if input.put { session.start_put(now, &request) } else { session.start_get(now, &request) };
    for action in input.actions {
        match action {
            Action::Modem(bytes) => {
                let mut input = &bytes[..];
                while !input.is_empty() {
                    let used = session.handle_input(now, input);
                    let outputs = drain(&mut session, &mut began);
                    assert!(used > 0 || outputs > 0, "no progress");
                    input = &input[used..];
                }
            }
            Action::Wait(ms) => {
                now = now + core::time::Duration::from_millis(ms.into());
                session.handle_timeout(now);
            }
            Action::Write(data) => {
                let _ = session.write_payload(&data);
            }
            Action::Finish => {
                let _ = session.finish_payload(now);
            }
            Action::Abort => {
                session.abort(now);
            }
            Action::Start { put } => {
                let _ = if put {
                    session.start_put(now, &request)
                } else {
                    session.start_get(now, &request)
                };
            }
        }
        drain(&mut session, &mut began);
    }
});

/// Drains transmit and events; returns how many there were.
fn drain(session: &mut Session, began: &mut bool) -> usize {
    let mut n = 0;
    while let Some(t) = session.poll_transmit() {
        assert!(!t.bytes().is_empty());
        assert!(!format!("{t:?}").contains(PASSWORD));
        n += 1;
    }
    while let Some(event) = session.poll_event() {
        match event {
            Event::Payload(p) => assert!(!p.is_empty() && p.len() <= PAYLOAD_CHUNK),
            Event::DataBegin | Event::ReadyForData => *began = true,
            Event::Complete { .. } => assert!(core::mem::take(began), "no data phase"),
            Event::Failed { .. } => *began = false,
            _ => {}
        }
        // The bytes themselves: `Debug` of a byte slice shows numbers and would hide a leak.
        let text = match event {
            Event::Unsolicited(line) => line,
            Event::ParamRead { value, .. } => value,
            _ => &[],
        };
        assert!(!text.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()));
        n += 1;
    }
    n
}
