//! The engine end to end against a scripted modem in memory: upload a file, download it back,
//! and check it byte for byte. No hardware; the modem emulator backed by a real FTP server comes
//! with its own crate.
//!
//! The engine's first operation resynchronises the line (a new process cannot know what the
//! last one left the modem doing): it waits for quiet, ends an upload the modem may still be
//! waiting for, and proves command mode with `AT`. The scripted modem answers all of it.
//!
//! `cargo run --release -p at-ftp-proto --example engine`

#![allow(clippy::print_stdout)] // an example reports to its user

use std::collections::HashMap;
use std::error::Error;

use at_ftp_proto::{Action, Engine, Escaper, Event, Instant, Outcome, Request, Unescaper};

/// A modem that knows just enough: echo on, verbose results, `OK` to every parameter, and a
/// file store behind `AT#FTPPUT` / `AT#FTPGET`. It answers in reads of uneven sizes.
#[derive(Default)]
struct Modem {
    line: Vec<u8>,
    params: HashMap<String, String>,
    files: HashMap<String, Vec<u8>>,
    /// Receiving upload data.
    upload: Option<Unescaper>,
    received: Vec<u8>,
    out: Vec<u8>,
    reads: usize,
}

impl Modem {
    fn write(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if let Some(dec) = &mut self.upload {
                let mut buf = [0u8; 512];
                let p = dec.unescape(bytes, &mut buf).expect("the host stuffs correctly");
                self.received.extend_from_slice(&buf[..p.written]);
                bytes = &bytes[p.consumed..];
                if p.end {
                    self.upload = None;
                    let name = self.params["FTPPUTFILENAME"].clone();
                    self.files.insert(name, std::mem::take(&mut self.received));
                    // The modem echoes the final ETX, then reports.
                    self.out.extend_from_slice(b"\x03\r\nOK\r\n");
                }
                continue;
            }
            let b = bytes[0];
            bytes = &bytes[1..];
            if b == b'\r' || b.is_ascii_graphic() || b == b' ' {
                self.out.push(b); // echo
            }
            if b == b'\r' {
                let line = std::mem::take(&mut self.line);
                // V.250: whatever precedes `AT` on a line is ignored (here: a terminator sent
                // by the resynchronisation to a modem that was in command mode all along).
                let at = line.windows(2).position(|w| w == b"AT").unwrap_or(line.len());
                let line = String::from_utf8_lossy(&line[at..]).into_owned();
                if !line.is_empty() {
                    self.command(&line);
                }
            } else {
                self.line.push(b);
            }
        }
    }

    fn command(&mut self, line: &str) {
        if line == "AT" {
            self.out.extend_from_slice(b"\r\nOK\r\n");
        } else if let Some((name, value)) = line.strip_prefix("AT#").and_then(|c| c.split_once('='))
        {
            self.params.insert(name.to_owned(), value.trim_matches('"').to_owned());
            self.out.extend_from_slice(b"\r\nOK\r\n");
        } else if line == "AT#FTPPUT" {
            self.out.extend_from_slice(b"\r\nOk_Info_WaitingForData\r\n");
            self.upload = Some(Unescaper::new());
        } else if line == "AT#FTPGET" {
            match self.files.get(&self.params["FTPGETFILENAME"]) {
                Some(file) => {
                    self.out.extend_from_slice(b"\r\nOk_Info_DataBegin\r\n");
                    let mut enc = Escaper::new();
                    enc.escape_to_vec(file, &mut self.out);
                    enc.finish_to_vec(&mut self.out);
                    self.out.extend_from_slice(b"\r\nOK\r\n");
                }
                None => self.out.extend_from_slice(b"\r\n#CME ERROR: 38016\r\n"),
            }
        } else {
            self.out.extend_from_slice(b"\r\nERROR\r\n");
        }
    }

    /// Up to an uneven number of bytes, as a serial port returns them; 0 when it has none.
    fn read(&mut self, buf: &mut [u8]) -> usize {
        self.reads += 1;
        let n = self.out.len().min(buf.len()).min(1 + self.reads * 37 % 300);
        buf[..n].copy_from_slice(&self.out[..n]);
        self.out.drain(..n);
        n
    }
}

/// Runs the engine until its operation ends; `upload` is the file, asked for when the modem is
/// ready. Returns the payload byte count and the time the operation ended.
fn run(
    engine: &mut Engine,
    modem: &mut Modem,
    mut now: Instant,
    upload: &[u8],
    file: &mut Vec<u8>,
) -> Result<(u64, Instant), Box<dyn Error>> {
    let mut to_send = upload;
    loop {
        match engine.poll(now) {
            Action::Transmit(t) => {
                if t.is_command() {
                    println!("  > {t}"); // Display hides the password
                }
                let n = t.bytes().len();
                modem.write(t.bytes()); // all of it; a short write reports fewer
                engine.transmitted(now, n);
            }
            Action::Read { buf, deadline } => {
                let n = modem.read(buf);
                if n == 0 {
                    // The scripted modem has nothing more until we write: nothing comes
                    // before the deadline, and the clock jumps to it.
                    now = deadline;
                }
                engine.received(n);
            }
            Action::Peek(buf) => {
                let n = modem.read(buf);
                engine.received(n);
            }
            Action::Upload(buf) => {
                let n = to_send.len().min(buf.len());
                buf[..n].copy_from_slice(&to_send[..n]);
                to_send = &to_send[n..];
                engine.uploaded(n); // 0: the end of the file
            }
            Action::Payload(data) => file.extend_from_slice(data),
            Action::Event(Event::Progress(_)) => {}
            Action::Event(event) => println!("  < {event:?}"),
            Action::Done(Ok(Outcome::Transferred { bytes })) => return Ok((bytes, now)),
            Action::Done(Ok(other)) => return Err(format!("not a transfer: {other:?}").into()),
            Action::Done(Err(error)) => return Err(error.into()),
            Action::Idle => return Err("idle before the operation ended".into()),
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut file: Vec<u8> = b"report.csv\r\n".to_vec();
    file.extend((0..100_000u32).map(|i| (i * 7 % 256) as u8));
    let request =
        Request::new("ftp.example.com", "report.csv").with_login("bob", "hunter2").with_dir("/in");
    let mut modem = Modem::default();
    let mut engine = Engine::default();

    println!("upload of {} bytes:", file.len());
    engine.start_put(Instant::ZERO, &request)?;
    let (sent, now) = run(&mut engine, &mut modem, Instant::ZERO, &file, &mut Vec::new())?;

    println!("download:");
    engine.start_get(now, &request)?;
    let mut back = Vec::new();
    let (received, _) = run(&mut engine, &mut modem, now, &[], &mut back)?;

    assert_eq!(back, file, "the file came back changed");
    println!("ok: {sent} bytes up, {received} bytes down, identical");
    Ok(())
}
