//! The modem side (DCE) of PROTOCOL.md as a sans-IO state machine.
//!
//! This module owns the command interpreter, the stored parameters, the result formatting (echo,
//! V0/V1), the data phases with their stuffing, and the fault switches. It does no I/O and no
//! FTP: a transfer becomes a [`Job`] for whoever runs the emulator, who reports back with
//! [`Modem::data_begin`], [`Modem::send_data`], [`Modem::data_end`] (downloads) or
//! [`Modem::ready_for_data`], [`Modem::take_upload`], [`Modem::upload_done`] (uploads).
//!
//! The command interpreter follows V.250 where a host's recovery depends on it: bytes before
//! the `AT` prefix of a line are ignored (a terminator or NUL sent to a modem that was in
//! command mode all along does no harm), a bare `AT` is answered `OK`, and bytes that come
//! while a command is still executing (an upload waiting for the server's verdict) are read
//! once its result is out. A line without any `AT` is answered `ERROR` when it holds a
//! printable byte (some modems ignore it; this is the harsher choice for a host), and
//! ignored when it holds only control bytes.

use std::collections::BTreeMap;
use std::fmt;

use at_ftp_proto::{Escaper, Strictness, Unescaper};

/// The longest command line the modem takes; longer ones get `#CME ERROR: 34881`.
pub const MAX_COMMAND: usize = 1024;

/// `#CME ERROR` codes the emulator uses (PROTOCOL.md section 6).
pub mod code {
    /// Unknown command.
    pub const UNKNOWN_COMMAND: u32 = 34817;
    /// Command too long.
    pub const TOO_LONG: u32 = 34881;
    /// Bad argument value.
    pub const BAD_ARGUMENT: u32 = 34882;
    /// The link is already up.
    pub const ALREADY_UP: u32 = 35840;
    /// A service is running: a parameter cannot be set now.
    pub const SERVICE_RUNNING: u32 = 37123;
    /// TCP session closed by the peer.
    pub const CLOSED_BY_PEER: u32 = 37966;
    /// TCP session could not be opened.
    pub const NOT_OPENED: u32 = 38016;
    /// DNS: the server name could not be resolved.
    pub const NOT_RESOLVED: u32 = 38027;
}

/// Deviations from the well-behaved modem, each a switch (all off by default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Echo off from the start, as after `ATE0` (real modems ship with echo on).
    pub echo_off: bool,
    /// Numeric result codes from the start, as after `ATV0`.
    pub numeric: bool,
    /// A `RING` URC before `Ok_Info_DataBegin` / `Ok_Info_WaitingForData`.
    pub urc_before_data: bool,
    /// A `RING` URC between the end of the data and the final result.
    pub urc_after_data: bool,
    /// NUL bytes before every response line.
    pub nul_noise: bool,
    /// Careless with passwords, as some firmware is: a NUL inside the echo of every command
    /// line (after its `=`), and `#FTPPW: "<password>"` after the `OK` to `AT#FTPPW=`.
    pub leaky: bool,
    /// One extra ETX after the download's terminator.
    pub extra_etx: bool,
    /// A garbage line before every final result.
    pub garbage_lines: bool,
    /// End a download after this many payload bytes: ETX, then `#CME ERROR: 37966`.
    pub abort_after: Option<u64>,
    /// Go silent after this many payload bytes of a download (no terminator, no result).
    pub silence_after: Option<u64>,
    /// After each download, `AT#FTPFILESIZE` reads as its size plus this (0: the true size);
    /// unset, it reads as whatever was last stored (nothing, on a new modem): the manual does
    /// not say what the parameter means.
    pub reported_size_delta: Option<i64>,
    /// Flip the lowest bit of the upload byte at this offset before the server gets it: a
    /// server (or a path to it) that stores something else than was sent, with `OK`.
    pub corrupt_upload_at: Option<u64>,
    /// Fail an upload after this many payload bytes: ETX, then `#CME ERROR: 37966`, and back
    /// to command mode while the host may still be sending (as when the server goes away).
    pub fail_upload_after: Option<u64>,
    /// Send each of the next this many final results (`OK`, `ERROR`, `#CME ERROR: <n>`)
    /// twice: a modem that repeats itself. Counts down as results go out (`u32::MAX`: all).
    pub duplicate_results: u32,
    /// Answer with a data phase nobody asked for instead of the next `OK` (then the switch
    /// turns itself off): see [`DataPhase`].
    pub unexpected_data: Option<DataPhase>,
}

