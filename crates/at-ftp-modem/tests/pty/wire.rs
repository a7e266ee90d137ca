//! Each fault switch as the host's end of the pty sees it: exact bytes.

use std::time::{Duration, Instant};

use at_ftp_modem::{Chunking, Faults, Options, sample};
use at_ftp_proto::Escaper;
use serialport::{SerialPort, TTYPort};

use crate::host::{HOST, PASSWORD, Rig, USER, command, read_until, show};

/// The file every case downloads: both special bytes, and text around them.
const FILE: &[u8] = b"A\x03B\x10C";
/// `FILE` stuffed, with its terminator.
const STUFFED: &[u8] = b"A\x10\x03B\x10\x10C\x03";

/// Sets the parameters of a download of `name`, each answered by `ok`.
fn set_params(port: &mut TTYPort, rig: &Rig, name: &str, ok: &[u8]) {
    let port_no = rig.port();
    for line in [
        format!("AT#FTPSERV=\"{HOST}\""),
        format!("AT#FTPPORT={port_no}"),
        format!("AT#FTPUN=\"{USER}\""),
        format!("AT#FTPPW=\"{PASSWORD}\""),
        "AT#FTPGETPATH=\"/\"".to_owned(),
        format!("AT#FTPGETFILENAME=\"{name}\""),
    ] {
        let seen = command(port, &line, ok);
        assert!(seen.ends_with(ok), "{line}: {}", show(&seen));
    }
}

/// A rig with `faults`, `FILE` on its server and the parameters set; the host's port.
fn ready(faults: Faults, ok: &[u8]) -> (Rig, TTYPort) {
    let rig = Rig::new(Options { faults, ..Options::default() });
    rig.put_file("f.bin", FILE);
    let mut port = rig.open();
    set_params(&mut port, &rig, "f.bin", ok);
    (rig, port)
}

fn check(port: &mut TTYPort, line: &str, expected: &[u8]) {
    let end = &expected[expected.len().saturating_sub(6)..];
    let seen = command(port, line, end);
    assert_eq!(show(&seen), show(expected), "{line}");
}

#[test]
fn the_modem_as_shipped_echoes_and_answers_verbosely() {
    let (_rig, mut port) = ready(Faults::default(), b"\r\nOK\r\n");
    check(&mut port, "AT", b"AT\r\r\nOK\r\n");
    check(
        &mut port,
        "AT#FTPGET",
        &[b"AT#FTPGET\r\r\nOk_Info_DataBegin\r\n", STUFFED, b"\r\nOK\r\n"].concat(),
    );
    check(&mut port, "AT#NOSUCH", b"AT#NOSUCH\r\r\n#CME ERROR: 34817\r\n");
}

#[test]
fn echo_off() {
    let (_rig, mut port) = ready(Faults { echo_off: true, ..Faults::default() }, b"\r\nOK\r\n");
    check(&mut port, "AT", b"\r\nOK\r\n");
    check(&mut port, "AT#FTPGET", &[b"\r\nOk_Info_DataBegin\r\n", STUFFED, b"\r\nOK\r\n"].concat());
}

#[test]
fn numeric_result_codes() {
    let (_rig, mut port) = ready(Faults { numeric: true, ..Faults::default() }, b"\r0\r");
    check(&mut port, "AT", b"AT\r0\r");
    // V.250: `1025\r`, and the next byte is already payload.
    check(&mut port, "AT#FTPGET", &[b"AT#FTPGET\r1025\r", STUFFED, b"0\r"].concat());
}

#[test]
fn urcs_before_data_and_after_the_terminator() {
    let faults = Faults { urc_before_data: true, urc_after_data: true, ..Faults::default() };
    let (_rig, mut port) = ready(faults, b"\r\nOK\r\n");
    let expected =
        [b"AT#FTPGET\r\r\nRING\r\n\r\nOk_Info_DataBegin\r\n", STUFFED, b"\r\nRING\r\n\r\nOK\r\n"];
    check(&mut port, "AT#FTPGET", &expected.concat());
}

