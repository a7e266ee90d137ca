//! Downloads and uploads through the pty and the real FTP server, byte for byte.

use at_ftp_modem::{Faults, Options, sample};
use std::time::Duration;

use at_ftp_proto::{Config, DLE, ETX, Engine, TransferType};

use crate::host::{Rig, drive, drive_until, get, now, put};

/// Every awkward shape of file below a mebibyte: empty, one special byte, only special bytes,
/// specials at both ends, something that looks like a result line.
fn small_files() -> Vec<(&'static str, Vec<u8>)> {
    let specials: Vec<u8> = (0..5000).map(|i| if i % 3 == 0 { ETX } else { DLE }).collect();
    vec![
        ("empty.bin", Vec::new()),
        ("etx.bin", vec![ETX]),
        ("dle.bin", vec![DLE]),
        ("specials.bin", specials),
        ("edges.bin", [&[DLE, ETX][..], b"middle\r\nOK\r\n", &[ETX, DLE, DLE]].concat()),
        ("mib.bin", sample(1 << 20, 7)),
    ]
}

#[test]
fn downloads_arrive_byte_for_byte() {
    let rig = Rig::new(Options::default());
    for (name, bytes) in small_files() {
        rig.put_file(name, &bytes);
        let seen = get(&rig, name);
        assert_eq!(seen.end, Ok(bytes.len() as u64), "{name}");
        assert!(seen.payload == bytes, "{name}: the payload differs");
    }
}

#[test]
fn uploads_arrive_byte_for_byte() {
    let rig = Rig::new(Options::default());
    for (name, bytes) in small_files() {
        let seen = put(&rig, name, &bytes);
        assert_eq!(seen.end, Ok(bytes.len() as u64), "{name}");
        assert!(rig.file(name) == bytes, "{name}: the stored file differs");
    }
}

#[test]
fn sixteen_mebibytes_go_both_ways() {
    let rig = Rig::new(Options::default());
    let bytes = sample(16 << 20, 16);
    let seen = put(&rig, "big.bin", &bytes);
    assert_eq!(seen.end, Ok(bytes.len() as u64));
    assert!(rig.file("big.bin") == bytes, "the stored file differs");
    let seen = get(&rig, "big.bin");
    assert_eq!(seen.end, Ok(bytes.len() as u64));
    assert!(seen.payload == bytes, "the downloaded file differs");
}

#[test]
fn transfers_survive_every_quirk_switched_on_at_once() {
    let faults = Faults {
        echo_off: true,
        numeric: true,
        urc_before_data: true,
        urc_after_data: true,
        nul_noise: true,
        extra_etx: true,
        garbage_lines: true,
        ..Faults::default()
    };
    let chunking = at_ftp_modem::Chunking {
        seed: 42,
        max_chunk: 700,
        max_delay: std::time::Duration::from_micros(300),
    };
    let rig = Rig::new(Options { faults, chunking: Some(chunking), ..Options::default() });
    let bytes = sample(200_000, 3);
    let seen = put(&rig, "quirks.bin", &bytes);
    assert_eq!(seen.end, Ok(bytes.len() as u64));
    assert!(rig.file("quirks.bin") == bytes);
    let seen = get(&rig, "quirks.bin");
    assert_eq!(seen.end, Ok(bytes.len() as u64));
    assert!(seen.payload == bytes);
    assert!(seen.unsolicited.iter().any(|l| l == "RING"), "{:?}", seen.unsolicited);
}

