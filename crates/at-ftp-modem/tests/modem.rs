//! The sans-IO `Modem` alone: the exact bytes it answers, in particular to what a host's
//! resynchronisation sends it (V.250: bytes before `AT` are ignored; a lone ETX ends an upload;
//! a download's data phase ignores the host), and its fault switches.

use at_ftp_modem::{DataPhase, Faults, MAX_COMMAND, Modem, STRAY_DATA, code};
use at_ftp_proto::{DLE, ETX, Escaper};

fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// A modem in `echo` style, verbose.
fn modem(echo: bool) -> Modem {
    let mut m = Modem::default();
    m.set_style(echo, true);
    m
}

/// The modem's answer to `input`.
fn answer(m: &mut Modem, input: &[u8]) -> String {
    m.handle_input(input);
    show(&m.take_output())
}

/// `payload` stuffed and terminated.
fn stuffed(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = Escaper::new();
    e.escape_to_vec(payload, &mut out);
    e.finish_to_vec(&mut out);
    out
}

/// A modem in upload data mode (`AT#FTPPUT` answered), its output taken.
fn uploading(echo: bool) -> Modem {
    let mut m = modem(echo);
    m.handle_input(b"AT#FTPPUT\r");
    let job = m.poll_job().expect("a job");
    assert!(job.put);
    m.ready_for_data();
    let out = m.take_output();
    assert!(out.ends_with(b"\r\nOk_Info_WaitingForData\r\n"), "{}", show(&out));
    m
}

#[test]
fn unknown_and_malformed_commands_get_their_codes() {
    let mut m = modem(false);
    m.handle_input(b"AT#FROB\rAT#FTPPORT=0\rAT#FTPSERV=unquoted\rATX9\rAT\r");
    let out = String::from_utf8(m.take_output()).expect("text");
    assert_eq!(
        out,
        "\r\n#CME ERROR: 34817\r\n\r\n#CME ERROR: 34882\r\n\r\n#CME ERROR: 34882\r\n\
         \r\nERROR\r\n\r\nOK\r\n"
    );
    let long = vec![b'A'; MAX_COMMAND + 10];
    m.handle_input(&long);
    m.handle_input(b"\r");
    assert_eq!(m.take_output(), b"\r\n#CME ERROR: 34881\r\n");
}

#[test]
fn a_bare_at_is_answered_ok_echoed_when_echo_is_on() {
    assert_eq!(answer(&mut modem(true), b"AT\r"), show(b"AT\r\r\nOK\r\n"));
    assert_eq!(answer(&mut modem(false), b"AT\r"), show(b"\r\nOK\r\n"));
    let mut m = Modem::new(Faults { numeric: true, ..Faults::default() });
    assert_eq!(answer(&mut m, b"AT\r"), show(b"AT\r0\r"));
}

#[test]
fn bytes_before_at_on_a_line_are_ignored() {
    // What a resynchronisation sends a modem that was in command mode all along.
    for (input, command) in [
        (&b"\x03\x03AT\r"[..], "AT"),
        (b"\x03AT\r", "AT"),
        (b"\0\0AT\r", "AT"),
        (b"\x03\x03\0at\r", "at"),
        (b"\x10\x03xyzAT\r", "AT"),
    ] {
        assert_eq!(answer(&mut modem(false), input), show(b"\r\nOK\r\n"), "{}", show(input));
        // The echo is every byte, the ignored ones too.
        let echoed = [input, b"\r\nOK\r\n"].concat();
        assert_eq!(answer(&mut modem(true), input), show(&echoed), "{command}");
    }
    // Whatever precedes the prefix, the command is read as if it began the line.
    let mut m = modem(false);
    assert_eq!(answer(&mut m, b"\x03\x03AT#FTPSERV=\"h.example\"\r"), show(b"\r\nOK\r\n"));
    assert_eq!(m.param("FTPSERV"), Some("h.example"));
    assert_eq!(
        answer(&mut m, b"junkAT#FTPSERV?\r"),
        show(b"\r\n#FTPSERV: \"h.example\"\r\n\r\nOK\r\n")
    );
}

#[test]
fn an_abandoned_half_line_draws_one_error_then_at_is_answered() {
    // A host killed in the middle of a command line, then the next one's resynchronisation:
    // the line it completes is a command that does not exist; the next probe is clean.
    let mut m = modem(false);
    m.handle_input(b"AT#FTPSE");
    assert_eq!(answer(&mut m, b"\x03\x03AT\r"), show(b"\r\n#CME ERROR: 34817\r\n"));
    assert_eq!(answer(&mut m, b"AT\r"), show(b"\r\nOK\r\n"));
    // A half `AT#FTPGET` does not start a transfer.
    m.handle_input(b"AT#FTPGET");
    assert_eq!(answer(&mut m, b"\x03\x03AT\r"), show(b"\r\n#CME ERROR: 34817\r\n"));
    assert!(m.poll_job().is_none());
}

