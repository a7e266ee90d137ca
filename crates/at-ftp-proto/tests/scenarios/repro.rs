//! The ten reproductions of the engine issue (seams of an operation's life), each a
//! transcript under every split of the modem's bytes, plus the resynchronisation they rely on.

use at_ftp_proto::{Config, ConfigError, Error, Field, Instant, Limits, ModemError, Param, ParamError, Problem, ProtocolError, Request, Resync, StartError, Timer};

use super::Engine;
use super::harness::*;

const V1: Style = Style { echo: false, numeric: false };

fn unexpected() -> Error {
    Error::Protocol(ProtocolError::UnexpectedResult)
}

/// A parameter read of `FTPPORT` answered 21, on a line already clean.
fn read_port() -> Vec<Item> {
    vec![
        Item::Start(Op::Read(Param::Port)),
        Item::Host(b"AT#FTPPORT?\r".to_vec()),
        Item::Modem(b"\r\n#FTPPORT: 21\r\n\r\nOK\r\n".to_vec()),
    ]
}

/// What a resynchronisation sends and waits for on a quiet modem in command mode; `etx` the
/// terminator(s) it sends first (none when only a download was suspected).
fn resync(etx: &[u8]) -> Vec<Item> {
    let mut items = vec![Item::Wait(500)];
    if !etx.is_empty() {
        items.push(Item::Host(etx.to_vec()));
        items.push(Item::Wait(500));
    }
    items.push(Item::Host(b"AT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOK\r\n".to_vec()));
    items.push(Item::Wait(500));
    items
}

fn resync_seen(drained: u64, ended_upload: bool) -> Vec<Seen> {
    let mut seen = vec![Seen::Resync(Resync::Drained { bytes: drained })];
    if ended_upload {
        seen.push(Seen::Resync(Resync::EndedUpload));
        seen.push(Seen::Resync(Resync::Drained { bytes: 0 }));
    }
    seen.push(Seen::Resync(Resync::Probed { count: 1 }));
    seen.push(Seen::Resync(Resync::InCommandMode));
    seen
}

/// Reproduction 1: a second data phase after the first one's terminator is drained to its
/// end as data (its `RING` and `OK` are file bytes), and the real final result ends the
/// operation, failed.
#[test]
fn a_second_data_phase_is_drained_as_data_never_read_as_lines() {
    let mut items = V1.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(
        b"\r\nOk_Info_DataBegin\r\nabc\x03\r\nOk_Info_DataBegin\r\nsecond\r\nRING\r\nOK\r\n\x03\r\nOK\r\n"
            .to_vec(),
    ));
    items.extend(read_port());
    let out = run_all_splits(get_session, &items);
    assert_eq!(
        out.events,
        [
            Seen::DataBegin,
            Seen::Failed(unexpected(), 3),
            Seen::ParamRead(Param::Port, b"21".to_vec())
        ]
    );
    assert_eq!(out.payload, b"abc", "the second phase is never delivered");
}

/// Reproduction 2: a line that came in the same read as a final result, before the next
/// operation's first command was written, is never that command's answer.
#[test]
fn a_line_after_a_final_result_is_not_the_next_commands_answer() {
    let mut items = vec![
        Item::Start(Op::Read(Param::Port)),
        Item::Host(b"AT#FTPPORT?\r".to_vec()),
        Item::Modem(b"\r\n#FTPPORT: 21\r\n\r\nOK\r\n\r\nOk_Info_GprsActivation\r\n".to_vec()),
        Item::Start(Op::Get),
    ];
    items.extend(V1.transfer_setup(false));
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(
        [&b"\r\nOk_Info_DataBegin\r\n"[..], &stuffed(b"xyz"), b"\r\nOK\r\n"].concat(),
    ));
    let out = run_all_splits(engine, &items);
    assert_eq!(
        out.events,
        [
            Seen::ParamRead(Param::Port, b"21".to_vec()),
            Seen::Unsolicited(b"Ok_Info_GprsActivation".to_vec()),
            Seen::DataBegin,
            Seen::Complete(3),
        ]
    );
    assert_eq!(out.payload, b"xyz");
}