#[test]
fn ascii_type_clears_bit_seven_both_ways() {
    let rig = Rig::new(Options::default());
    // No line ends: ASCII type on the FTP side may rewrite those, the modem's rule is bit 7.
    let bytes: Vec<u8> = (0u8..=255).filter(|&b| b != b'\r' && b != b'\n').collect();
    let cleared: Vec<u8> = bytes.iter().map(|b| b & 0x7f).collect();
    rig.put_file("high.bin", &bytes);

    let mut port = rig.open();
    let mut engine = Engine::default();
    let mut req = rig.request("high.bin");
    req.kind = TransferType::Ascii;
    engine.start_get(now(), &req).unwrap();
    let seen = drive(&mut port, &mut engine, &[]);
    assert_eq!(seen.end, Ok(bytes.len() as u64));
    assert_eq!(seen.payload, cleared);

    let mut req = rig.request("high-up.bin");
    req.kind = TransferType::Ascii;
    engine.start_put(now(), &req).unwrap();
    let seen = drive(&mut port, &mut engine, &bytes);
    assert_eq!(seen.end, Ok(bytes.len() as u64));
    assert_eq!(rig.file("high-up.bin"), cleared);
}

#[test]
fn a_host_killed_mid_upload_is_recovered_by_the_next_process() {
    let rig = Rig::new(Options::default());
    let bytes = sample(1 << 20, 21);
    let mut port = rig.open();
    let mut engine = Engine::default();
    engine.start_put(now(), &rig.request("killed.bin")).unwrap();
    assert!(drive_until(&mut port, &mut engine, &bytes, Some(200_000)).is_none());
    drop((engine, port));
    // A new process: its engine ends the upload the modem still waits in, then works.
    let seen = put(&rig, "next.bin", &bytes);
    assert_eq!(seen.end, Ok(bytes.len() as u64));
    assert!(rig.file("next.bin") == bytes, "the stored file differs");
    let killed = rig.file("killed.bin");
    assert!(killed.len() >= 100_000 && bytes.starts_with(&killed), "{} bytes", killed.len());
}

#[test]
fn a_host_killed_mid_download_is_recovered_by_the_next_process() {
    let rig = Rig::new(Options::default());
    let bytes = sample(4 << 20, 22);
    rig.put_file("big.bin", &bytes);
    let mut port = rig.open();
    let mut engine = Engine::default();
    engine.start_get(now(), &rig.request("big.bin")).unwrap();
    assert!(drive_until(&mut port, &mut engine, &[], Some(100_000)).is_none());
    drop((engine, port));
    // The rest of the data is still coming: the next engine drains it, then downloads.
    let seen = get(&rig, "big.bin");
    assert_eq!(seen.end, Ok(bytes.len() as u64));
    assert!(seen.payload == bytes, "the downloaded file differs");
}

/// The same on a line paced like a real one (230,400 baud, streaming), with a next process
/// whose quiet waits are capped at 2 s and whose probes wait 1 s: the rest of the killed
/// download (about 10 s of it) outlasts the cap and every probe together. A line busy for
/// the whole cap is a download streaming, which cannot be stopped: it is drained to its end,
/// then command mode is proven (before, the cap ended the drain, the probes went unanswered
/// into the data, and the resync gave up).
#[test]
fn a_download_killed_on_a_paced_line_is_drained_past_the_cap_and_the_probes() {
    let rig = Rig::new(Options { baud: Some(230_400), ..Options::default() });
    let bytes = sample(260_000, 23);
    rig.put_file("big.bin", &bytes);
    rig.put_file("small.bin", b"small");
    let mut port = rig.open();
    let mut engine = Engine::default();
    engine.start_get(now(), &rig.request("big.bin")).unwrap();
    assert!(drive_until(&mut port, &mut engine, &[], Some(30_000)).is_none());
    drop((engine, port));
    let config = Config {
        quiet_cap: Duration::from_secs(2),
        command_timeout: Duration::from_secs(1),
        ..Config::default()
    };
    let mut port = rig.open();
    let mut engine: Engine = Engine::new(config).unwrap();
    engine.start_get(now(), &rig.request("small.bin")).unwrap();
    let seen = drive(&mut port, &mut engine, &[]);
    assert_eq!(seen.end, Ok(5));
    assert_eq!(seen.payload, b"small");
}
