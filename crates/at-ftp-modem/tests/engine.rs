//! The core's `Engine` against the emulated `Modem`, both sans-IO, joined in memory with
//! virtual time and an in-memory file store standing in for the FTP server: every byte between
//! them is the real protocol, checked end to end, and every action the engine asks for is
//! carried out as an adapter would (short reads and writes, a port busy half the time).
//!
//! The engines keep their default config where the test is end to end: a new engine
//! resynchronises the line before its first operation, and the emulator answers its probe.
//! Those whose transcript must start at the first command say `resync: false`.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::Ipv4Addr;

use at_ftp_modem::{DataPhase, Faults, Modem, code, sample};
use at_ftp_proto::{
    Config, DLE, Dialect, ETX, Engine, Error, LinkRequest, ModemError, Param, ProtocolError,
    Request, StartError, Timer, TransferType,
};
use common::{End, Line, Port, Run, Stop, Store, clean_resync, run};

fn request(file: &str) -> Request<'_> {
    Request::new("ftp.example.com", file).with_login("user", "hunter2").with_dir("/pub")
}

/// Runs the engine's operation to its end.
fn done(e: &mut Engine, line: &mut Line, source: &[u8], port: Port) -> Run {
    let seen = run(e, line, source, port, None, Stop::Done);
    // At most the LF of the final result's CR LF may be left: the modem is done.
    assert!(line.from_modem.iter().all(|&b| b == b'\n'), "Done before the modem finished");
    seen
}

fn get(e: &mut Engine, line: &mut Line, file: &str, port: Port) -> Run {
    e.start_get(line.now, &request(file)).unwrap();
    done(e, line, &[], port)
}

fn put(e: &mut Engine, line: &mut Line, file: &str, bytes: &[u8], port: Port) -> Run {
    e.start_put(line.now, &request(file)).unwrap();
    done(e, line, bytes, port)
}

fn cme(code: u32) -> Error {
    Error::Modem(ModemError::Cme(code))
}

/// Uploads `file` then downloads it back on one engine, in `port`'s reads.
fn round_trip(m: Modem, echo: bool, file: &[u8], port: Port) {
    let mut line = Line::new(m);
    let mut e = Engine::default();
    let up = put(&mut e, &mut line, "f.bin", file, port);
    assert_eq!(up.end(), &Ok(End::Transferred(file.len() as u64)));
    assert!(line.store["/pub/f.bin"] == file, "the server got another file");
    // The new engine's resynchronisation first, on a quiet line in command mode.
    let (resync, notices) = up.events.split_at(5);
    assert_eq!(resync, clean_resync(echo));
    assert_eq!(notices, ["ReadyForData"]);

    let down = get(&mut e, &mut line, "f.bin", port);
    assert_eq!(down.end(), &Ok(End::Transferred(file.len() as u64)));
    assert!(down.payload == file, "the download differs");
    assert_eq!(down.events, ["DataBegin"], "no resynchronisation of a clean line");
}

#[test]
fn files_of_every_awkward_shape_round_trip_in_every_style_and_read_size() {
    let files: [Vec<u8>; 7] = [
        vec![],
        vec![ETX],
        vec![DLE],
        [ETX, DLE].repeat(700),
        b"\r\nOK\r\n\x03\r\n#CME ERROR: 1\r\nAT#FTPGET\r".to_vec(),
        sample(100_000, 1),
        sample(1 << 20, 7),
    ];
    for (echo, verbose) in [(true, true), (false, true), (true, false), (false, false)] {
        for file in &files {
            for read in [1, 7, 4096, 1 << 16] {
                if (read == 1 && file.len() > 10_000) || (read == 7 && file.len() > 200_000) {
                    continue; // byte-level splits are covered by the small files
                }
                let mut m = Modem::default();
                m.set_style(echo, verbose);
                round_trip(m, echo, file, Port::reads(read));
            }
        }
    }
}

