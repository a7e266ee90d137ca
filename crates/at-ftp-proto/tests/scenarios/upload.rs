//! An upload in every modem style; the modem echoes the host's final ETX before its result.

use at_ftp_proto::{Action, Error, Instant, Timer};

use super::Engine;
use super::harness::*;

#[test]
fn uploads_in_every_style() {
    let payload = tricky_payload(9000);
    for style in Style::ALL {
        let mut items = style.transfer_setup(true);
        items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
        items.push(Item::Modem(style.answer(b"AT#FTPPUT\r", "Ok_Info_WaitingForData", "1028")));
        items.push(Item::Write(payload.clone()));
        items.push(Item::Finish);
        // Everything the host sent after the command: exactly the stuffed file and its ETX.
        items.push(Item::Host(stuffed(&payload)));
        items.push(Item::Modem(concat(&[b"\x03", &style.result("OK", "0")])));
        let out = run_all_splits(put_session, &items);
        assert_eq!(
            out.events,
            [Seen::ReadyForData, Seen::Complete(payload.len() as u64)],
            "{style:?}"
        );
        assert!(out.unchecked_host.is_empty());
    }
}

#[test]
fn no_payload_goes_out_before_the_modem_is_ready() {
    // The engine asks for no upload data (`Action::Upload`) before `Ok_Info_WaitingForData`:
    // every command answered, `AT#FTPPUT` written, a URC, time passing up to the start
    // deadline.
    let mut s = put_session();
    let mut now = Instant::ZERO;
    let mut pending: Vec<u8> = Vec::new();
    let mut put_sent = false;
    let mut asked = false;
    for _ in 0..10_000 {
        match s.poll(now) {
            Action::Transmit(t) => {
                assert!(t.is_command(), "only commands before the modem is ready: {t}");
                if t.bytes() == b"AT#FTPPUT\r" {
                    put_sent = true;
                    pending.extend_from_slice(b"\r\nRING\r\n");
                } else {
                    pending.extend_from_slice(b"\r\nOK\r\n");
                }
                let n = t.bytes().len();
                s.transmitted(now, n);
            }
            Action::Upload(_) => {
                asked = true;
                break;
            }
            Action::Peek(buf) => {
                let n = pending.len().min(buf.len());
                buf[..n].copy_from_slice(&pending[..n]);
                pending.drain(..n);
                s.received(n);
            }
            Action::Read { buf, deadline } => {
                let n = pending.len().min(buf.len());
                buf[..n].copy_from_slice(&pending[..n]);
                pending.drain(..n);
                s.received(n);
                if n == 0 {
                    now = deadline;
                }
            }
            Action::Done(result) => {
                assert_eq!(result.err(), Some(Error::Timeout(Timer::Start)));
                break;
            }
            Action::Payload(_) | Action::Event(_) | Action::Idle => {}
        }
    }
    assert!(put_sent, "the script reached AT#FTPPUT");
    assert!(!asked, "upload data was asked for before the modem was ready");
    assert!(!s.is_busy());

    // The same on the wire: the caller's data is there from the start, and not one byte of
    // it goes out before the modem is ready; then all of it does.
    let style = Style { echo: false, numeric: false };
    let mut items = vec![Item::Write(b"early".to_vec()), Item::Finish];
    items.extend(style.transfer_setup(true));
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nRING\r\n".to_vec()));
    items.push(Item::Wait(1_000));
    items.push(Item::Host(Vec::new()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Host(b"early\x03".to_vec()));
    items.push(Item::Modem(b"\x03\r\nOK\r\n".to_vec()));
    let out = run_all_splits(put_session, &items);
    assert_eq!(
        out.events,
        [Seen::Unsolicited(b"RING".to_vec()), Seen::ReadyForData, Seen::Complete(5)]
    );
}

#[test]
fn an_upload_failure_after_the_data_keeps_the_count() {
    let style = Style { echo: false, numeric: false };
    let mut items = style.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(b"abc\x03".to_vec()));
    items.push(Item::Finish);
    items.push(Item::Host(b"abc\x10\x03\x03".to_vec()));
    items.push(Item::Modem(b"\x03\r\n#CME ERROR: 37966\r\n".to_vec()));
    // A failed upload ends once the line is quiet (bytes of it may still reach the modem as
    // command lines), after a bare CR that ends any partial line they left.
    items.push(Item::Wait(499));
    items.push(Item::Host(Vec::new()));
    items.push(Item::Wait(1));
    items.push(Item::Host(b"\r".to_vec()));
    let out = run_all_splits(put_session, &items);
    assert_eq!(out.events, [Seen::ReadyForData], "not before the line is quiet again");
    items.push(Item::Wait(500));
    let out = run_all_splits(put_session, &items);
    let error = at_ftp_proto::Error::Modem(at_ftp_proto::ModemError::Cme(37966));
    assert_eq!(out.events, [Seen::ReadyForData, Seen::Failed(error, 4)]);
}