#[test]
fn a_line_without_at_is_an_error_unless_it_holds_only_control_bytes() {
    let mut m = modem(false);
    assert_eq!(answer(&mut m, b"HELLO\r"), show(b"\r\nERROR\r\n"));
    assert_eq!(answer(&mut m, b"\x03\x03\r"), "");
    assert_eq!(answer(&mut m, b"\0\x10\r\n\r"), "");
    let mut m = modem(true);
    assert_eq!(answer(&mut m, b"\x03\x03\r"), show(b"\x03\x03\r"));
}

#[test]
fn a_lone_etx_ends_an_upload_once_and_the_at_after_it_is_answered() {
    for echo in [false, true] {
        let mut m = uploading(echo);
        // The data, then what a resynchronisation sends: ETX ETX, then the probe.
        m.handle_input(b"da\x10\x03ta\x03\x03AT\r");
        let (data, ended) = m.take_upload();
        assert_eq!(data, b"da\x03ta");
        assert!(ended, "the first lone ETX ends the upload");
        // Nothing is answered before the upload's own result.
        assert_eq!(show(&m.take_output()), "");
        m.upload_done(Ok(()));
        // The upload's ETX and result, once; then the rest of the line, read as a command.
        let probe = if echo { &b"\x03AT\r"[..] } else { b"" };
        let expected = [b"\x03\r\nOK\r\n", probe, b"\r\nOK\r\n"].concat();
        assert_eq!(show(&m.take_output()), show(&expected), "echo {echo}");
        assert!(m.in_command_mode());
        assert_eq!(m.take_upload(), (Vec::new(), true), "nothing more is upload data");
    }
}

#[test]
fn after_a_dangling_dle_the_first_etx_completes_the_pair_and_the_second_ends() {
    let mut m = uploading(false);
    m.handle_input(b"ab\x10");
    m.handle_input(b"\x03\x03AT\r");
    let (data, ended) = m.take_upload();
    assert_eq!(data, [b'a', b'b', ETX], "one stray byte: the pair the DLE opened");
    assert!(ended);
    m.upload_done(Ok(()));
    assert_eq!(show(&m.take_output()), show(b"\x03\r\nOK\r\n\r\nOK\r\n"));
}

#[test]
fn a_download_data_phase_ignores_the_host() {
    let mut m = modem(true);
    m.handle_input(b"AT#FTPGET\r");
    assert!(!m.poll_job().expect("a job").put);
    m.data_begin();
    assert!(m.send_data(b"one"));
    // The host's resynchronisation in the middle of the data: not echoed, not answered, not
    // kept for later.
    m.handle_input(b"\x03\x03AT\rAT#FTPSERV=\"x\"\r");
    assert!(m.send_data(&[ETX, DLE]));
    m.data_end(Ok(()));
    let out = m.take_output();
    let expected =
        [&b"AT#FTPGET\r\r\nOk_Info_DataBegin\r\n"[..], &stuffed(b"one\x03\x10"), b"\r\nOK\r\n"];
    assert_eq!(show(&out), show(&expected.concat()));
    assert_eq!(m.param("FTPSERV"), None);
    assert_eq!(answer(&mut m, b"AT\r"), show(b"AT\r\r\nOK\r\n"));
}

#[test]
fn duplicate_results_sends_the_next_final_results_twice() {
    let mut m = Modem::new(Faults { echo_off: true, duplicate_results: 2, ..Faults::default() });
    assert_eq!(answer(&mut m, b"AT\r"), show(b"\r\nOK\r\n\r\nOK\r\n"));
    assert_eq!(answer(&mut m, b"HELLO\r"), show(b"\r\nERROR\r\n\r\nERROR\r\n"));
    assert_eq!(m.faults().duplicate_results, 0, "counted down");
    assert_eq!(answer(&mut m, b"AT\r"), show(b"\r\nOK\r\n"));
    // Every final result, with the switch at its maximum; a transfer's too.
    m.faults_mut().duplicate_results = u32::MAX;
    assert_eq!(
        answer(&mut m, b"AT#NOSUCH\r"),
        show(b"\r\n#CME ERROR: 34817\r\n\r\n#CME ERROR: 34817\r\n")
    );
    m.handle_input(b"AT#FTPGET\r");
    m.poll_job().expect("a job");
    m.data_begin();
    m.data_end(Err(code::CLOSED_BY_PEER));
    let expected =
        b"\r\nOk_Info_DataBegin\r\n\x03\r\n#CME ERROR: 37966\r\n\r\n#CME ERROR: 37966\r\n";
    assert_eq!(show(&m.take_output()), show(expected));
    assert_eq!(m.faults().duplicate_results, u32::MAX);
}