#[test]
fn nul_noise_before_every_response() {
    let (_rig, mut port) = ready(Faults { nul_noise: true, ..Faults::default() }, b"\r\nOK\r\n");
    check(&mut port, "AT", b"AT\r\0\0\r\nOK\r\n");
    let expected = [b"AT#FTPGET\r\0\0\r\nOk_Info_DataBegin\r\n", STUFFED, b"\0\0\r\nOK\r\n"];
    check(&mut port, "AT#FTPGET", &expected.concat());
}

#[test]
fn an_extra_etx_after_the_terminator() {
    let (_rig, mut port) = ready(Faults { extra_etx: true, ..Faults::default() }, b"\r\nOK\r\n");
    let expected = [b"AT#FTPGET\r\r\nOk_Info_DataBegin\r\n", STUFFED, b"\x03\r\nOK\r\n"];
    check(&mut port, "AT#FTPGET", &expected.concat());
}

#[test]
fn garbage_lines_before_final_results() {
    let faults = Faults { garbage_lines: true, ..Faults::default() };
    let (_rig, mut port) = ready(faults, b"\r\nOK\r\n");
    check(&mut port, "AT", b"AT\r\r\n~#garbage%\r\n\r\nOK\r\n");
}

#[test]
fn abort_after_n_bytes_ends_with_etx_and_37966() {
    let (_rig, mut port) =
        ready(Faults { abort_after: Some(2), ..Faults::default() }, b"\r\nOK\r\n");
    let expected =
        b"AT#FTPGET\r\r\nOk_Info_DataBegin\r\nA\x10\x03\x03\r\n#CME ERROR: 37966\r\n".as_slice();
    check(&mut port, "AT#FTPGET", expected);
}

#[test]
fn silence_after_n_bytes_sends_nothing_more() {
    let (_rig, mut port) =
        ready(Faults { silence_after: Some(2), ..Faults::default() }, b"\r\nOK\r\n");
    let expected = b"AT#FTPGET\r\r\nOk_Info_DataBegin\r\nA\x10\x03".as_slice();
    check(&mut port, "AT#FTPGET", expected);
    let after = read_until(&mut port, b"never", Duration::from_millis(500));
    assert_eq!(show(&after), "", "bytes after the silence point");
}

#[test]
fn chunked_writes_keep_every_byte_and_arrive_in_pieces() {
    let chunking = Chunking { seed: 9, max_chunk: 16, max_delay: Duration::from_millis(1) };
    let rig = Rig::new(Options { chunking: Some(chunking), ..Options::default() });
    let file = sample(4000, 5);
    rig.put_file("f.bin", &file);
    let mut port = rig.open();
    set_params(&mut port, &rig, "f.bin", b"\r\nOK\r\n");

    let mut stuffed = Vec::new();
    let mut escaper = Escaper::new();
    escaper.escape_to_vec(&file, &mut stuffed);
    escaper.finish_to_vec(&mut stuffed);
    let expected = [b"AT#FTPGET\r\r\nOk_Info_DataBegin\r\n", stuffed.as_slice(), b"\r\nOK\r\n"];
    let expected = expected.concat();

    std::io::Write::write_all(&mut port, b"AT#FTPGET\r").unwrap();
    let mut seen = Vec::new();
    let mut reads = 0;
    let mut buf = [0u8; 65536];
    let start = Instant::now();
    while !seen.ends_with(b"\r\nOK\r\n") && start.elapsed() < Duration::from_secs(20) {
        if let Ok(n) = std::io::Read::read(&mut port, &mut buf) {
            seen.extend_from_slice(&buf[..n]);
            reads += 1;
        }
    }
    assert!(seen == expected, "the chunked wire differs from the plain one");
    // Unchunked, these 4 kB arrive in one or two reads; pieces of at most 16 bytes with pauses
    // between them cannot all be coalesced.
    assert!(reads >= 20, "only {reads} reads");
}