#[test]
fn a_port_that_takes_nothing_every_other_write_loses_no_byte() {
    for read in [1, 5, 4096] {
        let file = [&sample(5000, 3)[..], &[DLE, ETX, DLE]].concat();
        round_trip(Modem::default(), true, &file, Port { read, stalls: true });
    }
}

#[test]
fn the_link_comes_up_once_then_reports_already_up() {
    let mut line = Line::new(Modem::default());
    let mut e = Engine::default();
    let link = LinkRequest { apn: "internet", user: "", password: "" };
    e.start_link(line.now, &link).unwrap();
    let first = done(&mut e, &mut line, &[], Port::reads(16));
    assert_eq!(first.end(), &Ok(End::LinkUp(Some(Ipv4Addr::new(10, 64, 3, 17)))));
    e.start_link(line.now, &link).unwrap();
    let again = done(&mut e, &mut line, &[], Port::reads(64));
    assert_eq!(again.end(), &Ok(End::LinkUp(None)), "35840 is success");
}

#[test]
fn parameters_read_back_in_both_dialects() {
    let mut m = Modem::default();
    m.handle_input(b"AT#FTPSERV=\"files.example.org\"\r");
    m.take_output();
    let mut line = Line::new(m);
    let mut e = Engine::default();
    for dialect in [Dialect::Query, Dialect::Legacy] {
        for (param, value) in [(Param::Server, "files.example.org"), (Param::Port, "21")] {
            e.read_param(line.now, param, dialect).unwrap();
            let seen = done(&mut e, &mut line, &[], Port::reads(5));
            assert_eq!(seen.end(), &Ok(End::Param(param, value.into())), "{dialect:?}");
        }
    }
}

#[test]
fn a_missing_file_fails_before_data_and_the_next_transfer_works() {
    let mut line = Line::new(Modem::default());
    let mut e = Engine::default();
    let seen = get(&mut e, &mut line, "missing.bin", Port::reads(64));
    assert_eq!(seen.end(), &Err(cme(code::NOT_OPENED)));
    assert_eq!((seen.progress, seen.payload.len()), (0, 0));
    assert!(!e.is_line_lost(), "a failure answered by the modem leaves it in command mode");
    line.store.insert("/pub/f.bin".into(), b"here".to_vec());
    let seen = get(&mut e, &mut line, "f.bin", Port::reads(64));
    assert_eq!((seen.end(), seen.payload.as_slice()), (&Ok(End::Transferred(4)), &b"here"[..]));
}

#[test]
fn every_fault_switch_is_survived_or_reported() {
    let file = sample(50_000, 3);
    let faults = Faults {
        urc_before_data: true,
        urc_after_data: true,
        nul_noise: true,
        extra_etx: true,
        garbage_lines: true,
        ..Faults::default()
    };
    let mut line =
        Line::with(Modem::new(faults), Store::from([("/pub/f.bin".into(), file.clone())]));
    let mut e = Engine::default();
    let seen = get(&mut e, &mut line, "f.bin", Port::reads(333));
    assert_eq!(seen.end(), &Ok(End::Transferred(50_000)));
    assert!(seen.payload == file, "the download differs");
    assert_eq!(seen.unsolicited.iter().filter(|l| *l == "RING").count(), 2);
    assert!(seen.unsolicited.iter().all(|l| l == "RING" || l == "~#garbage%"), "{seen:?}");
}

#[test]
fn a_broken_data_connection_is_a_failure_with_the_bytes_so_far() {
    let file = sample(10_000, 5);
    let mut m = Modem::new(Faults { abort_after: Some(1234), ..Faults::default() });
    m.set_style(false, true);
    let mut line = Line::with(m, Store::from([("/pub/f.bin".into(), file.clone())]));
    let mut e = Engine::default();
    let seen = get(&mut e, &mut line, "f.bin", Port::reads(100));
    assert_eq!(seen.end(), &Err(cme(code::CLOSED_BY_PEER)));
    assert_eq!(seen.payload, file[..1234]);
    assert_eq!(seen.progress, 1234, "the byte count of a failure is the last progress");
}