/// Reproduction 3: a command handed out but never reported written (an async write dropped
/// before any byte left) is never sent after an abort; the line stays clean.
#[test]
fn an_abort_never_sends_a_command_of_which_no_byte_was_written() {
    let mut items = V1.transfer_setup(true);
    // The port stalls before the answer to `AT#FTPTYPE=I` lets `AT#FTPPUT` be handed out.
    items.insert(items.len() - 1, Item::Stall);
    items.push(Item::Abort);
    items.push(Item::Unstall);
    items.push(Item::Host(Vec::new()));
    items.extend(read_port());
    let mut e = put_session();
    let out = run(&mut e, &items, usize::MAX);
    assert_eq!(
        out.events,
        [Seen::Failed(Error::Aborted, 0), Seen::ParamRead(Param::Port, b"21".to_vec())]
    );
    assert!(!e.is_line_lost());
    assert_eq!(run_all_splits(put_session, &items), out);
}

/// Reproduction 4: `Ok_Info_WaitingForData` in answer to `AT#FTPGET`: the upload phase is
/// ended with a lone ETX before the failure is reported, and the next command is a command.
#[test]
fn an_upload_phase_nobody_asked_for_is_ended_with_a_lone_etx() {
    for verdict in [&b"\x03\r\nOK\r\n"[..], b"\x03\r\n#CME ERROR: 37966\r\n"] {
        let mut items = V1.transfer_setup(false);
        items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
        items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
        items.push(Item::Host(b"\x03".to_vec()));
        items.push(Item::Modem(verdict.to_vec()));
        items.extend(read_port());
        let out = run_all_splits(get_session, &items);
        assert_eq!(
            out.events,
            [Seen::Failed(unexpected(), 0), Seen::ParamRead(Param::Port, b"21".to_vec())],
            "{verdict:?}"
        );
        assert!(out.unchecked_host.is_empty());
    }
}

/// An upload command that was sent and not answered with its data phase (a stale `OK` in
/// its place, or nothing until its deadline), and an upload whose verdict never came, may
/// leave the modem waiting for data: even an engine told its line is clean ends that phase
/// with a lone ETX and proves command mode before its next command, which would otherwise
/// land in the remote file.
#[test]
fn an_upload_left_possibly_open_is_ended_even_without_resync() {
    let put_cmd = || {
        let mut items = V1.transfer_setup(true);
        items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
        items
    };
    let mut stale_ok = put_cmd();
    stale_ok.push(Item::Modem(b"\r\nOK\r\n".to_vec()));
    let mut no_answer = put_cmd();
    no_answer.push(Item::Wait(120_000));
    let mut no_verdict = put_cmd();
    no_verdict.extend([
        Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()),
        Item::Write(b"abc".to_vec()),
        Item::Host(b"abc".to_vec()),
        Item::Finish,
        Item::Host(b"\x03".to_vec()),
        Item::Wait(30_000),
    ]);
    let cases = [
        // The operation ends at the `OK`'s CR; its LF is drained.
        (stale_ok, vec![Seen::Failed(unexpected(), 0)], 1),
        (no_answer, vec![Seen::Failed(Error::Timeout(Timer::Start), 0)], 0),
        (no_verdict, vec![Seen::ReadyForData, Seen::Failed(Error::Timeout(Timer::Result), 3)], 0),
    ];
    for (mut items, mut expected, drained) in cases {
        items.extend(read_port().into_iter().take(1));
        items.extend(resync(b"\x03"));
        items.extend(read_port().into_iter().skip(1));
        let out = run_all_splits(put_session, &items);
        expected.extend(resync_seen(drained, true));
        expected.push(Seen::ParamRead(Param::Port, b"21".to_vec()));
        assert_eq!(out.events, expected);
        assert!(out.unchecked_host.is_empty());
    }
}