#[test]
fn output_is_paced_to_the_baud_rate() {
    let rig = Rig::new(Options { baud: Some(38_400), ..Options::default() });
    let file = vec![b'x'; 4000];
    rig.put_file("f.bin", &file);
    let mut port = rig.open();
    set_params(&mut port, &rig, "f.bin", b"\r\nOK\r\n");
    let start = Instant::now();
    let seen = command(&mut port, "AT#FTPGET", b"\x03\r\nOK\r\n");
    // 4000 bytes at 3840 bytes per second cannot arrive in less than about a second; this is
    // a lower bound only, which a busy machine cannot break.
    let elapsed = start.elapsed();
    assert!(seen.ends_with(b"\x03\r\nOK\r\n"));
    assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
}

#[test]
fn basic_commands_link_and_read_back_answer_as_specified() {
    let (_rig, mut port) = ready(Faults::default(), b"\r\nOK\r\n");
    let ok = |line: &str| format!("{line}\r\r\nOK\r\n").into_bytes();
    for line in ["AT&D2", "AT&K0", "AT+CMEE=1", "AT#CONNECTIONSTOP"] {
        check(&mut port, line, &ok(line));
    }
    check(&mut port, "AT#VSTATE", b"AT#VSTATE\r\r\n#STATE: \"IDLE\"\r\n\r\nOK\r\n");
    let up = b"AT#CONNECTIONSTART\r\r\n10.64.3.17\r\n\r\nOk_Info_GprsActivation\r\n";
    check(&mut port, "AT#CONNECTIONSTART", up);
    check(&mut port, "AT#VSTATE", b"AT#VSTATE\r\r\n#STATE: \"CONNECTED\"\r\n\r\nOK\r\n");
    let again = b"AT#CONNECTIONSTART\r\r\n#CME ERROR: 35840\r\n";
    check(&mut port, "AT#CONNECTIONSTART", again);
    // Both read forms: S000457K's `?` and S000333D's bare name.
    let serv = format!("\r\n#FTPSERV: \"{HOST}\"\r\n\r\nOK\r\n");
    check(&mut port, "AT#FTPSERV?", format!("AT#FTPSERV?\r{serv}").as_bytes());
    check(&mut port, "AT#FTPSERV", format!("AT#FTPSERV\r{serv}").as_bytes());
    check(&mut port, "AT#FTPPORT=0", b"AT#FTPPORT=0\r\r\n#CME ERROR: 34882\r\n");
    check(&mut port, "HELLO", b"HELLO\r\r\nERROR\r\n");
    // V0, then E0, then ATZ back to the factory style (whose answer is already verbose).
    check(&mut port, "ATV0", b"ATV0\r0\r");
    check(&mut port, "ATE0", b"ATE0\r0\r");
    check(&mut port, "AT", b"0\r");
    check(&mut port, "ATZ", b"\r\nOK\r\n");
    check(&mut port, "AT", b"AT\r\r\nOK\r\n");
}

#[test]
fn the_emulator_runs_on_an_existing_device() {
    // A second pty pair stands in for a null-modem cable: the emulator opens one end by path,
    // the host talks on the other.
    let (mut host, device) = TTYPort::pair().unwrap();
    host.set_timeout(Duration::from_millis(20)).unwrap();
    let path = device.name().unwrap();
    let modem =
        at_ftp_modem::Emulator::on_device(path.as_ref(), 115_200, Options::default()).unwrap();
    assert_eq!(modem.path(), std::path::Path::new(&path));
    check(&mut host, "AT", b"AT\r\r\nOK\r\n");
    check(&mut host, "AT#VSTATE", b"AT#VSTATE\r\r\n#STATE: \"IDLE\"\r\n\r\nOK\r\n");
    modem.stop().unwrap();
    drop(device);
}