#[test]
fn silence_mid_data_is_a_data_timeout_and_a_busy_engine_refuses_to_start() {
    let file = sample(1000, 4);
    let m = Modem::new(Faults { silence_after: Some(100), ..Faults::default() });
    let mut line = Line::with(m, Store::from([("/pub/f.bin".into(), file.clone())]));
    let mut e = Engine::default();
    e.start_get(line.now, &request("f.bin")).unwrap();
    assert_eq!(e.start_get(line.now, &request("f.bin")), Err(StartError::Busy));
    let seen = done(&mut e, &mut line, &[], Port::reads(4096));
    assert_eq!(seen.end(), &Err(Error::Timeout(Timer::Data)));
    assert_eq!((seen.payload.as_slice(), seen.progress), (&file[..100], 100));
    assert!(e.is_line_lost(), "a deadline leaves the line unknown");
    // The modem stays silent in its data phase: no probe is ever answered.
    let before = line.now;
    let seen = get(&mut e, &mut line, "f.bin", Port::reads(4096));
    assert_eq!(seen.end(), &Err(Error::Unsynchronised));
    assert!(seen.events.ends_with(&["Resync(Probed 3)".into()]), "{:?}", seen.events);
    assert!(line.now.duration_since(before).as_secs() < 60, "{:?}", line.now);
    assert!(!line.written.ends_with(b"AT#FTPSERV=\"ftp.example.com\"\r"), "nothing of it was sent");
}

#[test]
fn ascii_type_clears_bit_seven() {
    let store = Store::from([("/pub/f.txt".into(), vec![0x41, 0xC1, 0xFF, 0x83])]);
    let mut line = Line::with(Modem::default(), store);
    let mut e = Engine::default();
    let mut req = request("f.txt");
    req.kind = TransferType::Ascii;
    e.start_get(line.now, &req).unwrap();
    let seen = done(&mut e, &mut line, &[], Port::reads(64));
    // 0x83 becomes 0x03: it must arrive stuffed, not end the data early.
    assert_eq!(seen.payload, [0x41, 0x41, 0x7F, 0x03]);
}

#[test]
fn an_aborted_download_ends_only_once_the_modem_is_back_in_command_mode() {
    let file = sample(60_000, 2);
    let mut line = Line::with(Modem::default(), Store::from([("/pub/f.bin".into(), file.clone())]));
    let mut e = Engine::default();
    e.start_get(line.now, &request("f.bin")).unwrap();
    let seen = run(&mut e, &mut line, &[], Port::reads(512), Some(5000), Stop::Done);
    assert_eq!(seen.end(), &Err(Error::Aborted));
    assert_eq!(seen.after_abort, 0, "payload delivered after the abort");
    assert!(seen.payload.len() < file.len());
    assert_eq!(seen.payload, file[..seen.payload.len()]);
    // The modem sent the rest of the data and its result: the next command is answered.
    let again = get(&mut e, &mut line, "f.bin", Port::reads(4096));
    assert_eq!((again.end(), again.payload == file), (&Ok(End::Transferred(60_000)), true));
    assert_eq!(again.events, ["DataBegin"], "an abort the modem confirmed needs no resync");
}

#[test]
fn an_aborted_upload_sends_its_terminator_and_ends() {
    let file = sample(60_000, 3);
    let mut line = Line::new(Modem::default());
    let mut e = Engine::default();
    e.start_put(line.now, &request("f.bin")).unwrap();
    let seen = run(&mut e, &mut line, &file, Port::reads(512), Some(3000), Stop::Done);
    assert_eq!(seen.end(), &Err(Error::Aborted));
    // The server keeps what the engine had taken before the abort (the last piece of at most
    // 777 bytes may not have been written), a prefix of the file.
    let kept = &line.store["/pub/f.bin"];
    assert!(kept.len() > 3000 - 777 && kept.len() < file.len(), "{}", kept.len());
    assert_eq!(kept[..], file[..kept.len()]);
    e.read_param(line.now, Param::PutFileName, Dialect::Query).unwrap();
    let next = done(&mut e, &mut line, &[], Port::reads(64));
    assert_eq!(next.end(), &Ok(End::Param(Param::PutFileName, "f.bin".into())));
}