/// Reproduction 5: after a data timeout the line is not assumed in command mode: the next
/// operation drains the resumed file (leniently) through its terminator and result, proves
/// command mode with `AT`, and only then sends its command.
#[test]
fn after_a_data_timeout_the_next_operation_drains_and_probes_first() {
    let rest = b"\r\n#FTPPORT: 2121\r\nOK\r\nrest of file\x03\r\nOK\r\n";
    let mut items = V1.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\nabc".to_vec()));
    items.push(Item::Wait(60_000));
    items.push(Item::Start(Op::Read(Param::Port)));
    items.push(Item::Modem(rest.to_vec()));
    items.extend(resync(b""));
    items.extend(read_port().into_iter().skip(1));
    let make = || {
        let mut e: Engine = Engine::new(Config::default()).unwrap();
        e.start_get(Instant::ZERO, &request()).unwrap();
        e
    };
    // The first operation's own resynchronisation, on a new engine, is checked elsewhere:
    // here the line is made known by a first exchange.
    let mut first = resync(b"\x03\x03");
    first.extend(items);
    let out = run_all_splits(make, &first);
    let mut expected = resync_seen(0, true);
    expected.extend([Seen::DataBegin, Seen::Failed(Error::Timeout(Timer::Data), 3)]);
    expected.extend(resync_seen(rest.len() as u64, false));
    expected.push(Seen::ParamRead(Param::Port, b"21".to_vec()));
    assert_eq!(out.events, expected);
    assert_eq!(out.payload, b"abc", "nothing of the drained data is delivered");
}

/// Reproduction 6: a config that cannot work is refused with a typed error, and the [ours]
/// limits are configuration.
#[test]
fn configs_that_cannot_work_are_refused_and_limits_are_configurable() {
    let deaf = Config { max_line_len: 0, ..Config::default() };
    assert!(matches!(<Engine>::new(deaf), Err(ConfigError::LineLength { got: 0, .. })));
    for timer in Timer::ALL {
        let mut c = Config::default();
        match timer {
            Timer::Command => c.command_timeout = Default::default(),
            Timer::Link => c.link_timeout = Default::default(),
            Timer::Start => c.start_timeout = Default::default(),
            Timer::Data => c.data_timeout = Default::default(),
            Timer::Result => c.result_timeout = Default::default(),
            Timer::Write => c.write_timeout = Default::default(),
            Timer::Quiet => c.quiet_time = Default::default(),
            Timer::QuietCap => c.quiet_cap = Default::default(),
            Timer::Resync => c.resync_timeout = Default::default(),
            other => panic!("a timer this test does not know: {other:?}"),
        }
        assert_eq!(<Engine>::new(c).err(), Some(ConfigError::ZeroTimeout(timer)));
    }
    let short = Config {
        limits: Limits { path: 8, ..Limits::DEFAULT },
        resync: false,
        ..Config::default()
    };
    let mut e: Engine = Engine::new(short).unwrap();
    let req = Request::new("h", "nine.byte").with_login("u", "p").with_dir("/");
    assert_eq!(
        e.start_get(Instant::ZERO, &req),
        Err(StartError::Param(ParamError {
            field: Field::File,
            problem: Problem::TooLong { max: 8 }
        }))
    );
    let beyond =
        Config { limits: Limits { server: 10_000, ..Limits::DEFAULT }, ..Config::default() };
    assert!(matches!(<Engine>::new(beyond), Err(ConfigError::Limit { field: Field::Server, .. })));
}

/// Reproduction 7: `BUSY` and `NO ANSWER` in answer to a command are failures, at once.
#[test]
fn busy_and_no_answer_fail_the_command_at_once() {
    for (style, answer, error) in [
        (V1, &b"\r\nBUSY\r\n"[..], ModemError::Busy),
        (V1, b"\r\nNO ANSWER\r\n", ModemError::NoAnswer),
        (
            Style { echo: true, numeric: true },
            b"AT#FTPSERV=\"ftp.example.com\"\r7\r",
            ModemError::Busy,
        ),
    ] {
        let items = [
            Item::Host(b"AT#FTPSERV=\"ftp.example.com\"\r".to_vec()),
            Item::Modem(answer.to_vec()),
        ];
        let out = run_all_splits(get_session, &items);
        assert_eq!(out.events, [Seen::Failed(Error::Modem(error), 0)], "{style:?}");
        assert_eq!(out.now, 0, "no deadline was waited for");
    }
}

/// Reproduction 8: an upload's result deadline starts when its terminator is written, not
/// when it is queued.
#[test]
fn the_upload_result_deadline_starts_when_the_terminator_is_written() {
    let mut items = V1.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(b"abc".to_vec()));
    items.push(Item::Host(b"abc".to_vec()));
    items.push(Item::Stall);
    items.push(Item::Finish);
    items.push(Item::Wait(20_000)); // the terminator waits for a slow port
    items.push(Item::Unstall);
    items.push(Item::Host(b"\x03".to_vec()));
    items.push(Item::Wait(29_999));
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData], "30 s from the write, not from the queueing");
    items.push(Item::Wait(1));
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Failed(Error::Timeout(Timer::Result), 3)]);
}