/// A data phase the modem enters on its own ([`Faults::unexpected_data`]), in place of an
/// `OK`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataPhase {
    /// `Ok_Info_DataBegin`, [`STRAY_DATA`] stuffed, the terminator, then the `OK`.
    Download,
    /// `Ok_Info_WaitingForData`, then upload data mode until the host's lone terminator (what
    /// the host sent is kept for [`Modem::take_stray_upload`]), then ETX and the `OK`.
    Upload,
}

/// The payload of an unexpected download phase ([`DataPhase::Download`]): both special
/// bytes, and a line that looks like a final result.
pub const STRAY_DATA: &[u8] = b"stray\x03\x10\r\nOK\r\n";

/// The FTP work of a transfer, for the emulator's runner. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Job {
    /// Upload (`AT#FTPPUT`) rather than download.
    pub put: bool,
    /// `FTPSERV`.
    pub server: String,
    /// `FTPPORT`.
    pub port: u16,
    /// `FTPUN`.
    pub user: String,
    /// `FTPPW`.
    pub password: String,
    /// `FTPGETPATH` or `FTPPUTPATH`.
    pub dir: String,
    /// `FTPGETFILENAME` or `FTPPUTFILENAME`.
    pub file: String,
    /// `FTPTYPE=A`: the stack clears bit 7 of every byte.
    pub ascii: bool,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("put", &self.put)
            .field("server", &self.server)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"***")
            .field("dir", &self.dir)
            .field("file", &self.file)
            .field("ascii", &self.ascii)
            .finish()
    }
}

/// Where the modem is.
#[derive(Debug)]
enum State {
    /// Reading command lines.
    Command,
    /// A transfer job is out; waiting for the runner to start it.
    Starting { put: bool },
    /// Sending download data.
    Download { escaper: Escaper, sent: u64, silent: bool },
    /// Receiving upload data; `taken` payload bytes so far.
    Upload { unescaper: Unescaper, taken: u64 },
    /// The upload's terminator came; waiting for the runner's result. The host's bytes that
    /// come meanwhile are held, and read as commands once the result is out.
    UploadEnding { held: Vec<u8> },
    /// An upload data phase nobody asked for ([`DataPhase::Upload`]): no job, no server.
    StrayUpload { unescaper: Unescaper },
}

/// The emulated modem. Its `Debug` hides the stored passwords and the line being typed
/// (which may be a password command).
pub struct Modem {
    echo: bool,
    verbose: bool,
    link_up: bool,
    params: BTreeMap<String, String>,
    line: Vec<u8>,
    /// The current command line overflowed.
    overlong: bool,
    state: State,
    out: Vec<u8>,
    jobs: Vec<Job>,
    upload: Vec<u8>,
    /// What the host sent in upload data phases nobody asked for.
    stray_upload: Vec<u8>,
    faults: Faults,
    /// What the modem did, for a log, when one is kept ([`Modem::keep_log`]).
    log: Option<Vec<String>>,
}

/// The most entries the log holds between two [`Modem::take_log`].
const MAX_LOG: usize = 1024;

/// Parameters stored as strings (quoted on read-back); the others are numbers or letters.
const STRING_PARAMS: [&str; 9] = [
    "FTPSERV",
    "FTPUN",
    "FTPPW",
    "FTPGETPATH",
    "FTPGETFILENAME",
    "FTPPUTPATH",
    "FTPPUTFILENAME",
    "APNSERV",
    "APNUN",
];
/// Parameters stored as numbers or letters.
const BARE_PARAMS: [&str; 5] = ["FTPPORT", "FTPTYPE", "FTPMODE", "GPRSMODE", "FTPFILESIZE"];

impl fmt::Debug for Modem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: BTreeMap<&str, &str> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), if k.ends_with("PW") { "***" } else { v.as_str() }))
            .collect();
        f.debug_struct("Modem")
            .field("echo", &self.echo)
            .field("verbose", &self.verbose)
            .field("link_up", &self.link_up)
            .field("params", &params)
            .field("line_len", &self.line.len())
            .field("state", &self.state)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

impl Default for Modem {
    fn default() -> Self {
        Modem::new(Faults::default())
    }
}

