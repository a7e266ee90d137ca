//! What a modem sends during a download or an upload, as raw bytes (seeds are real
//! transcripts of the emulator): the engine's events and the bytes it sends are the same
//! whatever the size of the reads and of the engine's buffers (the default sizes, the
//! microcontroller preset, the smallest buffers), nothing panics, and every call makes
//! progress.
//!
//! Input: byte 0 picks the operation (bit 0: upload) and the read size (bits 1..=4, plus 1);
//! the rest is the modem's side of the line, in replies separated by 0xFE bytes. A reply
//! arrives in the port (all of it, as a modem's answer does) when the engine waits for input
//! and the port is empty; reads and peeks then take it in pieces of the read size. So the
//! split is the only difference between two runs: what had arrived before a command was
//! written is the same in both.
#![no_main]

use at_ftp_proto::{Action, Config, Engine, Instant, Limits, MIN_PORT, Request, SmallEngine};

/// The smallest buffers the default config takes.
type Smallest = Engine<MIN_PORT, 256, 256, { Limits::DEFAULT.script_len() }>;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&head, wire)) = data.split_first() else { return };
    let put = head & 1 == 1;
    let read = usize::from((head >> 1) & 0x0f) + 1;
    let config = Config { resync: false, ..Config::default() };
    let whole = run(<Engine>::new(config).expect("a valid config"), put, wire, usize::MAX);
    let split = run(<Engine>::new(config).expect("a valid config"), put, wire, read);
    assert_eq!(whole, split, "read size {read}");
    let small = run(SmallEngine::new(config).expect("a valid config"), put, wire, read);
    assert_eq!(whole, small, "the small preset, read size {read}");
    let smallest = run(Smallest::new(config).expect("a valid config"), put, wire, read);
    assert_eq!(whole, smallest, "the smallest buffers, read size {read}");
});

/// Everything the host observed, as text.
fn run<const PORT: usize, const CHUNK: usize, const LINE: usize, const SCRIPT: usize>(
    mut engine: Engine<PORT, CHUNK, LINE, SCRIPT>,
    put: bool,
    wire: &[u8],
    read: usize,
) -> Vec<String> {
    let req = Request::new("ftp.example.com", "f.bin").with_login("user", "pw").with_dir("/pub");
    let mut now = Instant::ZERO;
    let _ = if put { engine.start_put(now, &req) } else { engine.start_get(now, &req) };
    let mut replies = wire.split(|&b| b == 0xfe);
    let mut port: Vec<u8> = Vec::new();
    let mut seen = Vec::new();
    let mut payload = Vec::new();
    let mut source: &[u8] = b"up\x03load\x10";
    let mut sent = Vec::new();
    let mut calls = 0usize;
    loop {
        calls += 1;
        assert!(calls <= 20 * (wire.len() + 100), "no progress");
        match engine.poll(now) {
            Action::Transmit(t) => {
                let n = t.bytes().len();
                sent.extend_from_slice(t.bytes());
                engine.transmitted(now, n);
            }
            Action::Payload(p) => payload.extend_from_slice(p),
            Action::Event(event) => {
                let text = format!("{event:?}");
                // Progress counts follow the reads: only the payload they count is compared.
                if !text.starts_with("Progress") {
                    flush(&mut seen, &mut payload, &mut sent);
                    seen.push(text);
                }
            }
            Action::Upload(buf) => {
                let n = source.len().min(buf.len());
                buf[..n].copy_from_slice(&source[..n]);
                source = &source[n..];
                engine.uploaded(n);
            }
            Action::Peek(buf) => {
                let n = port.len().min(buf.len()).min(read);
                buf[..n].copy_from_slice(&port[..n]);
                port.drain(..n);
                engine.received(n);
            }
            Action::Read { buf, deadline } => {
                if port.is_empty() {
                    match replies.next() {
                        Some(reply) => port.extend_from_slice(reply),
                        // The rest of the story: the deadline passes.
                        None => now = deadline,
                    }
                }
                let n = port.len().min(buf.len()).min(read);
                buf[..n].copy_from_slice(&port[..n]);
                port.drain(..n);
                engine.received(n);
            }
            Action::Done(result) => {
                flush(&mut seen, &mut payload, &mut sent);
                seen.push(format!("done {result:?}"));
            }
            Action::Idle => break,
        }
    }
    seen
}

/// Payload and sent bytes come in pieces that depend on the reads: they are compared joined,
/// at each event.
fn flush(seen: &mut Vec<String>, payload: &mut Vec<u8>, sent: &mut Vec<u8>) {
    if !payload.is_empty() {
        seen.push(format!("payload {payload:?}"));
        payload.clear();
    }
    if !sent.is_empty() {
        seen.push(format!("sent {}", String::from_utf8_lossy(sent)));
        sent.clear();
    }
}