/// Reproduction 9: a lone ETX from the modem in the middle of an upload ends it: not one
/// more byte of the file is sent after it is read, and the verdict that follows is reported.
#[test]
fn a_modem_etx_mid_upload_ends_it_and_no_more_payload_is_sent() {
    let big: Vec<u8> = (0..920_000u32).map(|i| b"AT#FTPGET\r"[(i % 10) as usize]).collect();
    let mut items = V1.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(b"part one".to_vec()));
    items.push(Item::Host(b"part one".to_vec()));
    items.push(Item::Modem(b"\x03".to_vec()));
    items.push(Item::Write(big));
    items.push(Item::Finish);
    items.push(Item::Wait(1_000));
    items.push(Item::Modem(b"\r\n#CME ERROR: 37966\r\n".to_vec()));
    // The quiet wait (bytes of ours went out before the cut), then a CR, then quiet again.
    items.push(Item::Wait(500));
    items.push(Item::Host(b"\r".to_vec()));
    items.push(Item::Wait(500));
    items.extend(read_port());
    let out = run_all_splits(put_session, &items);
    assert_eq!(
        out.events,
        [
            Seen::ReadyForData,
            // Progress counts what the port took: `part one`, not the piece read after it.
            Seen::Failed(Error::Modem(ModemError::Cme(37966)), 8),
            Seen::ParamRead(Param::Port, b"21".to_vec()),
        ]
    );
}

/// Reproduction 10: a modem that echoes the upload (it should not) whose payload ends with a
/// line `OK`, and that fails 1 s later: the verdict is the first result after the modem's
/// ETX, so no byte of our own payload is taken for it.
#[test]
fn no_echoed_payload_line_is_taken_for_the_verdict() {
    let payload = b"report\r\nOK\r\n";
    let mut items = V1.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(payload.to_vec()));
    items.push(Item::Finish);
    items.push(Item::Host(stuffed(payload)));
    items.push(Item::Modem(stuffed(payload))); // the echo, our terminator included
    items.push(Item::Wait(1_000));
    items.push(Item::Modem(b"\r\n#CME ERROR: 37966\r\n".to_vec()));
    items.push(Item::Wait(500));
    items.push(Item::Host(b"\r".to_vec()));
    items.push(Item::Wait(500));
    let out = run_all_splits(put_session, &items);
    assert_eq!(
        out.events,
        [Seen::ReadyForData, Seen::Failed(Error::Modem(ModemError::Cme(37966)), 12)]
    );
}

/// The bounded fallback of reproduction 10: a modem that sends no ETX at all, only `OK`, is
/// believed once the line stayed quiet.
#[test]
fn a_verdict_without_the_modems_etx_is_believed_after_quiet() {
    let mut items = V1.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(b"abc".to_vec()));
    items.push(Item::Finish);
    items.push(Item::Host(b"abc\x03".to_vec()));
    items.push(Item::Modem(b"\r\nOK\r\n".to_vec()));
    items.push(Item::Wait(499));
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData]);
    items.push(Item::Wait(1));
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Complete(3)]);
}

/// A new engine (a new process) does not trust the line: it drains, ends an upload the last
/// process may have left waiting (two ETX: the first may complete a dangling DLE), proves
/// command mode, and only then sends the first command.
#[test]
fn a_new_engine_resynchronises_before_its_first_command() {
    let make = || {
        let mut e: Engine = Engine::new(Config::default()).unwrap();
        e.start_get(Instant::ZERO, &request()).unwrap();
        e
    };
    // A modem still waiting for upload data from a killed process: the first ETX ends it.
    let mut items = vec![
        Item::Wait(500),
        Item::Host(b"\x03\x03".to_vec()),
        Item::Modem(b"\x03\r\nOK\r\n".to_vec()),
        Item::Wait(500),
        Item::Host(b"AT\r".to_vec()),
        Item::Modem(b"AT\r\r\nOK\r\n".to_vec()),
        Item::Wait(500),
    ];
    items.extend(V1.transfer_setup(false));
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(
        [&b"\r\nOk_Info_DataBegin\r\n"[..], &stuffed(b"f"), b"\r\nOK\r\n"].concat(),
    ));
    let out = run_all_splits(make, &items);
    let mut expected = vec![
        Seen::Resync(Resync::Drained { bytes: 0 }),
        Seen::Resync(Resync::EndedUpload),
        Seen::Resync(Resync::Drained { bytes: 7 }),
        Seen::Resync(Resync::Probed { count: 1 }),
        Seen::Resync(Resync::InCommandMode),
    ];
    expected.extend([Seen::DataBegin, Seen::Complete(1)]);
    assert_eq!(out.events, expected);
}

