//! What a modem sends during a download or an upload, as raw bytes (seeds are real
//! transcripts of the emulator): the session's events are the same whether the bytes come
//! whole or in reads of any size, nothing panics, and every call makes progress within a
//! budget of one call per input byte.
//!
//! Input: byte 0 picks the operation (bit 0: upload) and the read size (bits 1..=4, plus 1);
//! the rest is the modem's side of the line.
#![no_main]

use at_ftp_proto::{Event, Instant, Request, Session};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&head, wire)) = data.split_first() else { return };
    let put = head & 1 == 1;
    let read = usize::from((head >> 1) & 0x0f) + 1;
    let whole = run(put, wire, wire.len().max(1));
    let split = run(put, wire, read);
    assert_eq!(whole, split, "read size {read}");
});

/// Everything the host observed, as text.
fn run(put: bool, wire: &[u8], read: usize) -> Vec<String> {
    let mut session = Session::default();
    let req = Request::new("ftp.example.com", "user", "pw", "/pub", "f.bin");
    let now = Instant::ZERO;
    let _ = if put { session.start_put(now, &req) } else { session.start_get(now, &req) };
    let mut seen = Vec::new();
    // As an adapter does: the first command goes out before anything is read.
    drain(&mut session, &mut seen);
    let mut calls = 0usize;
    for chunk in wire.chunks(read) {
        let mut rest = chunk;
        while !rest.is_empty() {
            calls += 1;
            assert!(calls <= wire.len() + 1, "no progress");
            let used = session.handle_input(now, rest);
            rest = &rest[used..];
            drain(&mut session, &mut seen);
        }
    }
    // The rest of the story: the deadline passes.
    session.handle_timeout(Instant::from_millis(u64::MAX / 2));
    drain(&mut session, &mut seen);
    // Payload arrives in pieces that depend on the reads: compare it joined.
    let mut joined: Vec<String> = Vec::new();
    let mut payload = Vec::new();
    // Progress counts follow the pieces too: only the final count (in `Complete`) is compared.
    for s in seen.into_iter().filter(|s| !s.starts_with("Progress")) {
        match s.strip_prefix("payload:") {
            Some(p) => payload.extend(p.chars().map(|c| c as u32 as u8)),
            None => {
                if !payload.is_empty() {
                    joined.push(format!("payload {payload:?}"));
                    payload.clear();
                }
                joined.push(s);
            }
        }
    }
    joined.push(format!("payload {payload:?}"));
    joined
}

fn drain(session: &mut Session, seen: &mut Vec<String>) {
    while let Some(t) = session.poll_transmit() {
        seen.push(format!("sent {t}"));
    }
    let mut ready = false;
    while let Some(event) = session.poll_event() {
        match event {
            // Bytes as Latin-1 text, so that joining pieces is exact.
            Event::Payload(p) => seen
                .push(format!("payload:{}", p.iter().map(|&b| char::from(b)).collect::<String>())),
            Event::ReadyForData => {
                ready = true;
                seen.push("ready".into());
            }
            other => seen.push(format!("{other:?}")),
        }
    }
    if ready {
        // A small upload, so that the modem's side decides the rest.
        let _ = session.write_payload(b"up\x03load\x10");
        let _ = session.finish_payload(Instant::ZERO);
        while let Some(t) = session.poll_transmit() {
            seen.push(format!("sent {t}"));
        }
    }
}
