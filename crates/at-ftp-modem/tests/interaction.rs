//! Random interaction (after quinn-proto's): the core's real `Session` against the emulator's
//! sans-IO `Modem`, in memory with virtual time, driven by generated lists of operations:
//! deliver bytes either way, let time pass, move the server's side, flip or drop a byte on
//! the line, make the modem fail or go silent, abort from the host.
//!
//! Invariants, after every step: no panic; payload and transmits within their bounds; at
//! most one end per operation, and deadlines that fire when they pass. At the end, with
//! everything delivered and time let run, the operation has ended. A success delivered
//! exactly the file when the line was clean, and, when it was not, exactly what the stuffed
//! bytes on the line decode to: a broken stuffing is a failure, never a guess.
#![allow(clippy::unwrap_used)]

#[path = "../../at-ftp-proto/tests/oracle/mod.rs"]
mod oracle;

use std::time::Duration;

use at_ftp_modem::{Faults, Job, Modem};
use at_ftp_proto::{DLE, ETX, Error, Event, Instant, PAYLOAD_CHUNK, Request, Session};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// Up to this many bytes from the host reach the modem.
    ToModem(usize),
    /// Up to this many bytes from the modem reach the host.
    ToHost(usize),
    /// Everything pending either way is delivered, until the line is quiet (no time passes).
    Flush,
    /// The server side moves up to this many bytes of a download (or ends an upload whose
    /// terminator came).
    Serve(usize),
    /// Milliseconds of silence.
    Wait(u64),
    /// A byte on its way to the host is changed (xor with a non-zero mask).
    Flip(usize, u8),
    /// A byte on its way to the host is lost.
    Drop(usize),
    /// A byte on its way to the host becomes a DLE: the stuffing breaks where it lands in data.
    Garble(usize),
    /// The modem fails the transfer in progress with this `#CME ERROR` code.
    Fail(u32),
    /// The modem says nothing more, ever.
    Silence,
    /// The host aborts.
    Abort,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1usize..400).prop_map(Op::ToModem),
        6 => (1usize..400).prop_map(Op::ToHost),
        5 => Just(Op::Flush),
        4 => (1usize..1500).prop_map(Op::Serve),
        2 => prop_oneof![0u64..2000, 0u64..200_000].prop_map(Op::Wait),
        1 => (any::<usize>(), 1u8..=255).prop_map(|(i, m)| Op::Flip(i, m)),
        1 => any::<usize>().prop_map(Op::Drop),
        2 => any::<usize>().prop_map(Op::Garble),
        1 => prop_oneof![Just(37966u32), Just(38027), Just(35840), 1u32..100_000].prop_map(Op::Fail),
        1 => Just(Op::Silence),
        1 => Just(Op::Abort),
    ]
}

fn faults() -> impl Strategy<Value = Faults> {
    (any::<[bool; 7]>()).prop_map(|f| Faults {
        echo_off: f[0],
        numeric: f[1],
        urc_before_data: f[2],
        urc_after_data: f[3],
        nul_noise: f[4],
        extra_etx: f[5],
        garbage_lines: f[6],
        ..Faults::default()
    })
}

/// A file with special bytes well represented.
fn file() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![3 => any::<u8>(), 1 => Just(DLE), 1 => Just(ETX)],
        0..1500,
    )
}

/// The whole world: host, line, modem, server.
struct World {
    put: bool,
    file: Vec<u8>,
    session: Session,
    modem: Modem,
    verbose: bool,
    now: Instant,
    to_modem: Vec<u8>,
    to_host: Vec<u8>,
    /// Host input not yet taken by the session.
    rx_pending: Vec<u8>,
    /// Every byte the session took, in order; `data_start` indexes it at `DataBegin`.
    rx_log: Vec<u8>,
    data_start: Option<usize>,
    payload: Vec<u8>,
    /// The host's upload: how much of the file the session took, and whether it ended it.
    up_sent: usize,
    up_finished: bool,
    uploading: bool,
    job: Option<Job>,
    served: usize,
    stored: Vec<u8>,
    silent: bool,
    corrupted: bool,
    disturbed: bool,
    aborted: bool,
    ends: Vec<Result<u64, Error>>,
}