/// A new engine after a process killed mid-download: the modem went quiet for a moment (a
/// stall of the FTP server), so the drain ended and the probe was sent, then the download
/// resumed and streams for much longer than the probes' deadlines. A modem in data mode
/// ignores `AT`: a probe unanswered while more than a line's worth of bytes kept arriving is
/// no failed probe, the stream is drained as a download to its terminator and result, and
/// only then is command mode proven. The same when the stream never paused: a drain whose
/// cap passes while data still flows is a download too, drained to its end.
#[test]
fn a_download_still_streaming_after_a_kill_is_drained_to_its_end() {
    let make = || {
        let mut e: Engine = Engine::new(Config::default()).unwrap();
        e.start_get(Instant::ZERO, &request()).unwrap();
        e
    };
    // 40 s of data: 100 pieces of 600 bytes (lines of 60), 400 ms apart.
    let piece: Vec<u8> =
        (0..600u32).map(|i| if i % 60 == 59 { b'\n' } else { b'a' + (i % 26) as u8 }).collect();
    let stream = |items: &mut Vec<Item>| {
        for _ in 0..100 {
            items.push(Item::Modem(piece.clone()));
            items.push(Item::Wait(400));
        }
        items.push(Item::Modem(b"\x03\r\nOK\r\n".to_vec()));
        items.push(Item::Wait(500));
    };
    let tail = |items: &mut Vec<Item>| {
        items.push(Item::Host(b"AT\r".to_vec()));
        items.push(Item::Modem(b"\r\nOK\r\n".to_vec()));
        items.push(Item::Wait(500));
        items.extend(V1.transfer_setup(false));
        items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
        items.push(Item::Modem(
            [&b"\r\nOk_Info_DataBegin\r\n"[..], &stuffed(b"f"), b"\r\nOK\r\n"].concat(),
        ));
    };
    // A pause, then the stream, which starts after the probe was written.
    let mut paused = vec![Item::Wait(500), Item::Host(b"\x03\x03".to_vec()), Item::Wait(500)];
    paused.push(Item::Host(b"AT\r".to_vec()));
    stream(&mut paused);
    tail(&mut paused);
    // No pause: the stream is there from the start.
    let mut streaming = Vec::new();
    stream(&mut streaming);
    tail(&mut streaming);
    for (name, items) in [("paused", paused), ("streaming", streaming)] {
        let out = run(&mut make(), &items, 64);
        assert_eq!(out.events.last(), Some(&Seen::Complete(1)), "{name}: {:?}", out.events);
        assert!(
            out.events.contains(&Seen::Resync(Resync::InCommandMode)),
            "{name}: {:?}",
            out.events
        );
        assert_eq!(out.payload, b"f", "{name}: nothing of the drained download is delivered");
    }
}

/// A probe answered `ERROR` (a half command left in the modem) is sent again; a modem that
/// never answers `OK` fails the operation with `Unsynchronised` before any command is sent.
#[test]
fn a_resynchronisation_probes_again_and_gives_up() {
    let make = || {
        let mut e: Engine = Engine::new(Config::default()).unwrap();
        e.read_param(Instant::ZERO, Param::Port, at_ftp_proto::Dialect::Query).unwrap();
        e
    };
    let mut items = vec![
        Item::Wait(500),
        Item::Host(b"\x03\x03".to_vec()),
        Item::Wait(500),
        Item::Host(b"AT\r".to_vec()),
        Item::Modem(b"\r\nERROR\r\n".to_vec()),
    ];
    items.extend(resync(b"").into_iter().skip(1));
    items.extend(read_port().into_iter().skip(1));
    let out = run_all_splits(make, &items);
    assert_eq!(out.events.last(), Some(&Seen::ParamRead(Param::Port, b"21".to_vec())));
    assert!(out.events.contains(&Seen::Resync(Resync::Probed { count: 2 })));

    let silent = [
        Item::Wait(500),
        Item::Host(b"\x03\x03".to_vec()),
        Item::Wait(500),
        Item::Host(b"AT\r".to_vec()),
        Item::Wait(5_000),
        Item::Host(b"AT\r".to_vec()),
        Item::Wait(5_000),
        Item::Host(b"AT\r".to_vec()),
        Item::Wait(5_000),
    ];
    let out = run_all_splits(make, &silent);
    assert_eq!(out.events.last(), Some(&Seen::Failed(Error::Unsynchronised, 0)));
    assert!(out.unchecked_host.is_empty(), "no command after a failed resynchronisation");
}