#[test]
fn a_modem_that_fails_an_upload_midway_is_heard_before_the_rest_is_sent() {
    // After 10 kB the modem is in command mode again; 16 KiB later, the file goes on with
    // lines that would be commands there. What is on its way when the modem fails reaches it
    // as commands (no host can recall it), but the engine hears the failure within one piece
    // of upload and one transmit buffer, well before the poisoned lines.
    let mut file = sample(10_000 + 16 * 1024, 9);
    for _ in 0..2000 {
        file.extend_from_slice(b"\rAT#FTPGETFILENAME=\"evil\"\r");
    }
    let m = Modem::new(Faults { fail_upload_after: Some(10_000), ..Faults::default() });
    let mut line = Line::new(m);
    let mut e = Engine::default();
    let seen = put(&mut e, &mut line, "f.bin", &file, Port::reads(4096));
    assert_eq!(seen.end(), &Err(cme(code::CLOSED_BY_PEER)));
    // The engine read the modem between pieces and stopped sending: the poisoned lines never
    // reached the modem.
    assert_eq!(line.modem.param("FTPGETFILENAME"), None);
    assert_eq!(line.store["/pub/f.bin"], file[..10_000]);
    // The line is quiet again and the modem in command mode: the next operation works.
    line.store.insert("/pub/g.bin".into(), b"next".to_vec());
    let next = get(&mut e, &mut line, "g.bin", Port::reads(4096));
    assert_eq!((next.end(), next.payload.as_slice()), (&Ok(End::Transferred(4)), &b"next"[..]));
}

#[test]
fn an_explicit_resync_proves_command_mode() {
    let mut line = Line::new(Modem::default());
    let mut e: Engine = Engine::new(Config { resync: false, ..Config::default() }).unwrap();
    assert!(!e.is_line_lost());
    e.resync(line.now).unwrap();
    let seen = done(&mut e, &mut line, &[], Port::reads(3));
    assert_eq!(seen.end(), &Ok(End::Resynced));
    assert_eq!(seen.events, clean_resync(true));
    // Bytes before `AT` are ignored by the modem: the first probe is answered `OK`.
    assert!(line.written.ends_with(b"\x03\x03AT\r"), "{}", line.written.escape_ascii());
}

#[test]
fn a_clean_line_without_resync_starts_with_the_first_command() {
    let mut line = Line::new(Modem::default());
    let mut e: Engine = Engine::new(Config { resync: false, ..Config::default() }).unwrap();
    let seen = put(&mut e, &mut line, "f.bin", b"data", Port::reads(64));
    assert_eq!(seen.end(), &Ok(End::Transferred(4)));
    assert_eq!(seen.events, ["ReadyForData"]);
    assert!(line.written.starts_with(b"AT#FTPSERV=\"ftp.example.com\"\r"));
}

/// A new engine (a new process) on the line a killed one left.
fn after_kill(line: &mut Line, file: &[u8]) {
    let mut e = Engine::default();
    let seen = put(&mut e, line, "f.bin", file, Port::reads(4096));
    assert_eq!(seen.end(), &Ok(End::Transferred(file.len() as u64)), "{:?}", seen.events);
    assert!(line.store["/pub/f.bin"] == file, "the server holds another file");
    line.store.insert("/pub/g.bin".into(), file.to_vec());
    let seen = get(&mut e, line, "g.bin", Port::reads(4096));
    assert_eq!(seen.end(), &Ok(End::Transferred(file.len() as u64)));
    assert!(seen.payload == file, "the download differs");
}