impl Modem {
    /// A modem as shipped (echo on, verbose results, FTP port 21, binary type), then `faults`.
    pub fn new(faults: Faults) -> Self {
        let mut params = BTreeMap::new();
        params.insert("FTPPORT".to_owned(), "21".to_owned());
        params.insert("FTPTYPE".to_owned(), "I".to_owned());
        params.insert("GPRSMODE".to_owned(), "1".to_owned());
        Modem {
            echo: !faults.echo_off,
            verbose: !faults.numeric,
            link_up: false,
            params,
            line: Vec::new(),
            overlong: false,
            state: State::Command,
            out: Vec::new(),
            jobs: Vec::new(),
            upload: Vec::new(),
            stray_upload: Vec::new(),
            faults,
            log: None,
        }
    }

    /// Keeps a log from now on: each command line (a password's value shown as `***`), each
    /// answer, the end of each data phase with its byte count. Taken with
    /// [`take_log`](Self::take_log); at most 1024 entries are kept in between.
    pub fn keep_log(&mut self) {
        self.log.get_or_insert_with(Vec::new);
    }

    /// The log entries since the last call, taken out (none unless
    /// [`keep_log`](Self::keep_log) was called).
    pub fn take_log(&mut self) -> Vec<String> {
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn note(&mut self, entry: impl FnOnce() -> String) {
        if let Some(log) = &mut self.log
            && log.len() < MAX_LOG
        {
            log.push(entry());
        }
    }

    /// Sets echo (`ATE1`) and verbose results (`ATV1`) without sending commands.
    pub fn set_style(&mut self, echo: bool, verbose: bool) {
        self.echo = echo;
        self.verbose = verbose;
    }

    /// The fault switches in force.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The fault switches, to flip between exchanges. `echo_off` and `numeric` set the style
    /// only when the modem is made (and on `ATZ`); [`set_style`](Self::set_style) changes it.
    pub fn faults_mut(&mut self) -> &mut Faults {
        &mut self.faults
    }

    /// What the host sent in upload data phases nobody asked for
    /// ([`DataPhase::Upload`]), decoded, taken out. A host that ends such a phase at once
    /// leaves nothing here.
    pub fn take_stray_upload(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.stray_upload)
    }

