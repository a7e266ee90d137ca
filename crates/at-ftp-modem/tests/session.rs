//! The core's `Session` against the emulated `Modem`, both sans-IO, joined in memory with an
//! in-memory file store standing in for the FTP server: every byte between them is the real
//! protocol, checked end to end.

use std::net::Ipv4Addr;

use at_ftp_modem::{Faults, Modem, code, sample};
use at_ftp_proto::{
    Dialect, Error, Event, Instant, LinkRequest, ModemError, Param, Phase, Request, Session,
    TransferType,
};

mod common;

use common::{Store, serve};

/// What the host saw.
#[derive(Debug, Default, PartialEq, Eq)]
struct Seen {
    payload: Vec<u8>,
    end: Option<String>,
    unsolicited: Vec<String>,
    link: Option<Option<Ipv4Addr>>,
    value: Option<String>,
}

/// Runs until the session's operation ends, moving bytes both ways in reads of `read` bytes
/// and doing the modem's FTP jobs against `store`. `upload` is the file to send when asked.
fn drive(s: &mut Session, m: &mut Modem, store: &mut Store, upload: &[u8], read: usize) -> Seen {
    let mut seen = Seen::default();
    let mut now = Instant::ZERO;
    let mut to_modem: Vec<u8> = Vec::new();
    let mut from_modem: Vec<u8> = Vec::new();
    let mut to_send = upload;
    let mut uploading = false;
    let mut job = None;
    for _ in 0..1_000_000 {
        while let Some(t) = s.poll_transmit() {
            to_modem.extend_from_slice(t.bytes());
        }
        while let Some(e) = s.poll_event() {
            match e {
                Event::Payload(p) => seen.payload.extend_from_slice(p),
                Event::ReadyForData => uploading = true,
                Event::Complete { bytes } => seen.end = Some(format!("Complete({bytes})")),
                Event::Failed { error, bytes } => seen.end = Some(format!("{error:?}/{bytes}")),
                Event::Unsolicited(l) => seen.unsolicited.push(String::from_utf8_lossy(l).into()),
                Event::LinkUp { address } => seen.link = Some(address),
                Event::ParamRead { value, .. } => {
                    seen.value = Some(String::from_utf8_lossy(value).into());
                }
                _ => {}
            }
        }
        if !s.is_busy() {
            return seen;
        }
        if uploading {
            if to_send.is_empty() {
                s.finish_payload(now).expect("upload ready");
                uploading = false;
            } else {
                let n = s.write_payload(to_send).expect("upload ready");
                to_send = &to_send[n..];
            }
            continue;
        }
        // The host's bytes reach the modem in reads too.
        if !to_modem.is_empty() {
            let n = to_modem.len().min(read);
            m.handle_input(&to_modem[..n]);
            to_modem.drain(..n);
        }
        serve(m, store, &mut job);
        from_modem.extend(m.take_output());
        if from_modem.is_empty() && to_modem.is_empty() {
            // Silence: let the session's deadline pass.
            now = s.poll_timeout().expect("busy sessions have a deadline");
            s.handle_timeout(now);
            continue;
        }
        let n = from_modem.len().min(read);
        let used = s.handle_input(now, &from_modem[..n]);
        from_modem.drain(..used);
    }
    panic!("no end after a million steps");
}

fn request(file: &str) -> Request<'_> {
    Request::new("ftp.example.com", "user", "hunter2", "/pub", file)
}

/// Uploads `file` then downloads it back; returns what came back.
fn round_trip(m: &mut Modem, file: &[u8], read: usize) -> Vec<u8> {
    let mut store = Store::new();
    let mut s = Session::default();
    s.start_put(Instant::ZERO, &request("f.bin")).expect("valid");
    let up = drive(&mut s, m, &mut store, file, read);
    assert_eq!(up.end.as_deref(), Some(&*format!("Complete({})", file.len())));
    assert_eq!(store["/pub/f.bin"], file, "the server got the file");
    s.start_get(Instant::ZERO, &request("f.bin")).expect("valid");
    let down = drive(&mut s, m, &mut store, &[], read);
    assert_eq!(down.end.as_deref(), Some(&*format!("Complete({})", file.len())));
    down.payload
}

#[test]
fn files_of_every_awkward_shape_round_trip_in_every_style() {
    let files: [Vec<u8>; 6] = [
        vec![],
        vec![0x03],
        vec![0x10],
        [0x03, 0x10].repeat(700),
        b"\r\nOK\r\n\x03\r\n#CME ERROR: 1\r\n".to_vec(),
        sample(1 << 20, 7),
    ];
    for (echo, verbose) in [(true, true), (false, true), (true, false), (false, false)] {
        for file in &files {
            let mut m = Modem::default();
            m.set_style(echo, verbose);
            for read in [1 << 16, 7] {
                if read == 7 && file.len() > 4096 {
                    continue; // byte-level splits are covered by the small files
                }
                assert_eq!(&round_trip(&mut m, file, read), file, "echo {echo} verbose {verbose}");
            }
        }
    }
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
    let mut m = Modem::new(faults);
    let mut store = Store::new();
    store.insert("/pub/f.bin".into(), file.clone());
    let mut s = Session::default();
    s.start_get(Instant::ZERO, &request("f.bin")).expect("valid");
    let seen = drive(&mut s, &mut m, &mut store, &[], 333);
    assert_eq!(seen.payload, file);
    assert_eq!(seen.end.as_deref(), Some("Complete(50000)"));
    assert_eq!(seen.unsolicited.iter().filter(|l| *l == "RING").count(), 2);
    assert!(seen.unsolicited.iter().all(|l| l == "RING" || l == "~#garbage%"), "{seen:?}");
}