#[test]
fn a_host_killed_mid_upload_is_recovered_by_the_next_engine() {
    let file = sample(20_000, 12);
    for (echo, verbose) in [(true, true), (false, false)] {
        for kill_at in [0, 1, 777, 5000] {
            let mut m = Modem::default();
            m.set_style(echo, verbose);
            let mut line = Line::new(m);
            let mut e = Engine::default();
            e.start_put(line.now, &request("old.bin")).unwrap();
            let seen = run(&mut e, &mut line, &file, Port::reads(300), None, Stop::KillAt(kill_at));
            assert!(seen.end.is_none());
            // The host dies: its engine is never polled again.
            assert!(!line.modem.in_command_mode() || kill_at == 0);
            after_kill(&mut line, &file);
            // What the killed upload stored is a prefix of its file: the resynchronisation's
            // terminator ended it, and no command of the new engine reached it.
            let old = line.store.get("/pub/old.bin").map_or(&[][..], Vec::as_slice);
            assert!(file.starts_with(old), "{} bytes, not a prefix", old.len());
        }
    }
}

#[test]
fn a_dangling_dle_at_the_kill_costs_at_most_one_stray_byte() {
    let file = [DLE, ETX].repeat(50);
    let mut line = Line::new(Modem::default());
    let mut e = Engine::default();
    e.start_put(line.now, &request("old.bin")).unwrap();
    let seen = run(&mut e, &mut line, &file, Port::reads(7), None, Stop::KillOnDangling);
    assert!(seen.end.is_none());
    // The host dies: its engine is never polled again.
    after_kill(&mut line, &file);
    // The new engine's ETX ETX: the first completes the pair (a literal ETX), the second ends.
    let old = &line.store["/pub/old.bin"];
    let (&last, head) = old.split_last().expect("a pair was open");
    assert!(file.starts_with(head), "{}", old.escape_ascii());
    assert_eq!(last, ETX, "the stray byte");
}

#[test]
fn a_host_killed_mid_download_is_recovered_by_the_next_engine() {
    let file = sample(60_000, 13);
    for kill_at in [0, 1, 2048, 30_000] {
        let store = Store::from([("/pub/old.bin".into(), file.clone())]);
        let mut line = Line::with(Modem::default(), store);
        let mut e = Engine::default();
        e.start_get(line.now, &request("old.bin")).unwrap();
        let seen = run(&mut e, &mut line, &[], Port::reads(512), None, Stop::KillAt(kill_at));
        assert!(seen.end.is_none());
        // The host dies: its engine is never polled again.
        after_kill(&mut line, &file);
    }
}

#[test]
fn a_host_killed_mid_command_is_recovered_by_the_next_engine() {
    // Killed after a few bytes of a command line: the modem holds half a line.
    for written in [1, 5, 17, 40] {
        let mut line = Line::new(Modem::default());
        let mut e = Engine::default();
        e.start_get(line.now, &request("f.bin")).unwrap();
        while line.written.len() < written || line.written.ends_with(b"\r") {
            step(&mut e, &mut line);
        }
        // The host dies: its engine is never polled again.
        after_kill(&mut line, b"after a half command");
    }
}

/// One action of the engine, carried out with one-byte reads and writes.
fn step(e: &mut Engine, line: &mut Line) {
    use at_ftp_proto::Action;
    let now = line.now;
    match e.poll(now) {
        Action::Transmit(t) => {
            let b = t.bytes()[0];
            line.modem.handle_input(&[b]);
            line.written.push(b);
            e.transmitted(now, 1);
        }
        Action::Read { buf, deadline } => {
            line.from_modem.extend(line.modem.take_output());
            if line.from_modem.is_empty() {
                line.now = deadline;
                e.received(0);
            } else {
                buf[0] = line.from_modem.remove(0);
                e.received(1);
            }
        }
        Action::Peek(_) => e.received(0),
        Action::Upload(_) => e.uploaded(0),
        _ => {}
    }
}