/// A download that a killed process started begins while the new engine drains: its data is
/// drained as data to its terminator (however its lines read), and no terminator of ours is
/// sent (the modem is not waiting for upload data).
#[test]
fn a_download_starting_during_the_drain_is_drained_as_data() {
    let make = || {
        let mut e: Engine = Engine::new(Config::default()).unwrap();
        e.read_param(Instant::ZERO, Param::Port, at_ftp_proto::Dialect::Query).unwrap();
        e
    };
    let file = tricky_payload(5_000);
    let download = [&b"\r\nOk_Info_DataBegin\r\n"[..], &stuffed(&file), b"\r\nOK\r\n"].concat();
    let mut items = vec![
        // The end of something earlier: a lone ETX and a result, then the download.
        Item::Modem(b"\x03\r\nOK\r\n".to_vec()),
        Item::Wait(300),
        Item::Modem(download.clone()),
        Item::Wait(500),
        Item::Host(b"AT\r".to_vec()),
        Item::Modem(b"\r\nOK\r\n".to_vec()),
        Item::Wait(500),
    ];
    items.extend(read_port().into_iter().skip(1));
    let out = run_all_splits(make, &items);
    assert_eq!(
        out.events,
        [
            Seen::Resync(Resync::Drained { bytes: 7 + download.len() as u64 }),
            Seen::Resync(Resync::Probed { count: 1 }),
            Seen::Resync(Resync::InCommandMode),
            Seen::ParamRead(Param::Port, b"21".to_vec()),
        ]
    );
    assert!(out.payload.is_empty());
}

/// A port that never falls silent (one NUL per read, forever) cannot stall an operation: the
/// peeks before a command end with the command's deadline, and the peeks between reading and
/// sending an upload piece are bounded, so the piece goes out.
#[test]
fn a_port_that_never_falls_silent_does_not_stall_the_engine() {
    use at_ftp_proto::{Action, Dialect};
    use std::time::Duration;

    let mut e = engine();
    let mut now = Instant::ZERO;
    e.read_param(now, Param::Server, Dialect::Query).unwrap();
    let mut result = None;
    for _ in 0..100_000 {
        match e.poll(now) {
            Action::Peek(buf) | Action::Read { buf, .. } => {
                buf[0] = 0;
                e.received(1);
            }
            Action::Transmit(t) => {
                let n = t.bytes().len();
                e.transmitted(now, n);
            }
            Action::Done(r) => {
                result = Some(r.map(|_| ()));
                break;
            }
            _ => {}
        }
        now = now + Duration::from_millis(1);
    }
    assert_eq!(result, Some(Err(Error::Timeout(Timer::Command))));

    // A resynchronisation on such a line (taken for a download still streaming, which
    // cannot be stopped, only drained) ends at the deadline of that drain.
    let mut e: Engine = Engine::new(Config::default()).unwrap();
    let mut now = Instant::ZERO;
    e.start_get(now, &request()).unwrap();
    let mut result = None;
    for _ in 0..1_000_000 {
        match e.poll(now) {
            Action::Peek(buf) | Action::Read { buf, .. } => {
                let n = buf.len().min(10);
                buf[..n].fill(0);
                e.received(n);
                now = now + Duration::from_millis(10);
            }
            Action::Transmit(t) => {
                let n = t.bytes().len();
                e.transmitted(now, n);
            }
            Action::Done(r) => {
                result = Some((r.map(|_| ()), now));
                break;
            }
            _ => {}
        }
    }
    let (result, at) = result.expect("the resynchronisation ended");
    assert_eq!(result, Err(Error::Timeout(Timer::Resync)));
    // Taken for a download once busy for the whole quiet cap; drained from then on.
    let c = Config::default();
    assert_eq!(at, Instant::ZERO + c.quiet_cap + c.resync_timeout);

    // An upload on a line that talks while the data flows still sends its pieces.
    let mut items = V1.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Modem(vec![0; 64]));
    items.push(Item::Write(b"abc".to_vec()));
    items.push(Item::Host(b"abc".to_vec()));
    let out = run(&mut put_session(), &items, 1);
    assert_eq!(out.events, [Seen::ReadyForData]);
}