#[test]
fn fail_upload_after_n_bytes_ends_with_etx_and_37966_in_command_mode() {
    let faults = Faults { fail_upload_after: Some(4), ..Faults::default() };
    let (_rig, mut port) = ready(faults, b"\r\nOK\r\n");
    for line in ["AT#FTPPUTPATH=\"/\"", "AT#FTPPUTFILENAME=\"up.bin\""] {
        let seen = command(&mut port, line, b"\r\nOK\r\n");
        assert!(seen.ends_with(b"\r\nOK\r\n"), "{}", show(&seen));
    }
    check(&mut port, "AT#FTPPUT", b"AT#FTPPUT\r\r\nOk_Info_WaitingForData\r\n");
    // Six payload bytes; the modem takes four, then fails the upload, then reads the rest
    // (and the line after it) as commands.
    std::io::Write::write_all(&mut port, b"abcdef\rAT\r").unwrap();
    let seen = read_until(&mut port, b"AT\r\r\nOK\r\n", Duration::from_secs(10));
    assert_eq!(show(&seen), show(b"\x03\r\n#CME ERROR: 37966\r\nef\r\r\nERROR\r\nAT\r\r\nOK\r\n"));
}

#[test]
fn bytes_before_at_are_ignored_and_a_bare_at_is_answered() {
    let (_rig, mut port) = ready(Faults::default(), b"\r\nOK\r\n");
    check(&mut port, "AT", b"AT\r\r\nOK\r\n");
    // What a host's resynchronisation sends a modem in command mode.
    check(&mut port, "\x03\x03AT", b"\x03\x03AT\r\r\nOK\r\n");
    check(
        &mut port,
        "\0\x03junkAT#VSTATE",
        b"\0\x03junkAT#VSTATE\r\r\n#STATE: \"IDLE\"\r\n\r\nOK\r\n",
    );
}

#[test]
fn etx_etx_at_after_upload_data_ends_the_upload_once_then_the_probe_is_answered() {
    let (rig, mut port) = ready(Faults { echo_off: true, ..Faults::default() }, b"\r\nOK\r\n");
    for line in ["AT#FTPPUTPATH=\"/\"", "AT#FTPPUTFILENAME=\"up.bin\""] {
        let seen = command(&mut port, line, b"\r\nOK\r\n");
        assert!(seen.ends_with(b"\r\nOK\r\n"), "{}", show(&seen));
    }
    check(&mut port, "AT#FTPPUT", b"\r\nOk_Info_WaitingForData\r\n");
    std::io::Write::write_all(&mut port, b"da\x10\x03ta\x03\x03AT\r").unwrap();
    // The upload's ETX and result once the server has the file; then the probe's answer.
    let seen = read_until(&mut port, b"\x03\r\nOK\r\n\r\nOK\r\n", Duration::from_secs(10));
    assert_eq!(show(&seen), show(b"\x03\r\nOK\r\n\r\nOK\r\n"));
    let after = read_until(&mut port, b"never", Duration::from_millis(300));
    assert_eq!(show(&after), "", "a second answer");
    assert_eq!(rig.file("up.bin"), b"da\x03ta");
}

#[test]
fn the_host_is_ignored_during_a_download() {
    // Paced, so that the data phase lasts about a second.
    let rig = Rig::new(Options { baud: Some(38_400), ..Options::default() });
    rig.put_file("f.bin", &[b'x'; 4000]);
    let mut port = rig.open();
    set_params(&mut port, &rig, "f.bin", b"\r\nOK\r\n");
    std::io::Write::write_all(&mut port, b"AT#FTPGET\r").unwrap();
    let seen = read_until(&mut port, b"Ok_Info_DataBegin\r\n", Duration::from_secs(10));
    assert!(seen.ends_with(b"Ok_Info_DataBegin\r\n"), "{}", show(&seen));
    // A resynchronisation's bytes and a command, in the middle of the data.
    std::io::Write::write_all(&mut port, b"\x03\x03AT\rAT#FTPGETFILENAME=\"other\"\r").unwrap();
    let seen = read_until(&mut port, b"\x03\r\nOK\r\n", Duration::from_secs(20));
    assert_eq!(show(&seen), show(&[&[b'x'; 4000][..], b"\x03\r\nOK\r\n"].concat()));
    let after = read_until(&mut port, b"never", Duration::from_millis(300));
    assert_eq!(show(&after), "", "bytes of the data phase were answered after it");
    check(
        &mut port,
        "AT#FTPGETFILENAME?",
        b"AT#FTPGETFILENAME?\r\r\n#FTPGETFILENAME: \"f.bin\"\r\n\r\nOK\r\n",
    );
}
