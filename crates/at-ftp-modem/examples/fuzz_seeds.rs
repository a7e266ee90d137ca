//! Writes the fuzz targets' seed corpora from real transcripts: the core's `Engine` against
//! this crate's sans-IO `Modem`, for a download and an upload in each modem style.
//!
//! ```sh
//! cargo run -p at-ftp-modem --example fuzz_seeds -- fuzz/seeds
//! ```
//!
//! `transcript/` gets the modem's side of the line (after the target's head byte) of an engine
//! on a line known clean (`resync: false`, as that target runs it), its replies separated by
//! 0xFE bytes; `modem/` the host's side of an engine as shipped, whose first operation
//! resynchronises the line (`ETX ETX`, `AT`); `response/` the distinct response lines; `url/`
//! a few URL forms.
#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::error::Error;
use std::path::Path;

use at_ftp_modem::{Faults, Modem};
use at_ftp_proto::{Action, Config, Engine, Instant, Request};

/// A small file with both special bytes and a line end in it.
const FILE: &[u8] = b"seed\x03file\x10with\r\nspecials\x10\x03";

/// What separates the modem's replies in a `transcript` seed.
const REPLY_END: u8 = 0xfe;

/// Runs one transfer with virtual time; returns what the host wrote, and the modem's replies
/// (what it sent in answer to each write) in order.
fn transcript(put: bool, faults: Faults, resync: bool) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut modem = Modem::new(faults);
    let mut engine: Engine =
        Engine::new(Config { resync, ..Config::default() }).expect("a valid config");
    let req = Request::new("ftp.example.com", "f.bin").with_login("user", "pw").with_dir("/pub");
    let mut now = Instant::ZERO;
    let started = if put { engine.start_put(now, &req) } else { engine.start_get(now, &req) };
    started.expect("a valid request");
    let (mut sent, mut replies) = (Vec::new(), Vec::new());
    let mut pending: Vec<u8> = Vec::new();
    let mut source = FILE;
    let mut uploading = false;
    for _ in 0..100_000 {
        match engine.poll(now) {
            Action::Transmit(t) => {
                let n = t.bytes().len();
                sent.extend_from_slice(t.bytes());
                modem.handle_input(t.bytes());
                engine.transmitted(now, n);
            }
            Action::Upload(buf) => {
                let n = source.len().min(buf.len());
                buf[..n].copy_from_slice(&source[..n]);
                source = &source[n..];
                engine.uploaded(n);
            }
            action @ (Action::Peek(_) | Action::Read { .. }) => {
                if let Some(job) = modem.poll_job() {
                    if job.put {
                        modem.ready_for_data();
                        uploading = true;
                    } else {
                        modem.data_begin();
                        modem.send_data(FILE);
                        modem.data_end(Ok(()));
                    }
                }
                if uploading {
                    let (_, ended) = modem.take_upload();
                    if ended {
                        modem.upload_done(Ok(()));
                        uploading = false;
                    }
                }
                let out = modem.take_output();
                if !out.is_empty() {
                    replies.push(out.clone());
                }
                pending.extend(out);
                let (buf, deadline) = match action {
                    Action::Read { buf, deadline } => (buf, Some(deadline)),
                    Action::Peek(buf) => (buf, None),
                    _ => unreachable!("matched above"),
                };
                let n = pending.len().min(buf.len());
                buf[..n].copy_from_slice(&pending[..n]);
                pending.drain(..n);
                engine.received(n);
                if let (0, Some(deadline)) = (n, deadline) {
                    // Silence: the engine's deadline passes (the quiet waits of a resync).
                    now = deadline;
                }
            }
            Action::Done(_) | Action::Idle => break,
            Action::Payload(_) | Action::Event(_) => {}
        }
    }
    (sent, replies)
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = std::env::args().nth(1).unwrap_or_else(|| "fuzz/seeds".into());
    let root = Path::new(&root);
    let styles = [
        ("plain", Faults::default()),
        ("echo-off", Faults { echo_off: true, ..Faults::default() }),
        ("v0", Faults { numeric: true, ..Faults::default() }),
        (
            "quirks",
            Faults {
                urc_before_data: true,
                urc_after_data: true,
                nul_noise: true,
                extra_etx: true,
                garbage_lines: true,
                ..Faults::default()
            },
        ),
        ("cut", Faults { abort_after: Some(7), ..Faults::default() }),
    ];
    let mut lines = BTreeSet::new();
    for (name, faults) in styles {
        for put in [false, true] {
            let op = if put { "put" } else { "get" };
            let (_, replies) = transcript(put, faults.clone(), false);
            // The targets' head byte: bit 0 picks the operation; the read size is 7 (or 3).
            let head = u8::from(put) | (6 << 1);
            let wire = replies.join(&REPLY_END);
            write(root, "transcript", &format!("{op}-{name}"), &[&[head], &wire[..]].concat())?;
            let (sent, resynced) = transcript(put, faults.clone(), true);
            write(root, "modem", &format!("{op}-{name}"), &[&[7u8], &sent[..]].concat())?;
            let received = [replies, resynced].concat().concat();
            for line in received.split(|&b| b == b'\r' || b == b'\n') {
                if !line.is_empty() && line.len() < 64 {
                    lines.insert(line.to_vec());
                }
            }
        }
    }
    for (i, line) in lines.iter().enumerate() {
        write(root, "response", &format!("line-{i:02}"), line)?;
    }
    let urls = [
        "ftp://ftp.example.com/pub/data.bin",
        "ftp://user:p%40ss@10.0.0.1:2121/a/b/c.txt",
        "ftp://anonymous@h/my%20dir/file%20name",
        "ftp://h/x/../y/./f",
    ];
    for (i, url) in urls.iter().enumerate() {
        write(root, "url", &format!("url-{i}"), url.as_bytes())?;
    }
    println!("seeds written under {}", root.display());
    Ok(())
}

fn write(root: &Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(name), bytes)
}