/// An upload data phase announced before the next command is written (the modem left
/// command mode by itself): the engine ends it with one ETX and proves command mode before
/// its first command, the same under every split (found by the transcript fuzz target: the
/// drained count once included the line that started the drain).
#[test]
fn a_data_phase_seen_before_a_command_is_ended_first() {
    let mut items = vec![
        Item::Start(Op::Read(Param::Port)),
        Item::Host(b"AT#FTPPORT?\r".to_vec()),
        Item::Modem(b"\r\n#FTPPORT: 21\r\n\r\nOK\r\n\r\nOk_Info_WaitingForData\r\n".to_vec()),
        Item::Start(Op::Get),
        Item::Wait(500),
        Item::Host(b"\x03".to_vec()),
        Item::Modem(b"\x03\r\nOK\r\n".to_vec()),
    ];
    items.extend(resync(b""));
    items.extend(V1.transfer_setup(false).into_iter().take(2));
    let out = run_all_splits(engine, &items);
    assert_eq!(
        out.events,
        [
            Seen::ParamRead(Param::Port, b"21".to_vec()),
            // The LF of the line that started the drain.
            Seen::Resync(Resync::Drained { bytes: 1 }),
            Seen::Resync(Resync::EndedUpload),
            Seen::Resync(Resync::Drained { bytes: 7 }),
            Seen::Resync(Resync::Probed { count: 1 }),
            Seen::Resync(Resync::InCommandMode),
        ]
    );
}

/// An undefined pair whose DLE ended the previous read: the rest of the data is drained at
/// once, through its terminator and result, not left waiting for more input (found by the
/// transcript fuzz target).
#[test]
fn a_bad_pair_split_across_reads_does_not_stall_the_drain() {
    let mut items = V1.transfer_setup(false);
    items.push(Item::Host(b"AT#FTPGET\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_DataBegin\r\nab\x10".to_vec()));
    // The line after the terminator, then silence: the data phase is over, so the line is
    // read as a line (an URC) and the deadline is the result's, not the data's.
    items.push(Item::Modem(b"s\x10\x03\x03\r\nRING\r\n".to_vec()));
    items.push(Item::Wait(30_000));
    let out = run(&mut get_session(), &items, usize::MAX);
    let bad = Error::Protocol(ProtocolError::InvalidEscape { offset: 2, byte: b's' });
    assert_eq!(
        out.events,
        [Seen::DataBegin, Seen::Unsolicited(b"RING".to_vec()), Seen::Failed(bad, 2)]
    );
    assert_eq!(out.payload, b"ab");
}

/// The engine's size: its buffers and under 1 KiB of state (the config, the timer table, the
/// phase, the script's index; on a 64-bit host). The small preset stays under 2.5 KiB.
#[test]
fn engine_size_is_its_buffers_and_little_more() {
    use at_ftp_proto::{INPUT_BUFFER, Limits, MAX_LINE, PAYLOAD_CHUNK, SCRIPT_ROOM, SmallEngine};
    use at_ftp_proto::Engine;
    let (std, small) = (core::mem::size_of::<Engine>(), core::mem::size_of::<SmallEngine>());
    println!("size_of::<Engine>() = {std}, size_of::<SmallEngine>() = {small}");
    let buffers = 2 * INPUT_BUFFER + PAYLOAD_CHUNK + MAX_LINE + SCRIPT_ROOM;
    assert!(std < buffers + 1024, "{std} for {buffers} of buffers");
    let buffers = 4 * 256 + Limits::DEFAULT.script_len();
    assert!(small < buffers + 1024, "{small} for {buffers} of buffers");
    assert!(small <= 2560, "{small}");
}
