//! The in-memory line between the core's `Engine` and the emulated `Modem`, with virtual time
//! and an in-memory stand-in for the FTP server: every action the engine asks for is carried
//! out exactly as an adapter would.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::net::Ipv4Addr;

use at_ftp_modem::{Job, Modem, code};
use at_ftp_proto::{Action, Engine, Error, Event, Instant, Outcome, PAYLOAD_CHUNK, Param, Resync};

/// The FTP server's files, by `dir/file`.
pub type Store = HashMap<String, Vec<u8>>;

/// Does the modem's FTP work against `store`: starts a new job (a download is sent whole, in
/// 1000-byte pieces; a missing file fails with 38016), and collects an upload in progress in
/// `job` until the host's terminator. A new upload replaces the stored file (FTP STOR).
pub fn serve(m: &mut Modem, store: &mut Store, job: &mut Option<Job>) {
    if let Some(j) = m.poll_job() {
        *job = Some(j);
        let j = job.as_ref().expect("just set");
        if j.put {
            store.insert(format!("{}/{}", j.dir, j.file), Vec::new());
            m.ready_for_data();
        } else if let Some(file) = store.get(&format!("{}/{}", j.dir, j.file)) {
            m.data_begin();
            for chunk in file.chunks(1000) {
                if !m.send_data(chunk) {
                    break;
                }
            }
            m.data_end(Ok(()));
            *job = None;
        } else {
            m.start_failed(code::NOT_OPENED);
            *job = None;
        }
    }
    if let Some(j) = job.as_ref()
        && j.put
    {
        let (data, ended) = m.take_upload();
        store.entry(format!("{}/{}", j.dir, j.file)).or_default().extend(data);
        if ended {
            m.upload_done(Ok(()));
            *job = None;
        }
    }
}

/// An owned [`Outcome`].
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    Transferred(u64),
    LinkUp(Option<Ipv4Addr>),
    Param(Param, String),
    Resynced,
}

/// What the host saw of one operation.
#[derive(Debug)]
pub struct Run {
    pub payload: Vec<u8>,
    /// `DataBegin`, `ReadyForData`, `LineTooLong`, and the resynchronisation steps.
    pub events: Vec<String>,
    pub unsolicited: Vec<String>,
    /// `None` when the host was killed before the end.
    pub end: Option<Result<End, Error>>,
    /// The last `Progress`: the byte count of a failure.
    pub progress: u64,
    /// Payload actions that came after `abort` was called.
    pub after_abort: usize,
}

impl Run {
    /// The end; panics for a killed run.
    pub fn end(&self) -> &Result<End, Error> {
        self.end.as_ref().expect("the run was not killed")
    }

    /// The events without the resynchronisation's.
    pub fn notices(&self) -> Vec<&str> {
        self.events.iter().map(String::as_str).filter(|e| !e.starts_with("Resync")).collect()
    }
}

/// When the run stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// At the operation's end.
    Done,
    /// The host dies (the engine is dropped, no more of it runs) once this many payload bytes
    /// went either way.
    KillAt(usize),
    /// The host dies right after a write that left a pair open (its DLE sent, not its second
    /// half): the stuffed upload bytes written so far end with an odd run of DLEs.
    KillOnDangling,
}

/// How the port behaves.
#[derive(Clone, Copy, Debug)]
pub struct Port {
    /// The most bytes one read returns, and one write takes.
    pub read: usize,
    /// Every other write takes nothing (a port that is busy half the time).
    pub stalls: bool,
}

impl Port {
    pub fn reads(read: usize) -> Port {
        Port { read, stalls: false }
    }
}

/// The line: the modem, its server, the host's port buffer, and the virtual clock.
#[derive(Debug)]
pub struct Line {
    pub modem: Modem,
    pub store: Store,
    job: Option<Job>,
    /// What the modem sent that the host did not read yet (the port's buffer).
    pub from_modem: Vec<u8>,
    pub now: Instant,
    /// Every byte the host wrote, in order.
    pub written: Vec<u8>,
}

impl Line {
    pub fn new(modem: Modem) -> Line {
        Line::with(modem, Store::new())
    }

    pub fn with(modem: Modem, store: Store) -> Line {
        Line {
            modem,
            store,
            job: None,
            from_modem: Vec::new(),
            now: Instant::ZERO,
            written: Vec::new(),
        }
    }

    /// What the modem sends now (its server's work done first) reaches the port.
    fn pump(&mut self) {
        serve(&mut self.modem, &mut self.store, &mut self.job);
        self.from_modem.extend(self.modem.take_output());
    }

    fn read_into(&mut self, buf: &mut [u8], read: usize) -> usize {
        self.pump();
        let n = self.from_modem.len().min(buf.len()).min(read);
        buf[..n].copy_from_slice(&self.from_modem[..n]);
        self.from_modem.drain(..n);
        n
    }
}

