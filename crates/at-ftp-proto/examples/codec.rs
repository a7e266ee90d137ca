//! The codec on its own: stuff a sample file the way an upload does, then decode the wire bytes
//! as they would arrive from a serial port, in reads of uneven sizes, and check the round trip.
//!
//! `cargo run --release -p at-ftp-proto --example codec`

#![allow(clippy::print_stdout)] // an example reports to its user

use at_ftp_proto::{Escaper, InvalidEscape, Unescaper, max_escaped_len};

fn main() -> Result<(), InvalidEscape> {
    // A sample "file": text, binary, and the two bytes the stuffing must protect.
    let mut file = b"Hello modem\r\n".to_vec();
    file.extend((0..=255u8).cycle().take(4096));
    file.extend_from_slice(&[0x03, 0x10, 0x10, 0x03]);

    // Encode with a deliberately small output buffer, as a serial writer would.
    let mut enc = Escaper::new();
    let mut wire = Vec::with_capacity(max_escaped_len(file.len()));
    let mut out = [0u8; 61];
    let mut input = &file[..];
    while !input.is_empty() {
        let p = enc.escape(input, &mut out);
        wire.extend_from_slice(&out[..p.written]);
        input = &input[p.consumed..];
    }
    while !enc.finish_to_vec(&mut wire).end {}
    // What follows the data on the line: the modem's final result.
    wire.extend_from_slice(b"\r\nOK\r\n");

    // Decode in reads of 1, 2, 3, ... 97 bytes, wrapping around.
    let mut dec = Unescaper::new();
    let mut payload = Vec::new();
    let mut pos = 0;
    let mut reads = 0;
    let rest = loop {
        let len = 1 + reads % 97;
        let read = &wire[pos..wire.len().min(pos + len)];
        reads += 1;
        let p = dec.unescape_to_vec(read, &mut payload)?;
        pos += p.consumed;
        if p.end {
            break &wire[pos..];
        }
    };

    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ");
    let tail = &wire[wire.len() - 14..];
    println!("file:     {} bytes", file.len());
    println!("wire:     {} bytes ({} escapes + terminator)", pos, pos - file.len() - 1);
    println!("          ... {}", hex(tail));
    println!("decoded:  {} bytes in {reads} reads", payload.len());
    println!("after it: {:?}", String::from_utf8_lossy(rest));
    if payload == file {
        println!("round trip: identical");
        Ok(())
    } else {
        eprintln!("round trip: MISMATCH");
        std::process::exit(1);
    }
}