#[test]
fn a_broken_data_connection_is_a_failure_with_the_bytes_so_far() {
    let mut m = Modem::new(Faults { abort_after: Some(1234), ..Faults::default() });
    let mut store = Store::from([("/pub/f.bin".to_owned(), sample(10_000, 5))]);
    let mut s = Session::default();
    s.start_get(Instant::ZERO, &request("f.bin")).expect("valid");
    let seen = drive(&mut s, &mut m, &mut store, &[], 100);
    assert_eq!(seen.payload, store["/pub/f.bin"][..1234]);
    let error = Error::Modem(ModemError::Cme(code::CLOSED_BY_PEER));
    assert_eq!(seen.end, Some(format!("{error:?}/1234")));
}

#[test]
fn silence_mid_data_times_out_in_the_data_phase() {
    let mut m = Modem::new(Faults { silence_after: Some(99), ..Faults::default() });
    let mut store = Store::from([("/pub/f.bin".to_owned(), sample(10_000, 5))]);
    let mut s = Session::default();
    s.start_get(Instant::ZERO, &request("f.bin")).expect("valid");
    let seen = drive(&mut s, &mut m, &mut store, &[], 100);
    assert_eq!(seen.payload.len(), 99);
    assert_eq!(seen.end, Some(format!("{:?}/99", Error::Timeout(Phase::Data))));
}

#[test]
fn a_missing_file_fails_before_data() {
    let mut m = Modem::default();
    let mut s = Session::default();
    s.start_get(Instant::ZERO, &request("nope")).expect("valid");
    let seen = drive(&mut s, &mut m, &mut Store::new(), &[], 64);
    let error = Error::Modem(ModemError::Cme(code::NOT_OPENED));
    assert_eq!(seen.end, Some(format!("{error:?}/0")));
}

#[test]
fn ascii_type_clears_bit_seven() {
    let mut m = Modem::default();
    let mut store = Store::from([("/pub/f.txt".to_owned(), vec![0x41, 0xC1, 0xFF, 0x83])]);
    let mut s = Session::default();
    let mut req = request("f.txt");
    req.kind = TransferType::Ascii;
    s.start_get(Instant::ZERO, &req).expect("valid");
    let seen = drive(&mut s, &mut m, &mut store, &[], 64);
    // 0x83 becomes 0x03: it must arrive stuffed, not end the data early.
    assert_eq!(seen.payload, [0x41, 0x41, 0x7F, 0x03]);
}

#[test]
fn the_link_comes_up_once_then_reports_already_up() {
    let mut m = Modem::default();
    let link = LinkRequest { apn: "internet", user: "", password: "" };
    let mut s = Session::default();
    s.start_link(Instant::ZERO, &link).expect("valid");
    let first = drive(&mut s, &mut m, &mut Store::new(), &[], 16);
    assert_eq!(first.link, Some(Some(Ipv4Addr::new(10, 64, 3, 17))));
    s.start_link(Instant::ZERO, &link).expect("valid");
    let again = drive(&mut s, &mut m, &mut Store::new(), &[], 16);
    assert_eq!(again.link, Some(None), "35840 is success");
}

#[test]
fn parameters_read_back_in_both_dialects() {
    let mut m = Modem::default();
    m.handle_input(b"AT#FTPSERV=\"files.example.org\"\r");
    m.take_output();
    for dialect in [Dialect::Query, Dialect::Legacy] {
        let mut s = Session::default();
        s.read_param(Instant::ZERO, Param::Server, dialect).expect("valid");
        let seen = drive(&mut s, &mut m, &mut Store::new(), &[], 5);
        assert_eq!(seen.value.as_deref(), Some("files.example.org"));
        s.read_param(Instant::ZERO, Param::Port, dialect).expect("valid");
        let seen = drive(&mut s, &mut m, &mut Store::new(), &[], 5);
        assert_eq!(seen.value.as_deref(), Some("21"));
    }
}

#[test]
fn unknown_and_malformed_commands_get_their_codes() {
    let mut m = Modem::default();
    m.set_style(false, true);
    m.handle_input(b"AT#FROB\rAT#FTPPORT=0\rAT#FTPSERV=unquoted\rATX9\rAT\r");
    let out = String::from_utf8(m.take_output()).expect("text");
    assert_eq!(
        out,
        "\r\n#CME ERROR: 34817\r\n\r\n#CME ERROR: 34882\r\n\r\n#CME ERROR: 34882\r\n\
         \r\nERROR\r\n\r\nOK\r\n"
    );
    let long = vec![b'A'; at_ftp_modem::MAX_COMMAND + 10];
    m.handle_input(&long);
    m.handle_input(b"\r");
    assert_eq!(m.take_output(), b"\r\n#CME ERROR: 34881\r\n");
}