#[test]
fn an_unexpected_data_phase_in_answer_to_a_command_fails_the_operation_only() {
    for phase in [DataPhase::Download, DataPhase::Upload] {
        for echo in [true, false] {
            let mut m = Modem::new(Faults { unexpected_data: Some(phase), ..Faults::default() });
            m.set_style(echo, true);
            let mut line = Line::new(m);
            // No resynchronisation: the first `OK` due is the first command's.
            let mut e: Engine = Engine::new(Config { resync: false, ..Config::default() }).unwrap();
            let seen = put(&mut e, &mut line, "f.bin", b"file", Port::reads(64));
            assert_eq!(seen.end(), &Err(Error::Protocol(ProtocolError::UnexpectedResult)));
            assert_eq!(seen.notices(), Vec::<&str>::new(), "nothing reported as data");
            assert!(line.modem.take_stray_upload().is_empty(), "a byte of ours in that phase");
            assert!(line.modem.in_command_mode());
            // The next operation on the same engine works.
            let seen = put(&mut e, &mut line, "f.bin", b"file", Port::reads(64));
            assert_eq!(seen.end(), &Ok(End::Transferred(4)), "{phase:?} echo {echo}");
            assert_eq!(line.store["/pub/f.bin"], b"file");
        }
    }
}

/// A new engine on a modem that answers the first probe with a data phase: the
/// resynchronisation must end that phase and prove command mode with a later probe.
fn survive_a_data_phase_in_answer_to_the_probe(phase: DataPhase) {
    for echo in [true, false] {
        let mut m = Modem::new(Faults { unexpected_data: Some(phase), ..Faults::default() });
        m.set_style(echo, true);
        let store = Store::from([("/pub/f.bin".into(), b"file".to_vec())]);
        let mut line = Line::with(m, store);
        let mut e = Engine::default();
        let seen = get(&mut e, &mut line, "f.bin", Port::reads(64));
        assert_eq!(seen.end(), &Ok(End::Transferred(4)), "{phase:?}: {:?}", seen.events);
        assert_eq!(seen.payload, b"file");
        let stray = line.modem.take_stray_upload();
        assert!(stray.is_empty(), "bytes of ours in that phase: {}", stray.escape_ascii());
    }
}

#[test]
fn an_unexpected_download_phase_in_answer_to_the_probe_is_survived() {
    survive_a_data_phase_in_answer_to_the_probe(DataPhase::Download);
}

#[test]
fn an_unexpected_upload_phase_in_answer_to_the_probe_is_survived() {
    survive_a_data_phase_in_answer_to_the_probe(DataPhase::Upload);
}

#[test]
fn duplicated_final_results_read_together_are_unsolicited() {
    let file = sample(3000, 21);
    let m = Modem::new(Faults { duplicate_results: u32::MAX, ..Faults::default() });
    let mut line = Line::with(m, Store::from([("/pub/f.bin".into(), file.clone())]));
    // A modem that always repeats itself cannot be resynchronised (a second `OK` to a probe
    // means the first may have answered something else): a clean line is assumed.
    let mut e: Engine = Engine::new(Config { resync: false, ..Config::default() }).unwrap();
    let seen = get(&mut e, &mut line, "f.bin", Port::reads(4096));
    assert_eq!(seen.end(), &Ok(End::Transferred(3000)), "{:?}", seen.events);
    assert!(seen.payload == file);
    assert!(seen.unsolicited.iter().all(|l| l == "OK"), "{:?}", seen.unsolicited);
    let seen = put(&mut e, &mut line, "up.bin", &file, Port::reads(4096));
    assert_eq!(seen.end(), &Ok(End::Transferred(3000)), "{:?}", seen.events);
    assert!(line.store["/pub/up.bin"] == file);
}