/// An upload's progress counts the payload bytes the port took, not those taken from the
/// source: a port that takes one byte at a time moves it one payload byte per byte written
/// outside a pair, never for a pair's DLE, and never for the terminator.
#[test]
fn upload_progress_counts_what_the_port_took() {
    use at_ftp_proto::{Event, Outcome, Unescaper};

    let payload = tricky_payload(5000);
    let mut engine = put_session();
    let mut modem: Vec<u8> = Vec::new();
    let now = Instant::ZERO;
    let (mut source, mut wire, mut in_data) = (&payload[..], Vec::new(), false);
    let (mut progress, mut idle) = (Vec::new(), 0);
    let done = loop {
        match engine.poll(now) {
            Action::Transmit(t) if in_data => {
                // One byte per write.
                wire.push(t.bytes()[0]);
                engine.transmitted(now, 1);
                if wire.last() == Some(&0x03) && wire.len() >= 2 && wire[wire.len() - 2] != 0x10 {
                    modem.extend_from_slice(b"\x03\r\nOK\r\n");
                }
            }
            Action::Transmit(t) => {
                let n = t.bytes().len();
                modem.extend_from_slice(if t.bytes() == b"AT#FTPPUT\r" {
                    b"\r\nOk_Info_WaitingForData\r\n"
                } else {
                    b"\r\nOK\r\n"
                });
                engine.transmitted(now, n);
            }
            Action::Read { buf, .. } | Action::Peek(buf) => {
                let n = modem.len().min(buf.len());
                buf[..n].copy_from_slice(&modem[..n]);
                modem.drain(..n);
                engine.received(n);
                idle += usize::from(n == 0);
                assert!(idle < 100_000, "the engine waits for something this modem never says");
            }
            Action::Event(Event::ReadyForData) => in_data = true,
            Action::Event(Event::Set(_)) => {}
            Action::Event(Event::Progress(bytes)) => {
                // The payload in what the port took so far, decoded by the codec alone.
                let mut decoder = Unescaper::new();
                let mut out = vec![0; wire.len()];
                let p = decoder.unescape(&wire, &mut out).expect("our own stuffing");
                assert_eq!(bytes, p.written as u64, "after {} bytes on the wire", wire.len());
                progress.push(bytes);
            }
            Action::Upload(buf) => {
                let n = source.len().min(buf.len()).min(700);
                buf[..n].copy_from_slice(&source[..n]);
                source = &source[n..];
                engine.uploaded(n);
            }
            Action::Done(result) => {
                break result.map(|o| o == Outcome::Transferred { bytes: 5000 });
            }
            other => panic!("unexpected {}", describe(&other)),
        }
    };
    assert_eq!(done, Ok(true));
    assert_eq!(wire, stuffed(&payload));
    assert_eq!(progress.last(), Some(&5000));
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    // One event per payload byte: none for a pair's DLE or the terminator.
    assert_eq!(progress.len(), payload.len());
}

/// The first bytes the engine sends for a download started now, on a silent line (time
/// passes at each wait).
fn first_bytes_of_a_download(engine: &mut Engine) -> Vec<u8> {
    let mut now = Instant::from_millis(10_000);
    engine.start_get(now, &request()).expect("idle");
    for _ in 0..100 {
        match engine.poll(now) {
            Action::Transmit(t) => return t.bytes().to_vec(),
            Action::Peek(_) => engine.received(0),
            Action::Read { deadline, .. } => {
                now = deadline;
                engine.received(0);
            }
            Action::Event(_) => {}
            other => panic!("{}", describe(&other)),
        }
    }
    panic!("nothing sent");
}

/// A port replaced in the middle of an upload (`reset`: the adapter's port failed, or a write
/// was dropped half done) leaves the modem waiting for upload data: even on a line said to be
/// clean, the next operation ends that upload before its first command, so that no command
/// lands in the remote file.
#[test]
fn a_reset_in_the_middle_of_an_upload_ends_it_before_the_next_command() {
    let mut items = Style { echo: false, numeric: false }.transfer_setup(true);
    items.push(Item::Host(b"AT#FTPPUT\r".to_vec()));
    items.push(Item::Modem(b"\r\nOk_Info_WaitingForData\r\n".to_vec()));
    items.push(Item::Write(b"part of the file".to_vec()));
    items.push(Item::Host(b"part of the file".to_vec()));
    let mut engine = put_session();
    let out = run(&mut engine, &items, usize::MAX);
    assert_eq!(out.events, [Seen::ReadyForData]);
    engine.reset();
    assert!(engine.is_line_lost(), "the upload is still open");
    let first = first_bytes_of_a_download(&mut engine);
    assert_eq!(first.first(), Some(&at_ftp_proto::ETX), "{:?}", String::from_utf8_lossy(&first));
}