/// Carries out the engine's actions on `line` until `stop`: uploads from `source` in pieces
/// of at most 777 bytes, `abort` once `abort_at` payload bytes went either way.
pub fn run(
    e: &mut Engine,
    line: &mut Line,
    mut source: &[u8],
    port: Port,
    abort_at: Option<usize>,
    stop: Stop,
) -> Run {
    let mut run = Run {
        payload: Vec::new(),
        events: Vec::new(),
        unsolicited: Vec::new(),
        end: None,
        progress: 0,
        after_abort: 0,
    };
    let mut aborted = false;
    let mut sent = 0;
    let mut stall = false;
    // Upload data written since the data phase began, to know whether a pair is open.
    let mut data_dles = 0usize;
    // The payload in the upload data the port took: a byte outside a pair or a pair's second
    // half (a lone ETX is the terminator).
    let (mut port_payload, mut pair) = (0u64, false);
    for _ in 0..10_000_000 {
        let now = line.now;
        let moved = run.payload.len().max(sent);
        if !aborted && abort_at.is_some_and(|at| moved >= at) {
            aborted = e.abort(now);
        }
        if let Stop::KillAt(at) = stop
            && moved >= at
        {
            return run;
        }
        match e.poll(now) {
            Action::Transmit(t) => {
                assert!(!t.bytes().is_empty(), "an empty transmit");
                stall = port.stalls && !stall;
                let n = if stall { 0 } else { t.bytes().len().min(port.read) };
                let bytes = &t.bytes()[..n];
                if !t.is_command() {
                    for &b in bytes {
                        data_dles = if b == at_ftp_proto::DLE { data_dles + 1 } else { 0 };
                        let counted = pair || (b != at_ftp_proto::DLE && b != at_ftp_proto::ETX);
                        port_payload += u64::from(counted);
                        pair = !pair && b == at_ftp_proto::DLE;
                    }
                }
                line.modem.handle_input(bytes);
                line.written.extend_from_slice(bytes);
                e.transmitted(now, n);
                if stop == Stop::KillOnDangling && n > 0 && data_dles % 2 == 1 {
                    return run;
                }
            }
            Action::Payload(p) => {
                assert!(!p.is_empty() && p.len() <= PAYLOAD_CHUNK, "payload beyond its bounds");
                run.payload.extend_from_slice(p);
                run.after_abort += usize::from(aborted);
            }
            Action::Event(event) => match event {
                // Received so far in a download; in an upload, what the port took.
                Event::Progress(bytes) => {
                    let expected = if sent > 0 { port_payload } else { run.payload.len() as u64 };
                    assert_eq!(bytes, expected);
                    run.progress = bytes;
                }
                Event::Unsolicited(l) => run.unsolicited.push(String::from_utf8_lossy(l).into()),
                // The settings the modem answered: the adapters' business.
                Event::Set(_) => {}
                Event::Resync(step) => run.events.push(format!("Resync({})", resync(step))),
                other => run.events.push(format!("{other:?}")),
            },
            Action::Upload(buf) => {
                let n = source.len().min(buf.len()).min(777);
                buf[..n].copy_from_slice(&source[..n]);
                source = &source[n..];
                sent += n;
                e.uploaded(n);
            }
            Action::Peek(buf) => {
                let n = line.read_into(buf, port.read);
                e.received(n);
            }
            Action::Read { buf, deadline } => {
                assert!(deadline > now, "a read deadline not in the future: {deadline:?}");
                let n = line.read_into(buf, port.read);
                if n == 0 {
                    // Silence until the deadline; the engine fires it on the next poll.
                    line.now = deadline;
                }
                e.received(n);
            }
            Action::Done(result) => {
                run.end = Some(result.map(|o| match o {
                    Outcome::Transferred { bytes } => End::Transferred(bytes),
                    Outcome::LinkUp { address } => End::LinkUp(address),
                    Outcome::Param { param, value } => {
                        End::Param(param, String::from_utf8_lossy(value).into())
                    }
                    Outcome::Resynced => End::Resynced,
                    other => panic!("an outcome the tests do not know: {other:?}"),
                }));
                assert!(!e.is_busy(), "Done leaves the engine idle");
                assert!(matches!(e.poll(line.now), Action::Idle), "Idle after Done");
                return run;
            }
            Action::Idle => panic!("idle before Done"),
        }
    }
    panic!("no Done after ten million actions");
}

/// A resynchronisation step, short.
fn resync(step: Resync) -> String {
    match step {
        Resync::Drained { bytes } => format!("Drained {bytes}"),
        Resync::EndedUpload => "EndedUpload".into(),
        Resync::Probed { count } => format!("Probed {count}"),
        Resync::InCommandMode => "InCommandMode".into(),
        other => format!("{other:?}"),
    }
}

/// What a resynchronisation of a modem in command mode on a quiet line shows: nothing to
/// drain, the terminators (drained as their echo, when echo is on), one probe answered.
pub fn clean_resync(echo: bool) -> Vec<String> {
    let echoed = if echo { 2 } else { 0 };
    [
        "Resync(Drained 0)".to_owned(),
        "Resync(EndedUpload)".to_owned(),
        format!("Resync(Drained {echoed})"),
        "Resync(Probed 1)".to_owned(),
        "Resync(InCommandMode)".to_owned(),
    ]
    .into()
}