#[test]
fn a_duplicated_answer_to_the_probe_is_probed_again() {
    let m = Modem::new(Faults { duplicate_results: 1, ..Faults::default() });
    let mut line = Line::new(m);
    let mut e = Engine::default();
    e.resync(line.now).unwrap();
    let seen = done(&mut e, &mut line, &[], Port::reads(4096));
    assert_eq!(seen.end(), &Ok(End::Resynced));
    assert!(seen.events.contains(&"Resync(Probed 2)".to_owned()), "{:?}", seen.events);
    assert_eq!(seen.events.last().map(String::as_str), Some("Resync(InCommandMode)"));
}

/// Replays the modem's `replies` (each arriving whole, as a modem's answer does, when the
/// engine waits to read and the port is empty) in reads of at most `read` bytes, on a line
/// known clean; uploads `up\x03load\x10`. What the host saw, payload and sent bytes joined.
fn replay(put: bool, replies: &[&[u8]], read: usize) -> Vec<String> {
    use at_ftp_proto::{Action, Instant};
    let mut e: Engine = Engine::new(Config { resync: false, ..Config::default() }).unwrap();
    let mut now = Instant::ZERO;
    let req = request("f.bin");
    if put { e.start_put(now, &req) } else { e.start_get(now, &req) }.unwrap();
    let mut replies = replies.iter();
    let (mut port, mut seen, mut sent) = (Vec::new(), Vec::new(), Vec::new());
    let mut source: &[u8] = b"up\x03load\x10";
    for _ in 0..100_000 {
        match e.poll(now) {
            Action::Transmit(t) => {
                sent.extend_from_slice(t.bytes());
                let n = t.bytes().len();
                e.transmitted(now, n);
            }
            Action::Event(event) if !matches!(event, at_ftp_proto::Event::Progress(_)) => {
                if !sent.is_empty() {
                    seen.push(format!("sent {}", std::mem::take(&mut sent).escape_ascii()));
                }
                seen.push(format!("{event:?}"));
            }
            Action::Upload(buf) => {
                let n = source.len().min(buf.len());
                buf[..n].copy_from_slice(&source[..n]);
                source = &source[n..];
                e.uploaded(n);
            }
            Action::Peek(buf) | Action::Read { buf, .. } if !port.is_empty() => {
                let n = port.len().min(buf.len()).min(read);
                buf[..n].copy_from_slice(&port[..n]);
                port.drain(..n);
                e.received(n);
            }
            Action::Peek(_) => e.received(0),
            Action::Read { deadline, .. } => {
                match replies.next() {
                    Some(reply) => port.extend_from_slice(reply),
                    None => now = deadline,
                }
                e.received(0);
            }
            Action::Done(result) => {
                if !sent.is_empty() {
                    seen.push(format!("sent {}", std::mem::take(&mut sent).escape_ascii()));
                }
                seen.push(format!("done {result:?}"));
                return seen;
            }
            Action::Payload(_) | Action::Event(_) => {}
            Action::Idle => break,
        }
    }
    panic!("no end");
}

#[test]
fn an_upload_the_modem_ends_before_any_byte_is_written_ends_the_same_under_every_split() {
    // Found by the `transcript` fuzz target (numeric replies, an upload): the modem answers
    // `AT#FTPPUT` with `1028` and, in the same reply, its ETX and `4` (ERROR). Read whole, the
    // ETX is seen before the file is asked for: the upload ends at once. Read in pieces, the
    // engine takes a piece of the file, peeks, sees the ETX: nothing of the file was written,
    // so it must not wait for quiet nor send a CR as if stray bytes were on their way (it did,
    // counting bytes taken from the source as written).
    let mut replies: Vec<&[u8]> = vec![b"OK\r"; 7];
    replies.push(b"1028\r\x034\r");
    let whole = replay(true, &replies, usize::MAX);
    assert_eq!(whole.last().map(String::as_str), Some("done Err(Modem(Error))"));
    for read in 1..8 {
        assert_eq!(replay(true, &replies, read), whole, "reads of {read} bytes");
    }
}
