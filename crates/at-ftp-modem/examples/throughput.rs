//! How fast the emulator serves a download: 16 MiB of random data from the in-process FTP
//! server, through the emulator, over a pseudo-terminal, decoded by the core's `Unescaper`.
//!
//! ```sh
//! cargo run --release -p at-ftp-modem --example throughput
//! ```
//!
//! The host side here is raw on purpose (commands written by hand, the data read in 64 KiB
//! reads): it measures the emulator and the pty, not a client.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use at_ftp_modem::{Options, Testbed, sample};
use at_ftp_proto::Unescaper;

const SIZE: usize = 16 << 20;

fn main() -> Result<(), Box<dyn Error>> {
    let bed = Testbed::new(Options::default())?;
    let file = sample(SIZE, 16);
    std::fs::write(bed.file("big.bin"), &file)?;
    let mut port = serialport::new(bed.line().to_string_lossy(), 115_200)
        .timeout(Duration::from_millis(100))
        .open_native()?;

    let setup = format!(
        "ATE0\rAT#FTPSERV=\"{}\"\rAT#FTPPORT={}\rAT#FTPUN=\"{}\"\rAT#FTPPW=\"{}\"\r\
         AT#FTPGETPATH=\"/\"\rAT#FTPGETFILENAME=\"big.bin\"\r",
        Testbed::HOST,
        bed.server().addr().port(),
        Testbed::USER,
        Testbed::PASSWORD
    );
    port.write_all(setup.as_bytes())?;
    let mut answers = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while answers.windows(6).filter(|w| w == b"\r\nOK\r\n").count() < 7 {
        match port.read(&mut buf) {
            Ok(n) => answers.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::TimedOut => {}
            Err(e) => return Err(e.into()),
        }
    }

    let start = Instant::now();
    port.write_all(b"AT#FTPGET\r")?;
    // The intermediate result line, then stuffed data up to its lone ETX, then the final result.
    const HEAD: &[u8] = b"\r\nOk_Info_DataBegin\r\n";
    let mut head = Vec::new();
    let mut unescaper = Unescaper::new();
    let mut payload = Vec::with_capacity(SIZE);
    let mut tail: Option<Vec<u8>> = None;
    while !tail.as_ref().is_some_and(|t| t.ends_with(b"\r\nOK\r\n")) {
        let mut input = match port.read(&mut buf) {
            Ok(n) => &buf[..n],
            Err(e) if e.kind() == ErrorKind::TimedOut => continue,
            Err(e) => return Err(e.into()),
        };
        if head.len() < HEAD.len() {
            let take = input.len().min(HEAD.len() - head.len());
            head.extend_from_slice(&input[..take]);
            input = &input[take..];
        }
        match &mut tail {
            Some(tail) => tail.extend_from_slice(input),
            None if !input.is_empty() => {
                let p = unescaper.unescape_to_vec(input, &mut payload)?;
                if p.end {
                    tail = Some(input[p.consumed..].to_vec());
                }
            }
            None => {}
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(head, HEAD);
    assert!(payload == file, "the payload differs from the file");
    println!(
        "16 MiB download through the emulator over a pty: {:.2} s, {:.1} MB/s",
        elapsed.as_secs_f64(),
        SIZE as f64 / elapsed.as_secs_f64() / 1e6
    );
    Ok(())
}