impl World {
    fn new(put: bool, file: Vec<u8>, faults: Faults) -> World {
        let verbose = !faults.numeric;
        let mut w = World {
            put,
            file,
            session: Session::default(),
            modem: Modem::new(faults),
            verbose,
            now: Instant::ZERO,
            to_modem: Vec::new(),
            to_host: Vec::new(),
            rx_pending: Vec::new(),
            rx_log: Vec::new(),
            data_start: None,
            payload: Vec::new(),
            up_sent: 0,
            up_finished: false,
            uploading: false,
            job: None,
            served: 0,
            stored: Vec::new(),
            silent: false,
            corrupted: false,
            disturbed: false,
            aborted: false,
            ends: Vec::new(),
        };
        let req = Request::new("ftp.example.com", "user", "pw", "/pub", "f.bin");
        if put {
            w.session.start_put(w.now, &req).unwrap();
        } else {
            w.session.start_get(w.now, &req).unwrap();
        }
        w.host();
        w
    }

    /// The host's side after any change: write what the session gives, take its events, feed
    /// the upload.
    fn host(&mut self) {
        loop {
            let mut moved = false;
            while let Some(t) = self.session.poll_transmit() {
                assert!(!t.bytes().is_empty() && t.bytes().len() <= 2 * PAYLOAD_CHUNK);
                self.to_modem.extend_from_slice(t.bytes());
                moved = true;
            }
            while let Some(e) = self.session.poll_event() {
                moved = true;
                match e {
                    Event::DataBegin => self.data_start = Some(self.rx_log.len()),
                    Event::ReadyForData => self.uploading = true,
                    Event::Payload(p) => {
                        assert!(!p.is_empty() && p.len() <= PAYLOAD_CHUNK);
                        self.payload.extend_from_slice(p);
                    }
                    Event::Complete { bytes } => self.ends.push(Ok(bytes)),
                    Event::Failed { error, .. } => self.ends.push(Err(error)),
                    _ => {}
                }
            }
            if self.uploading && !self.up_finished {
                let rest = &self.file[self.up_sent..];
                match self.session.write_payload(rest) {
                    Ok(n) if n > 0 => {
                        self.up_sent += n;
                        moved = true;
                    }
                    Ok(_) => {}
                    Err(_) => self.up_finished = true,
                }
                if self.up_sent == self.file.len() && !self.up_finished {
                    self.up_finished = self.session.finish_payload(self.now).is_ok();
                    moved = true;
                }
            }
            // Input the session left: give it again now that its outputs are drained.
            if !self.rx_pending.is_empty() {
                let used = self.session.handle_input(self.now, &self.rx_pending);
                self.rx_log.extend(self.rx_pending.drain(..used));
                moved |= used > 0;
            }
            if !moved {
                return;
            }
        }
    }

    /// The modem's FTP work: start a new job at once; move a download by `k` bytes; end an
    /// upload whose terminator came.
    fn serve(&mut self, k: usize) {
        self.serve_job(k);
        self.modem_out();
    }

    fn serve_job(&mut self, k: usize) {
        if self.job.is_none()
            && let Some(job) = self.modem.poll_job()
        {
            if job.put {
                self.modem.ready_for_data();
            } else {
                self.modem.data_begin();
            }
            self.job = Some(job);
            self.served = 0;
        }
        let Some(job) = &self.job else { return };
        if job.put {
            let (data, ended) = self.modem.take_upload();
            self.stored.extend(data);
            if ended {
                self.modem.upload_done(Ok(()));
                self.job = None;
            }
        } else {
            let n = k.min(self.file.len() - self.served);
            let more = self.modem.send_data(&self.file[self.served..self.served + n]);
            self.served += n;
            if !more || self.served == self.file.len() {
                self.modem.data_end(Ok(()));
                self.job = None;
            }
        }
    }

