//! The core's `Driver` (the adapters' run loop) against the emulated `Modem`, in memory with
//! virtual time: every action it asks for is carried out exactly as an adapter would.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::Ipv4Addr;

use at_ftp_modem::{Faults, Modem, sample};
use at_ftp_proto::{
    Action, Dialect, Driver, Error, Instant, LinkRequest, Outcome, Param, Phase, Request,
    StartError,
};
use common::{Store, serve};

/// An owned `Outcome`.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Transferred(u64),
    LinkUp(Option<Ipv4Addr>),
    Param(Param, String),
}

#[derive(Debug)]
struct Run {
    payload: Vec<u8>,
    notices: Vec<String>,
    end: Result<End, Error>,
    /// Payload actions that came after `abort` was called.
    after_abort: usize,
}

/// Carries out the driver's actions until `Done`: reads of at most `read` bytes, uploads from
/// `source` in pieces of at most `piece`, and `abort` once `abort_at` payload bytes went
/// either way.
fn run(
    d: &mut Driver,
    m: &mut Modem,
    store: &mut Store,
    mut source: &[u8],
    read: usize,
    abort_at: Option<usize>,
) -> Run {
    let mut now = Instant::ZERO;
    let mut job = None;
    let mut from_modem: Vec<u8> = Vec::new();
    let mut payload = Vec::new();
    let mut notices = Vec::new();
    let mut aborted = false;
    let mut after_abort = 0;
    let mut sent = 0;
    for _ in 0..10_000_000 {
        if !aborted && abort_at.is_some_and(|at| payload.len().max(sent) >= at) {
            aborted = d.abort(now);
        }
        match d.poll(now) {
            // Short writes, as a port may make them: the driver resumes the rest.
            Action::Transmit(t) => {
                let n = t.bytes().len().min(read);
                m.handle_input(&t.bytes()[..n]);
                d.transmitted(n);
            }
            Action::Peek(buf) => {
                serve(m, store, &mut job);
                from_modem.extend(m.take_output());
                let n = from_modem.len().min(buf.len()).min(read);
                buf[..n].copy_from_slice(&from_modem[..n]);
                from_modem.drain(..n);
                d.received(n);
            }
            Action::Payload(p) => {
                payload.extend_from_slice(p);
                after_abort += usize::from(aborted);
            }
            // Received so far in a download, taken from the source in an upload.
            Action::Progress(bytes) => assert_eq!(bytes, payload.len().max(sent) as u64),
            Action::Notice(e) => notices.push(format!("{e:?}")),
            Action::Upload(buf) => {
                let n = source.len().min(buf.len()).min(777);
                buf[..n].copy_from_slice(&source[..n]);
                source = &source[n..];
                sent += n;
                d.uploaded(n);
            }
            Action::Read { buf, deadline } => {
                serve(m, store, &mut job);
                from_modem.extend(m.take_output());
                if from_modem.is_empty() {
                    now = deadline.expect("a read always has a deadline");
                    d.timed_out(now);
                    continue;
                }
                let n = from_modem.len().min(buf.len()).min(read);
                buf[..n].copy_from_slice(&from_modem[..n]);
                from_modem.drain(..n);
                d.received(n);
            }
            Action::Done(result) => {
                let end = result.map(|o| match o {
                    Outcome::Transferred { bytes } => End::Transferred(bytes),
                    Outcome::LinkUp { address } => End::LinkUp(address),
                    Outcome::Param { param, value } => {
                        End::Param(param, String::from_utf8_lossy(value).into())
                    }
                });
                assert!(!d.is_busy(), "Done leaves the driver idle");
                // At most the LF of the final result's CR LF may be left: the modem is done.
                assert!(from_modem.iter().all(|&b| b == b'\n'), "Done before the modem finished");
                return Run { payload, notices, end, after_abort };
            }
            Action::Idle => panic!("idle before Done"),
        }
    }
    panic!("no Done after ten million actions");
}

fn request(file: &str) -> Request<'_> {
    Request::new("ftp.example.com", "user", "hunter2", "/pub", file)
}

#[test]
fn uploads_and_downloads_round_trip_at_every_read_size() {
    for file in [vec![], vec![0x03], vec![0x10], sample(100_000, 1)] {
        for read in [1, 7, 4096] {
            if read == 1 && file.len() > 10_000 {
                continue;
            }
            let mut m = Modem::default();
            let mut store = Store::new();
            let mut d = Driver::default();
            d.start_put(Instant::ZERO, &request("f.bin")).unwrap();
            let up = run(&mut d, &mut m, &mut store, &file, read, None);
            assert_eq!(up.end, Ok(End::Transferred(file.len() as u64)));
            assert!(store["/pub/f.bin"] == file, "the server got another file");
            assert_eq!(up.notices, ["ReadyForData"]);

            d.start_get(Instant::ZERO, &request("f.bin")).unwrap();
            let down = run(&mut d, &mut m, &mut store, &[], read, None);
            assert_eq!(down.end, Ok(End::Transferred(file.len() as u64)));
            assert!(down.payload == file, "the download differs");
            assert_eq!(down.notices, ["DataBegin"]);
        }
    }
}

