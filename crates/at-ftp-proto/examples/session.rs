//! The session engine end to end against a scripted modem in memory: upload a file, download it
//! back, and check it byte for byte. No hardware; the modem emulator backed by a real FTP server
//! comes with its own crate.
//!
//! `cargo run --release -p at-ftp-proto --example session`

#![allow(clippy::print_stdout)] // an example reports to its user

use std::collections::HashMap;
use std::error::Error;

use at_ftp_proto::{Escaper, Event, Instant, Request, Session, Unescaper};

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
            self.out.push(b); // echo
            if b == b'\r' {
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                self.command(&line);
            } else {
                self.line.push(b);
            }
        }
    }

    fn command(&mut self, line: &str) {
        if let Some((name, value)) = line.strip_prefix("AT#").and_then(|c| c.split_once('=')) {
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

    /// Up to an uneven number of bytes, as a serial port returns them.
    fn read(&mut self) -> Vec<u8> {
        self.reads += 1;
        let n = self.out.len().min(1 + self.reads * 37 % 300);
        self.out.drain(..n).collect()
    }
}

/// Runs the session until its operation ends; `upload` is fed when the modem is ready.
fn run(
    session: &mut Session,
    modem: &mut Modem,
    upload: &[u8],
    file: &mut Vec<u8>,
) -> Result<u64, Box<dyn Error>> {
    let now = Instant::ZERO; // the scripted modem never keeps us waiting
    let mut input = Vec::new();
    let mut to_send = upload;
    let mut uploading = false;
    loop {
        while let Some(t) = session.poll_transmit() {
            if t.is_command() {
                println!("  > {t}"); // Display hides the password
            }
            modem.write(t.bytes());
        }
        while let Some(event) = session.poll_event() {
            match event {
                Event::Payload(data) => file.extend_from_slice(data),
                Event::ReadyForData => uploading = true,
                Event::Complete { bytes } => return Ok(bytes),
                Event::Failed { error, .. } => return Err(error.into()),
                Event::Progress { .. } => {}
                other => println!("  < {other:?}"),
            }
        }
        if uploading {
            if to_send.is_empty() {
                session.finish_payload(now)?;
                uploading = false;
            } else {
                let n = session.write_payload(to_send)?;
                to_send = &to_send[n..];
            }
            continue;
        }
        if input.is_empty() {
            input = modem.read();
            if input.is_empty() {
                return Err("the modem went silent".into());
            }
        }
        let used = session.handle_input(now, &input);
        input.drain(..used);
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut file: Vec<u8> = b"report.csv\r\n".to_vec();
    file.extend((0..100_000u32).map(|i| (i * 7 % 256) as u8));
    let request = Request::new("ftp.example.com", "bob", "hunter2", "/in", "report.csv");
    let mut modem = Modem::default();
    let mut session = Session::default();

    println!("upload of {} bytes:", file.len());
    session.start_put(Instant::ZERO, &request)?;
    let sent = run(&mut session, &mut modem, &file, &mut Vec::new())?;

    println!("download:");
    session.start_get(Instant::ZERO, &request)?;
    let mut back = Vec::new();
    let received = run(&mut session, &mut modem, &[], &mut back)?;

    assert_eq!(back, file, "the file came back changed");
    println!("ok: {sent} bytes up, {received} bytes down, identical");
    Ok(())
}