#[test]
fn an_unexpected_download_phase_takes_the_place_of_the_next_ok() {
    let faults = Faults { unexpected_data: Some(DataPhase::Download), ..Faults::default() };
    let mut m = Modem::new(faults);
    m.set_style(false, true);
    let expected =
        [&b"\r\nOk_Info_DataBegin\r\n"[..], &stuffed(STRAY_DATA), b"\r\nOK\r\n"].concat();
    assert_eq!(answer(&mut m, b"AT#FTPPORT=21\r"), show(&expected));
    assert!(m.in_command_mode() && m.poll_job().is_none());
    assert_eq!(m.faults().unexpected_data, None, "once");
    assert_eq!(answer(&mut m, b"AT\r"), show(b"\r\nOK\r\n"));
    // A failure is not replaced.
    m.faults_mut().unexpected_data = Some(DataPhase::Download);
    assert_eq!(answer(&mut m, b"AT#FTPPORT=0\r"), show(b"\r\n#CME ERROR: 34882\r\n"));
    assert_eq!(m.faults().unexpected_data, Some(DataPhase::Download));
}

#[test]
fn an_unexpected_upload_phase_keeps_what_the_host_sends_until_its_lone_etx() {
    let faults = Faults { unexpected_data: Some(DataPhase::Upload), ..Faults::default() };
    let mut m = Modem::new(faults);
    assert_eq!(answer(&mut m, b"AT\r"), show(b"AT\r\r\nOk_Info_WaitingForData\r\n"));
    assert!(!m.in_command_mode());
    // A host that answers such a phase with a lone terminator leaves nothing in it.
    assert_eq!(answer(&mut m, b"\x03"), show(b"\x03\r\nOK\r\n"));
    assert!(m.take_stray_upload().is_empty());
    assert!(m.in_command_mode());

    m.faults_mut().unexpected_data = Some(DataPhase::Upload);
    m.set_style(false, false);
    assert_eq!(answer(&mut m, b"AT\r"), show(b"1028\r"));
    // A host that did not notice writes its next command into the data phase.
    assert_eq!(answer(&mut m, b"AT#FTPSERV=\"x\"\r\x10\x03\x03AT\r"), show(b"\x030\r0\r"));
    assert_eq!(m.take_stray_upload(), b"AT#FTPSERV=\"x\"\r\x03");
    assert_eq!(m.param("FTPSERV"), None);
    assert!(m.poll_job().is_none(), "no job: no server sees it");
}

#[test]
fn a_leaky_modem_leaks_on_the_line_and_its_log_does_not() {
    let mut modem = Modem::new(Faults { leaky: true, ..Faults::default() });
    modem.keep_log();
    modem.handle_input(b"AT#FTPPW=\"pw1234\"\r");
    assert_eq!(
        modem.take_output(),
        b"AT#FTPPW=\0\"pw1234\"\r\r\nOK\r\n\r\n#FTPPW: \"pw1234\"\r\n".to_vec()
    );
    let log = modem.take_log();
    assert_eq!(log, ["> AT#FTPPW=***", "< OK", "< #FTPPW: ***"]);
    // Taken out: the next take has only what came since.
    modem.handle_input(b"AT\r");
    assert_eq!(modem.take_log(), ["> AT", "< OK"]);
}

#[test]
fn no_log_is_kept_unless_asked() {
    let mut modem = Modem::default();
    modem.handle_input(b"AT#FTPSERV=\"h\"\rAT#FTPGET\r");
    assert!(modem.take_log().is_empty());
}

#[test]
fn a_corrupting_modem_flips_the_one_byte_it_was_told_to() {
    let mut m = Modem::new(Faults { corrupt_upload_at: Some(5), ..Faults::default() });
    m.set_style(false, true);
    m.handle_input(b"AT#FTPPUT\r");
    assert!(m.poll_job().is_some());
    m.ready_for_data();
    m.take_output();
    // In two reads, the offset in the second.
    m.handle_input(b"abc");
    m.handle_input(b"defgh\x03");
    let (data, ended) = m.take_upload();
    // `f` (0x66) at offset 5 became `g` (0x67); nothing else changed.
    assert_eq!((show(&data), ended), (show(b"abcdeggh"), true));
}