#[test]
fn link_and_parameter_reads_end_with_their_values() {
    let mut m = Modem::default();
    let mut store = Store::new();
    let mut d = Driver::default();
    let link = LinkRequest { apn: "internet", user: "", password: "" };
    d.start_link(Instant::ZERO, &link).unwrap();
    let seen = run(&mut d, &mut m, &mut store, &[], 64, None);
    assert_eq!(seen.end, Ok(End::LinkUp(Some(Ipv4Addr::new(10, 64, 3, 17)))));

    d.start_get(Instant::ZERO, &request("missing.bin")).unwrap();
    let seen = run(&mut d, &mut m, &mut store, &[], 64, None);
    assert_eq!(seen.end, Err(Error::Modem(at_ftp_proto::ModemError::Cme(38016))));

    for dialect in [Dialect::Query, Dialect::Legacy] {
        d.read_param(Instant::ZERO, Param::Server, dialect).unwrap();
        let seen = run(&mut d, &mut m, &mut store, &[], 5, None);
        assert_eq!(seen.end, Ok(End::Param(Param::Server, "ftp.example.com".into())));
    }
}

#[test]
fn an_aborted_download_ends_only_once_the_modem_is_back_in_command_mode() {
    let file = sample(60_000, 2);
    let mut m = Modem::default();
    let mut store = Store::from([("/pub/f.bin".to_owned(), file.clone())]);
    let mut d = Driver::default();
    d.start_get(Instant::ZERO, &request("f.bin")).unwrap();
    let seen = run(&mut d, &mut m, &mut store, &[], 512, Some(5000));
    assert_eq!(seen.end, Err(Error::Aborted));
    assert_eq!(seen.after_abort, 0, "payload delivered after the abort");
    assert!(seen.payload.len() < file.len());
    assert_eq!(seen.payload, file[..seen.payload.len()]);
    // The modem took the rest of the data and its result: the next command is answered.
    d.start_get(Instant::ZERO, &request("f.bin")).unwrap();
    let again = run(&mut d, &mut m, &mut store, &[], 4096, None);
    assert_eq!((again.end, again.payload == file), (Ok(End::Transferred(60_000)), true));
}

#[test]
fn an_aborted_upload_sends_its_terminator_and_ends() {
    let file = sample(60_000, 3);
    let mut m = Modem::default();
    let mut store = Store::new();
    let mut d = Driver::default();
    d.start_put(Instant::ZERO, &request("f.bin")).unwrap();
    let seen = run(&mut d, &mut m, &mut store, &file, 512, Some(3000));
    assert_eq!(seen.end, Err(Error::Aborted));
    // The server keeps what the session had taken before the abort (the driver's last piece
    // of at most 777 bytes may not have been), a prefix of the file.
    let kept = &store["/pub/f.bin"];
    assert!(kept.len() > 3000 - 777 && kept.len() < file.len(), "{}", kept.len());
    assert_eq!(kept[..], file[..kept.len()]);
    d.read_param(Instant::ZERO, Param::PutFileName, Dialect::Query).unwrap();
    let next = run(&mut d, &mut m, &mut store, &[], 64, None);
    assert_eq!(next.end, Ok(End::Param(Param::PutFileName, "f.bin".into())));
}

#[test]
fn silence_mid_data_is_a_data_timeout_and_a_busy_driver_refuses_to_start() {
    let mut m = Modem::new(Faults { silence_after: Some(100), ..Faults::default() });
    let mut store = Store::from([("/pub/f.bin".to_owned(), sample(1000, 4))]);
    let mut d = Driver::default();
    d.start_get(Instant::ZERO, &request("f.bin")).unwrap();
    assert_eq!(d.start_get(Instant::ZERO, &request("f.bin")), Err(StartError::Busy));
    let seen = run(&mut d, &mut m, &mut store, &[], 4096, None);
    assert_eq!(seen.end, Err(Error::Timeout(Phase::Data)));
    assert_eq!(seen.payload, store["/pub/f.bin"][..100]);
}

#[test]
fn a_modem_that_fails_an_upload_midway_is_heard_before_the_rest_is_sent() {
    // After 10 kB the modem is in command mode again; 16 KiB later, the file goes on with
    // lines that would be commands there. What is on its way when the modem fails reaches it
    // as commands (no host can recall it), but the driver hears the failure within one piece
    // of upload and one transmit buffer, well before the poisoned lines.
    let mut file = sample(10_000 + 16 * 1024, 9);
    for _ in 0..2000 {
        file.extend_from_slice(b"\rAT#FTPGETFILENAME=\"evil\"\r");
    }
    let mut m = Modem::new(Faults { fail_upload_after: Some(10_000), ..Faults::default() });
    let mut store = Store::new();
    let mut d = Driver::default();
    d.start_put(Instant::ZERO, &request("f.bin")).unwrap();
    let seen = run(&mut d, &mut m, &mut store, &file, 4096, None);
    assert_eq!(seen.end, Err(Error::Modem(at_ftp_proto::ModemError::Cme(37966))));
    // The driver read the modem between pieces and stopped sending: the poisoned lines never
    // reached the modem.
    assert_eq!(m.param("FTPGETFILENAME"), None);
    assert_eq!(store["/pub/f.bin"], file[..10_000]);
}