    fn modem_out(&mut self) {
        let out = self.modem.take_output();
        if !self.silent {
            self.to_host.extend(out);
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::ToModem(k) => {
                let n = k.min(self.to_modem.len());
                let bytes: Vec<u8> = self.to_modem.drain(..n).collect();
                self.modem.handle_input(&bytes);
                self.serve(0);
            }
            Op::ToHost(k) => {
                let n = k.min(self.to_host.len());
                self.rx_pending.extend(self.to_host.drain(..n));
            }
            Op::Serve(k) => self.serve(k),
            Op::Flush => {
                for _ in 0..100 {
                    if self.to_modem.is_empty() && self.to_host.is_empty() {
                        break;
                    }
                    self.apply(&Op::ToModem(usize::MAX));
                    self.apply(&Op::ToHost(usize::MAX));
                }
            }
            Op::Wait(ms) => {
                self.now = self.now + Duration::from_millis(ms);
                if self.session.poll_timeout().is_some_and(|d| d <= self.now) {
                    // A deadline passed with bytes still on their way: a failure, rightly.
                    self.disturbed = true;
                    self.session.handle_timeout(self.now);
                    // A passed deadline fires: none is left in the past.
                    assert!(self.session.poll_timeout().is_none_or(|d| d > self.now));
                }
            }
            Op::Flip(i, mask) => {
                if !self.to_host.is_empty() {
                    let i = i % self.to_host.len();
                    self.to_host[i] ^= mask;
                    self.corrupted = true;
                }
            }
            Op::Garble(i) => {
                if !self.to_host.is_empty() {
                    let i = i % self.to_host.len();
                    self.to_host[i] = DLE;
                    self.corrupted = true;
                }
            }
            Op::Drop(i) => {
                if !self.to_host.is_empty() {
                    self.to_host.remove(i % self.to_host.len());
                    self.corrupted = true;
                }
            }
            Op::Fail(code) => {
                if let Some(job) = self.job.take() {
                    if job.put {
                        self.modem.upload_done(Err(code));
                    } else {
                        self.modem.data_end(Err(code));
                    }
                    self.disturbed = true;
                    self.modem_out();
                }
            }
            Op::Silence => {
                self.silent = true;
                self.disturbed = true;
            }
            Op::Abort => {
                if self.session.abort(self.now) {
                    self.aborted = true;
                }
            }
        }
        self.host();
        self.check();
    }

    /// Everything delivered, the server's work done, time let run to each deadline.
    fn settle(&mut self) {
        for _ in 0..10_000 {
            self.host();
            if !self.to_modem.is_empty() {
                let bytes = std::mem::take(&mut self.to_modem);
                self.modem.handle_input(&bytes);
            }
            self.serve(usize::MAX);
            if !self.to_host.is_empty() {
                self.rx_pending.append(&mut self.to_host);
                self.host();
                self.check();
                continue;
            }
            if !self.to_modem.is_empty() {
                continue;
            }
            if !self.session.is_busy() {
                return;
            }
            let deadline =
                self.session.poll_timeout().expect("a busy session waits with a deadline");
            self.now = deadline;
            self.session.handle_timeout(self.now);
            self.check();
        }
        panic!("the operation never ended");
    }

    fn check(&self) {
        assert!(self.ends.len() <= 1, "more than one end: {:?}", self.ends);
        if let Some(Ok(bytes)) = self.ends.first() {
            assert!(!self.aborted, "an aborted operation succeeded");
            if self.put {
                assert_eq!(*bytes, self.file.len() as u64);
                if !self.corrupted {
                    assert!(self.stored == self.file, "the server holds another file");
                }
            } else {
                assert_eq!(*bytes, self.payload.len() as u64);
                if !self.corrupted {
                    assert!(self.payload == self.file, "a clean line delivered other bytes");
                }
                // Exactly what the stuffed bytes on the line decode to, strictly.
                let start = self.data_start.expect("a download succeeded without its data");
                let mut data = &self.rx_log[start..];
                if self.verbose && data.first() == Some(&b'\n') {
                    data = &data[1..];
                }
                let decoded = oracle::unescape(data, DLE, ETX, false);
                assert_eq!(decoded.finish, oracle::Finish::End, "success without a clean end");
                assert!(decoded.payload == self.payload, "the session guessed");
            }
        }
    }
}

proptest! {
    #[test]
    fn any_interaction_keeps_the_invariants(
        put in any::<bool>(),
        file in file(),
        faults in faults(),
        ops in proptest::collection::vec(op(), 0..60),
    ) {
        let mut w = World::new(put, file, faults);
        for op in &ops {
            w.apply(op);
        }
        w.settle();
        prop_assert_eq!(w.ends.len(), 1, "the operation ended once: {:?}", w.ends);
        if !w.corrupted && !w.disturbed && !w.aborted {
            prop_assert_eq!(&w.ends[0], &Ok(w.file.len() as u64), "a clean run succeeds");
        }
    }
}