    /// A stored parameter, as set.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// Takes the bytes the host wrote.
    pub fn handle_input(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            match &mut self.state {
                State::Upload { unescaper, taken } => {
                    // With a fault limit, no more than the limit is decoded, so that what
                    // follows it in this very read is read as commands, as it would be.
                    let limit = self.faults.fail_upload_after;
                    let room = limit.map_or(usize::MAX, |l| {
                        usize::try_from(l.saturating_sub(*taken)).unwrap_or(usize::MAX)
                    });
                    let mut buf = [0u8; 4096];
                    let room = room.min(buf.len());
                    let mut end = false;
                    if room > 0 {
                        let p = match unescaper.unescape(input, &mut buf[..room]) {
                            Ok(p) => p,
                            // Lenient decoding never fails.
                            Err(e) => e.progress,
                        };
                        if let Some(at) = self.faults.corrupt_upload_at
                            && let Some(i) = at.checked_sub(*taken)
                            && let Some(b) = buf[..p.written].get_mut(i as usize)
                        {
                            *b ^= 1;
                        }
                        *taken += p.written as u64;
                        self.upload.extend_from_slice(&buf[..p.written]);
                        input = &input[p.consumed..];
                        end = p.end;
                    }
                    let taken = *taken;
                    if limit.is_some_and(|l| taken >= l) && !end {
                        // The connection is gone: back to command mode while the host may
                        // still be sending.
                        self.state = State::Command;
                        self.out.push(at_ftp_proto::ETX);
                        self.final_result(Err(code::CLOSED_BY_PEER));
                    } else if end {
                        self.state = State::UploadEnding { held: Vec::new() };
                        self.note(|| format!("({taken} bytes of upload data, then the ETX)"));
                    }
                }
                State::StrayUpload { unescaper } => {
                    let mut buf = [0u8; 4096];
                    let p = match unescaper.unescape(input, &mut buf) {
                        Ok(p) => p,
                        Err(e) => e.progress,
                    };
                    self.stray_upload.extend_from_slice(&buf[..p.written]);
                    input = &input[p.consumed..];
                    if p.end {
                        self.state = State::Command;
                        self.out.push(at_ftp_proto::ETX);
                        self.ok();
                    }
                }
                State::UploadEnding { held } => {
                    held.extend_from_slice(input);
                    return;
                }
                // The data phase of a download and a job being started ignore the host.
                State::Download { .. } | State::Starting { .. } => return,
                State::Command => {
                    let b = input[0];
                    input = &input[1..];
                    if self.echo {
                        self.out.push(b);
                        if b == b'=' && self.faults.leaky {
                            self.out.push(0);
                        }
                    }
                    match b {
                        b'\r' => self.end_of_line(),
                        b'\n' => {}
                        _ if self.line.len() >= MAX_COMMAND => self.overlong = true,
                        _ => self.line.push(b),
                    }
                }
            }
        }
    }

    /// The bytes to send to the host, taken out.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The next FTP job for the runner.
    pub fn poll_job(&mut self) -> Option<Job> {
        if self.jobs.is_empty() { None } else { Some(self.jobs.remove(0)) }
    }

    /// The runner connected and opened the download: `Ok_Info_DataBegin`, data mode.
    pub fn data_begin(&mut self) {
        if let State::Starting { put: false } = self.state {
            self.urc_before_data();
            self.result("Ok_Info_DataBegin", 1025);
            self.state = State::Download { escaper: Escaper::new(), sent: 0, silent: false };
        }
    }

    /// Download data from the server, sent stuffed (and with bit 7 cleared in ASCII type).
    /// Returns false once the modem takes no more (a fault cut the transfer).
    pub fn send_data(&mut self, data: &[u8]) -> bool {
        let ascii = self.ascii();
        let State::Download { escaper, sent, silent } = &mut self.state else { return false };
        if *silent {
            return false;
        }
        let mut data = data;
        let cut = [self.faults.abort_after, self.faults.silence_after].into_iter().flatten().min();
        if let Some(cut) = cut {
            let room = cut.saturating_sub(*sent);
            data = &data[..data.len().min(usize::try_from(room).unwrap_or(usize::MAX))];
        }
        let cleared: Vec<u8>;
        if ascii {
            cleared = data.iter().map(|b| b & 0x7f).collect();
            data = &cleared;
        }
        escaper.escape_to_vec(data, &mut self.out);
        *sent += data.len() as u64;
        if cut.is_some_and(|cut| *sent >= cut) {
            if self.faults.silence_after.is_some_and(|s| *sent >= s) {
                *silent = true;
            } else {
                self.data_end(Err(code::CLOSED_BY_PEER));
            }
            return false;
        }
        true
    }

    /// The download ended: terminator, then `OK` or `#CME ERROR: <code>`.
    pub fn data_end(&mut self, result: Result<(), u32>) {
        let State::Download { escaper, silent, sent } = &mut self.state else { return };
        if *silent {
            return;
        }
        escaper.finish_to_vec(&mut self.out);
        let sent = *sent;
        if let Some(delta) = self.faults.reported_size_delta {
            let size = i64::try_from(sent).unwrap_or(i64::MAX).saturating_add(delta);
            self.params.insert("FTPFILESIZE".to_owned(), size.to_string());
        }
        self.note(|| format!("({sent} bytes of download data, then the ETX)"));
        if self.faults.extra_etx {
            self.out.push(at_ftp_proto::ETX);
        }
        self.state = State::Command;
        self.urc_after_data();
        self.final_result(result);
    }

    /// The runner could not start the transfer: `#CME ERROR: <code>` instead of the data phase.
    pub fn start_failed(&mut self, code: u32) {
        if let State::Starting { .. } = self.state {
            self.state = State::Command;
            self.final_result(Err(code));
        }
    }

    /// The runner opened the upload: `Ok_Info_WaitingForData`, data mode.
    pub fn ready_for_data(&mut self) {
        if let State::Starting { put: true } = self.state {
            self.urc_before_data();
            self.result("Ok_Info_WaitingForData", 1028);
            let unescaper = Unescaper::with(Default::default(), Strictness::Lenient);
            self.state = State::Upload { unescaper, taken: 0 };
        }
    }

    /// The upload data decoded so far (with bit 7 cleared in ASCII type), taken out, and
    /// whether the upload is over: the host's terminator came, or a fault ended it (then
    /// [`upload_done`](Self::upload_done) changes nothing).
    pub fn take_upload(&mut self) -> (Vec<u8>, bool) {
        let mut data = std::mem::take(&mut self.upload);
        if self.ascii() {
            data.iter_mut().for_each(|b| *b &= 0x7f);
        }
        (data, !matches!(self.state, State::Upload { .. }))
    }

    /// Whether the modem reads command lines (no transfer in progress).
    pub fn in_command_mode(&self) -> bool {
        matches!(self.state, State::Command)
    }

    /// Whether `FTPTYPE` is ASCII: the stack then clears bit 7 of every byte, both ways.
    fn ascii(&self) -> bool {
        self.param("FTPTYPE").is_some_and(|t| t.eq_ignore_ascii_case("A"))
    }

    /// The upload ended on the server: the echo of the host's ETX, then `OK` or
    /// `#CME ERROR: <code>`.
    ///
    /// What the host sent after its terminator is read now, as commands.
    pub fn upload_done(&mut self, result: Result<(), u32>) {
        let held = match &mut self.state {
            State::UploadEnding { held } => std::mem::take(held),
            State::Upload { .. } => Vec::new(),
            _ => return,
        };
        self.state = State::Command;
        self.out.push(at_ftp_proto::ETX);
        self.urc_after_data();
        self.final_result(result);
        self.handle_input(&held);
    }

    fn end_of_line(&mut self) {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).trim().to_owned();
        if std::mem::take(&mut self.overlong) {
            return self.final_result(Err(code::TOO_LONG));
        }
        // V.250: whatever precedes the `AT` prefix is ignored (a host's terminators, NULs,
        // the rest of a line it abandoned).
        let Some(at) = line.as_bytes().windows(2).position(|w| w.eq_ignore_ascii_case(b"AT"))
        else {
            if line.bytes().any(|b| b.is_ascii_graphic()) {
                self.error();
            }
            return;
        };
        let line = &line[at..];
        self.note(|| format!("> {}", redacted(line)));
        let upper = line.to_ascii_uppercase();
        let Some(command) = upper.strip_prefix("AT") else {
            return self.error();
        };
        match command {
            "" | "&D" | "&D0" | "&D1" | "&D2" | "&K" | "&K0" | "&K3" => self.ok(),
            "E0" | "E1" => {
                self.echo = command == "E1";
                self.ok();
            }
            "V0" | "V1" => {
                self.verbose = command == "V1";
                self.ok();
            }
            "Z" => {
                self.echo = !self.faults.echo_off;
                self.verbose = !self.faults.numeric;
                self.ok();
            }
            _ if command.starts_with("+CMEE") => self.ok(),
            _ => match command.strip_prefix('#') {
                // Parameter values keep their letter case: take them from `line`.
                Some(rest) => self.hash_command(rest, &line[3..]),
                None => self.error(),
            },
        }
    }

    /// An `AT#` command; `raw` is the same text in its original letter case.
    fn hash_command(&mut self, upper: &str, raw: &str) {
        match upper {
            "CONNECTIONSTART" => {
                if self.link_up {
                    return self.final_result(Err(code::ALREADY_UP));
                }
                self.link_up = true;
                self.info("10.64.3.17");
                self.result("Ok_Info_GprsActivation", 3086);
            }
            "CONNECTIONSTOP" => {
                self.link_up = false;
                self.ok();
            }
            "VSTATE" => {
                let state = if self.link_up { "CONNECTED" } else { "IDLE" };
                self.info(&format!("#STATE: \"{state}\""));
                self.ok();
            }
            "FTPGET" | "FTPPUT" => {
                let put = upper == "FTPPUT";
                let get = |name: &str| self.params.get(name).cloned().unwrap_or_default();
                let (dir, file) = if put {
                    (get("FTPPUTPATH"), get("FTPPUTFILENAME"))
                } else {
                    (get("FTPGETPATH"), get("FTPGETFILENAME"))
                };
                let job = Job {
                    put,
                    server: get("FTPSERV"),
                    port: get("FTPPORT").parse().unwrap_or(21),
                    user: get("FTPUN"),
                    password: get("FTPPW"),
                    dir,
                    file,
                    ascii: get("FTPTYPE").eq_ignore_ascii_case("A"),
                };
                self.jobs.push(job);
                self.state = State::Starting { put };
            }
            _ => {
                if let Some((name, _)) = upper.split_once('=') {
                    let value = &raw[name.len() + 1..];
                    return self.set(name, value);
                }
                let name = upper.strip_suffix('?').unwrap_or(upper);
                self.read(name);
            }
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        let value = if STRING_PARAMS.contains(&name) || name == "APNPW" {
            match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(v) if !v.contains('"') => v,
                _ => return self.final_result(Err(code::BAD_ARGUMENT)),
            }
        } else if BARE_PARAMS.contains(&name) {
            let ok = match name {
                "FTPPORT" => value.parse::<u16>().is_ok_and(|p| p > 0),
                "FTPTYPE" => value.eq_ignore_ascii_case("A") || value.eq_ignore_ascii_case("I"),
                _ => value.parse::<u32>().is_ok(),
            };
            if !ok {
                return self.final_result(Err(code::BAD_ARGUMENT));
            }
            value
        } else {
            return self.final_result(Err(code::UNKNOWN_COMMAND));
        };
        self.params.insert(name.to_owned(), value.to_owned());
        self.ok();
        if name == "FTPPW" && self.faults.leaky {
            self.info(&format!("#FTPPW: \"{value}\""));
        }
    }

    fn read(&mut self, name: &str) {
        let quoted = STRING_PARAMS.contains(&name);
        if !quoted && !BARE_PARAMS.contains(&name) {
            return self.final_result(Err(code::UNKNOWN_COMMAND));
        }
        let value = self.params.get(name).cloned().unwrap_or_default();
        let text =
            if quoted { format!("#{name}: \"{value}\"") } else { format!("#{name}: {value}") };
        self.info(&text);
        self.ok();
    }

    fn urc_before_data(&mut self) {
        if self.faults.urc_before_data {
            self.info("RING");
        }
    }

    fn urc_after_data(&mut self) {
        if self.faults.urc_after_data {
            self.info("RING");
        }
    }

    fn ok(&mut self) {
        self.final_result(Ok(()));
    }

    fn error(&mut self) {
        for _ in 0..self.repeats() {
            self.noise();
            self.result("ERROR", 4);
        }
    }

    fn final_result(&mut self, result: Result<(), u32>) {
        if result.is_ok()
            && let Some(phase) = self.faults.unexpected_data.take()
        {
            self.urc_before_data();
            match phase {
                DataPhase::Download => {
                    self.result("Ok_Info_DataBegin", 1025);
                    let mut escaper = Escaper::new();
                    escaper.escape_to_vec(STRAY_DATA, &mut self.out);
                    escaper.finish_to_vec(&mut self.out);
                }
                DataPhase::Upload => {
                    // The `OK` comes after the host's terminator.
                    self.result("Ok_Info_WaitingForData", 1028);
                    let unescaper = Unescaper::with(Default::default(), Strictness::Lenient);
                    self.state = State::StrayUpload { unescaper };
                    return;
                }
            }
        }
        for _ in 0..self.repeats() {
            if self.faults.garbage_lines {
                self.info("~#garbage%");
            }
            match result {
                Ok(()) => self.result("OK", 0),
                Err(n) => self.info(&format!("#CME ERROR: {n}")),
            }
        }
    }

    /// How many times the next final result goes out: twice while
    /// [`Faults::duplicate_results`] counts.
    fn repeats(&mut self) -> usize {
        let twice = self.faults.duplicate_results > 0;
        if twice && self.faults.duplicate_results != u32::MAX {
            self.faults.duplicate_results -= 1;
        }
        1 + usize::from(twice)
    }

    /// A result code: `\r\n<text>\r\n` verbose, `<code>\r` numeric (V.250).
    fn result(&mut self, text: &str, numeric: u16) {
        self.note(|| format!("< {text}"));
        self.noise();
        if self.verbose {
            self.out.extend_from_slice(format!("\r\n{text}\r\n").as_bytes());
        } else {
            self.out.extend_from_slice(format!("{numeric}\r").as_bytes());
        }
    }

    /// Information text: always `\r\n<text>\r\n`.
    fn info(&mut self, text: &str) {
        self.note(|| format!("< {}", redacted(text)));
        self.noise();
        self.out.extend_from_slice(format!("\r\n{text}\r\n").as_bytes());
    }

    fn noise(&mut self) {
        if self.faults.nul_noise {
            self.out.extend_from_slice(b"\0\0");
        }
    }
}
/// A line for the log: the value of a password assignment (`...PW=`) or read-back
/// (`...PW: `) as `***`.
fn redacted(line: &str) -> String {
    let upper = line.to_ascii_uppercase();
    let at = upper.find("PW=").map(|at| at + 3).or_else(|| upper.find("PW: ").map(|at| at + 4));
    match at {
        Some(at) => format!("{}***", &line[..at]),
        None => line.to_owned(),
    }
}
