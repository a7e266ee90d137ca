//! Writes the fuzz targets' seed corpora from real transcripts: the core's `Driver` against
//! this crate's sans-IO `Modem`, for a download and an upload in each modem style.
//!
//! ```sh
//! cargo run -p at-ftp-modem --example fuzz_seeds -- fuzz/seeds
//! ```
//!
//! `transcript/` gets the modem's side of the line (after the target's head byte), `modem/`
//! the host's side, `response/` the distinct response lines; `url/` a few URL forms.
#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::error::Error;
use std::path::Path;

use at_ftp_modem::{Faults, Modem};
use at_ftp_proto::{Action, Driver, Instant, Request};

/// A small file with both special bytes and a line end in it.
const FILE: &[u8] = b"seed\x03file\x10with\r\nspecials\x10\x03";

/// Runs one transfer; returns (host to modem, modem to host).
fn transcript(put: bool, faults: Faults) -> (Vec<u8>, Vec<u8>) {
    let mut modem = Modem::new(faults);
    let mut driver = Driver::default();
    let req = Request::new("ftp.example.com", "user", "pw", "/pub", "f.bin");
    let now = Instant::ZERO;
    let started = if put { driver.start_put(now, &req) } else { driver.start_get(now, &req) };
    started.expect("a valid request");
    let (mut sent, mut received) = (Vec::new(), Vec::new());
    let mut pending: Vec<u8> = Vec::new();
    let mut source = FILE;
    let mut uploading = false;
    for _ in 0..100_000 {
        match driver.poll(now) {
            Action::Transmit(t) => {
                let n = t.bytes().len();
                sent.extend_from_slice(t.bytes());
                modem.handle_input(t.bytes());
                driver.transmitted(n);
            }
            Action::Upload(buf) => {
                let n = source.len().min(buf.len());
                buf[..n].copy_from_slice(&source[..n]);
                source = &source[n..];
                driver.uploaded(n);
            }
            Action::Peek(buf) | Action::Read { buf, .. } => {
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
                received.extend_from_slice(&out);
                pending.extend(out);
                let n = pending.len().min(buf.len());
                buf[..n].copy_from_slice(&pending[..n]);
                pending.drain(..n);
                driver.received(n);
            }
            Action::Done(_) | Action::Idle => break,
            Action::Payload(_) | Action::Progress(_) | Action::Notice(_) => {}
        }
    }
    (sent, received)
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
            let (sent, received) = transcript(put, faults.clone());
            let op = if put { "put" } else { "get" };
            // The targets' head byte: bit 0 picks the operation; the read size is 7 (or 3).
            let head = u8::from(put) | (6 << 1);
            write(root, "transcript", &format!("{op}-{name}"), &[&[head], &received[..]].concat())?;
            write(root, "modem", &format!("{op}-{name}"), &[&[7u8], &sent[..]].concat())?;
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
