//! `at-ftp get` and `at-ftp put`: the arguments and the local files checked before the port
//! is opened, the blocking client driven, the progress bar, the transcript, the interruption,
//! and every failure put in words and in its class (the exit status).

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, IsTerminal};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use at_ftp_blocking::{Client, Digest, Error as RunError, Event, Serial, Verify};
use at_ftp_host::PartFile;
use at_ftp_proto::{
    Config, Dialect, Error, LinkRequest, ModemError, Param, Request, Timer, TransferType,
};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Failure;
use crate::interrupt::Interrupt;
use crate::target::{self, Target};
use crate::trace::Transcript;
use crate::verify::GetChecks;

/// The environment variable whose value, when set, is the FTP password (after the URL's).
pub(crate) const PASSWORD_VAR: &str = "AT_FTP_PASSWORD";
/// The environment variable whose value, when set, is the serial device.
pub(crate) const DEVICE_VAR: &str = "AT_FTP_DEVICE";
/// The environment variable whose value, when set, is the access point's password.
pub(crate) const APN_PASSWORD_VAR: &str = "AT_FTP_APN_PASSWORD";

/// What `get` and `put` share: the port, the transfer type, the link, the deadlines.
///
/// No `Debug`: it holds the APN password.
#[derive(Args, Clone)]
pub(crate) struct ModemArgs {
    /// The modem's serial port, such as /dev/ttyUSB0
    #[arg(short, long, value_name = "PATH", env = DEVICE_VAR)]
    pub(crate) device: PathBuf,
    /// Bits per second on the serial port
    #[arg(long, value_name = "N", default_value_t = 115_200)]
    pub(crate) baud: u32,
    /// ASCII transfer type (FTPTYPE=A: the modem clears bit 7 of every byte); binary is the
    /// default
    #[arg(long)]
    pub(crate) ascii: bool,
    /// A raw FTPMODE value, sent only when given (the manual does not document the values)
    #[arg(long, value_name = "N")]
    pub(crate) ftp_mode: Option<u8>,
    /// Bring the IP link up first (AT#CONNECTIONSTART) with this access point name
    #[arg(long, value_name = "APN")]
    pub(crate) apn: Option<String>,
    /// The access point's user name
    #[arg(long, value_name = "USER", requires = "apn", default_value = "")]
    pub(crate) apn_user: String,
    /// The access point's password
    #[arg(
        long,
        value_name = "PASSWORD",
        requires = "apn",
        default_value = "",
        env = APN_PASSWORD_VAR,
        hide_env_values = true
    )]
    pub(crate) apn_password: String,
    /// Read parameters back in the S000333D form, without '?' (AT#FTPFILESIZE)
    #[arg(long)]
    pub(crate) legacy_read: bool,
    /// Seconds a parameter command may take
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "5")]
    pub(crate) command_timeout: Duration,
    /// Seconds bringing the link up may take
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "120")]
    pub(crate) link_timeout: Duration,
    /// Seconds until the transfer starts (DNS, connection, login)
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "120")]
    pub(crate) start_timeout: Duration,
    /// Seconds of silence allowed inside the data
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "60")]
    pub(crate) idle_timeout: Duration,
    /// Seconds from the end of the data to the modem's final result
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "30")]
    pub(crate) result_timeout: Duration,
    /// Write a transcript of both directions, every line timestamped, to FILE ('-' for
    /// standard error); passwords shown as ***
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
    /// Show each command and answer on standard error, timestamped (passwords shown as ***,
    /// long reads such as file data shortened); no progress bar
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Hardware flow control: rts-cts (the default, as PROTOCOL.md asks for uploads; a port
    /// that refuses it falls back to none, with a notice) or none
    #[arg(long, value_name = "KIND", value_enum)]
    pub(crate) flow: Option<Flow>,
    /// No progress bar and no summary
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Try again this many times after a transient failure (a silent modem, a port that hung
    /// up, #CME ERROR 37966), never after a refusal or a local problem
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) retry: u32,
    /// Seconds between two attempts
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "5")]
    pub(crate) retry_delay: Duration,
    /// The one-line summary after a success (the demo prints its own).
    #[arg(skip = true)]
    pub(crate) summary: bool,
    /// Whether a URL without a password takes `AT_FTP_PASSWORD` or a prompt (not in the
    /// demo, whose URLs carry their password).
    #[arg(skip = true)]
    pub(crate) password_from_env: bool,
}

impl ModemArgs {
    /// The defaults of the command line, for `device`.
    #[cfg(feature = "emulator")]
    pub(crate) fn for_device(device: &Path) -> ModemArgs {
        let config = Config::default();
        ModemArgs {
            device: device.to_owned(),
            baud: 115_200,
            ascii: false,
            ftp_mode: None,
            apn: None,
            apn_user: String::new(),
            apn_password: String::new(),
            legacy_read: false,
            command_timeout: config.command_timeout,
            link_timeout: config.link_timeout,
            start_timeout: config.start_timeout,
            idle_timeout: config.data_timeout,
            result_timeout: config.result_timeout,
            trace: None,
            verbose: false,
            flow: None,
            quiet: false,
            retry: 0,
            retry_delay: Duration::from_secs(5),
            summary: true,
            password_from_env: true,
        }
    }

    fn config(&self) -> Config {
        Config {
            command_timeout: self.command_timeout,
            link_timeout: self.link_timeout,
            start_timeout: self.start_timeout,
            data_timeout: self.idle_timeout,
            result_timeout: self.result_timeout,
            ..Config::default()
        }
    }

    fn link(&self) -> Option<LinkRequest<'_>> {
        let apn = self.apn.as_deref()?;
        Some(LinkRequest { apn, user: &self.apn_user, password: &self.apn_password })
    }

    pub(crate) fn dialect(&self) -> Dialect {
        if self.legacy_read { Dialect::Legacy } else { Dialect::Query }
    }
}

/// The `--flow` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Flow {
    /// RTS/CTS hardware flow control
    RtsCts,
    /// None
    None,
}

/// The most characters of one read or write `-v` shows.
const VERBOSE_LIMIT: usize = 120;

/// A transcript's destination.
type Sink = Box<dyn io::Write + Send>;

/// A number of seconds, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("'{text}' is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| format!("'{text}' seconds is out of range"))
}

/// Where `get` writes, resolved before the port is opened.
#[derive(Debug)]
enum Output {
    Stdout,
    /// A regular file (new or replaced; a symbolic link followed to it): written into a
    /// temporary file beside it, renamed over it after the modem's `OK`.
    File(PathBuf, PartFile),
    /// A character device or a FIFO: written into in place (nothing to rename).
    Device(PathBuf, File),
}

/// The URL parsed; without a password in it, `AT_FTP_PASSWORD`, else a prompt when standard
/// input is a terminal (not for anonymous).
fn parse_target(args: &ModemArgs, url: &str) -> Result<Target, Failure> {
    let mut target = target::parse(url).map_err(Failure::Usage)?;
    if !args.password_from_env || !target.password.is_empty() {
        return Ok(target);
    }
    if let Ok(password) = std::env::var(PASSWORD_VAR) {
        target.password = password;
    } else if target.user != "anonymous" && io::stdin().is_terminal() {
        // Asked once per run, not once per `--retry` attempt.
        static PROMPTED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        target.password = match PROMPTED.get() {
            Some(p) => p.clone(),
            None => {
                let prompt = format!("Password for {}@{}: ", target.user, target.server);
                let p = rpassword::prompt_password(prompt)
                    .map_err(|e| Failure::Usage(format!("could not read the password: {e}")))?;
                PROMPTED.get_or_init(|| p).clone()
            }
        };
    }
    Ok(target)
}

/// Follows `path` through symbolic links (relative ones from their own directory) to what
/// they name, which need not exist yet.
fn follow(path: &Path) -> Result<PathBuf, Failure> {
    let mut path = path.to_owned();
    for _ in 0..40 {
        match path.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&path).map_err(|e| local(&path, &e))?;
                path = match path.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(Failure::Local(format!("{}: too many levels of symbolic links", path.display())))
}

fn local(path: &Path, e: &io::Error) -> Failure {
    Failure::Local(format!("{}: {e}", path.display()))
}

/// Where `-o` writes, opened (or its temporary file created) now: a directory, a directory
/// that does not exist or cannot be written, a device that cannot be opened are refused
/// before any paid data comes.
fn open_output(path: &Path) -> Result<Output, Failure> {
    if path == Path::new("-") {
        return Ok(Output::Stdout);
    }
    let target = follow(path)?;
    let meta = match target.metadata() {
        Ok(m) => Some(m),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(local(&target, &e)),
    };
    if let Some(m) = &meta {
        use std::os::unix::fs::FileTypeExt;
        let kind = m.file_type();
        if kind.is_dir() {
            return Err(Failure::Local(format!("{} is a directory", target.display())));
        }
        if kind.is_char_device() || kind.is_fifo() {
            let file =
                OpenOptions::new().write(true).open(&target).map_err(|e| local(&target, &e))?;
            return Ok(Output::Device(target, file));
        }
        if !kind.is_file() {
            return Err(Failure::Local(format!(
                "{} is neither a regular file nor a character device or FIFO",
                target.display()
            )));
        }
    }
    let part = PartFile::create(&target).map_err(|e| {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.display().to_string(),
            _ => ".".to_owned(),
        };
        Failure::Local(format!("cannot write {} (in {dir}): {}", target.display(), cause(&e)))
    })?;
    Ok(Output::File(target, part))
}

fn request<'a>(args: &ModemArgs, t: &'a Target) -> Request<'a> {
    let mut req = t.request();
    req.kind = if args.ascii { TransferType::Ascii } else { TransferType::Binary };
    req.mode = args.ftp_mode;
    req
}

/// Every argument checked, before anything is opened.
fn check(args: &ModemArgs, req: &Request<'_>) -> Result<(), Failure> {
    req.check(&args.config().limits).map_err(refused)?;
    check_link(args)
}

/// The link's arguments checked, before anything is opened.
pub(crate) fn check_link(args: &ModemArgs) -> Result<(), Failure> {
    match args.link() {
        Some(link) => link.check(&args.config().limits).map_err(refused),
        None => Ok(()),
    }
}

fn refused(e: at_ftp_proto::ParamError) -> Failure {
    Failure::Usage(format!("refused before opening the port: {e}"))
}

/// A client on the port and its transcripts.
pub(crate) struct Connection {
    client: Client,
    /// Shared with the client's wire tap (`--trace`, `-v`); taken out when finished.
    transcripts: Arc<Mutex<Vec<Transcript<Sink>>>>,
    device: String,
}

impl Connection {
    /// Opens the port. `passwords`: the FTP passwords, which the transcript hides wherever
    /// the modem repeats them.
    pub(crate) fn open(
        args: &ModemArgs,
        interrupt: &Interrupt,
        passwords: &[String],
    ) -> Result<Connection, Failure> {
        let device = args.device.to_string_lossy().into_owned();
        let secrets = || {
            let mut all: Vec<Vec<u8>> = passwords.iter().map(|p| p.as_bytes().to_vec()).collect();
            all.push(args.apn_password.as_bytes().to_vec());
            all
        };
        let mut transcripts = Vec::new();
        if let Some(path) = &args.trace {
            let out: Sink = if path == Path::new("-") {
                Box::new(io::stderr())
            } else {
                Box::new(File::create(path).map_err(|e| {
                    Failure::Local(format!(
                        "could not create the trace file {}: {e}",
                        path.display()
                    ))
                })?)
            };
            transcripts.push(Transcript::with_secrets(out, secrets()).stamped());
        }
        if args.verbose {
            let out: Sink = Box::new(io::stderr());
            let t = Transcript::with_secrets(out, secrets()).stamped().shortened(VERBOSE_LIMIT);
            transcripts.push(t);
        }
        let mut client = open_port(args, &device)?;
        let transcripts = Arc::new(Mutex::new(transcripts));
        if !transcripts.lock().map(|t| t.is_empty()).unwrap_or(true) {
            let shared = transcripts.clone();
            client.on_wire(move |wire| {
                if let Ok(mut all) = shared.lock() {
                    for t in all.iter_mut() {
                        t.record(wire);
                    }
                }
            });
        }
        interrupt.watch(client.abort_handle());
        if let Some(signal) = interrupt.signal() {
            return Err(Failure::Interrupted(signal));
        }
        Ok(Connection { client, transcripts, device })
    }

    /// Brings the link up when `--apn` asks for it, the bar telling the phase; the address
    /// the modem gave, if it did.
    pub(crate) fn link_up(
        &mut self,
        args: &ModemArgs,
        bar: &ProgressBar,
        interrupt: &Interrupt,
    ) -> Result<Option<Ipv4Addr>, Failure> {
        let Some(link) = args.link() else { return Ok(None) };
        let label = bar.message();
        bar.set_message(format!("bringing the link up ({})", link.apn));
        let result = self.client.link_up(&link);
        bar.set_message(label);
        self.check(result, interrupt)
    }

    /// The client on the port.
    pub(crate) fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// A failure in words and in its class; any failure after a signal is the interruption.
    pub(crate) fn check<T>(
        &mut self,
        result: Result<T, RunError>,
        i: &Interrupt,
    ) -> Result<T, Failure> {
        result.map_err(|e| match i.signal() {
            Some(signal) => Failure::Interrupted(signal),
            None => classify(&e, describe(&e, &self.device)),
        })
    }

    /// Writes out the transcripts.
    pub(crate) fn finish(self) -> Result<(), Failure> {
        // A poisoned lock means a panic elsewhere; the transcripts are then as good as lost.
        let all = self.transcripts.lock().map(|mut t| std::mem::take(&mut *t)).unwrap_or_default();
        let mut first = Ok(());
        for t in all {
            if let Err(e) = t.finish()
                && first.is_ok()
            {
                first = Err(Failure::Local(format!("could not write the trace file: {e}")));
            }
        }
        first
    }
}

/// Opens the port with the flow control asked for; RTS/CTS by default, which a port that
/// refuses it gives up for none, with a notice.
fn open_port(args: &ModemArgs, device: &str) -> Result<Client, Failure> {
    let open = |rts_cts| {
        let line = Serial { baud: args.baud, rts_cts, config: args.config() };
        Client::open(device, &line).map_err(|e| {
            Failure::Port(format!("could not open the serial port {device}: {}", source(&e)))
        })
    };
    match args.flow {
        Some(Flow::None) => open(false),
        Some(Flow::RtsCts) => open(true),
        None => open(true).or_else(|refused| {
            let client = open(false).map_err(|_| refused)?;
            if !args.quiet {
                eprintln!("at-ftp: {device} refuses RTS/CTS flow control: none is used");
            }
            Ok(client)
        }),
    }
}

/// Runs `attempt`, and again after a transient failure, as `--retry` says.
fn retrying<T>(
    args: &ModemArgs,
    mut attempt: impl FnMut() -> Result<T, Failure>,
) -> Result<T, Failure> {
    let mut left = args.retry;
    loop {
        match attempt() {
            Err(failure) if left > 0 && failure.transient() => {
                let secs = args.retry_delay.as_secs_f64();
                eprintln!("at-ftp: {failure}; trying again in {secs} s ({left} more)");
                left -= 1;
                if let Some(signal) = Interrupt::install()?.sleep(args.retry_delay) {
                    return Err(Failure::Interrupted(signal));
                }
            }
            other => return other,
        }
    }
}

/// What `get` and `put` do with the files of a batch.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Batch {
    /// Stop at the first file that fails.
    pub(crate) fail_fast: bool,
}

/// One port session for every file of a command: the port opened, and the link brought up,
/// when the first file needs it; opened again after the port failed. The modem is told only
/// the settings that changed from one file to the next (the client's session).
struct Line<'a> {
    args: &'a ModemArgs,
    interrupt: Interrupt,
    /// Every FTP password of the batch, hidden in the transcripts.
    passwords: Vec<String>,
    connection: Option<Connection>,
    /// Whether to ask for `FTPFILESIZE` after a download: a modem that once gave no number
    /// is not asked again in this session.
    ask_size: bool,
}

impl<'a> Line<'a> {
    fn new(args: &'a ModemArgs, passwords: Vec<String>) -> Result<Line<'a>, Failure> {
        let interrupt = Interrupt::install()?;
        Ok(Line { args, interrupt, passwords, connection: None, ask_size: true })
    }

    /// The connection, opened (and the link brought up) if it is not.
    fn connection(&mut self) -> Result<&mut Connection, Failure> {
        if self.connection.is_none() {
            let mut c = Connection::open(self.args, &self.interrupt, &self.passwords)?;
            let quiet = self.args.quiet || self.args.verbose;
            let bar = progress(quiet, None, "link");
            let linked = c.link_up(self.args, &bar, &self.interrupt);
            bar.finish_and_clear();
            if let Err(failure) = linked {
                c.finish()?;
                return Err(failure);
            }
            self.connection = Some(c);
        }
        self.connection.as_mut().ok_or_else(|| Failure::Port("the port is not open".into()))
    }

    /// After a failure: a port that failed is closed, to be opened again.
    fn after(&mut self, failure: &Failure) -> Result<(), Failure> {
        if matches!(failure, Failure::Port(_))
            && let Some(c) = self.connection.take()
        {
            c.finish()?;
        }
        Ok(())
    }

    /// Runs `job` on each of `jobs`, each with `--retry`; a summary line per failed file when
    /// there are several. The first failure's class is the batch's.
    fn each<J>(
        &mut self,
        jobs: &[J],
        batch: Batch,
        name: impl Fn(&J) -> String,
        mut job: impl FnMut(&mut Line<'a>, &J) -> Result<u64, Failure>,
    ) -> Result<(), Failure> {
        let mut first: Option<Failure> = None;
        let mut failed = 0;
        for j in jobs {
            let result = retrying(self.args, || {
                let result = job(self, j);
                if let Err(failure) = &result {
                    self.after(failure)?;
                }
                result
            });
            match result {
                Ok(_) => {}
                Err(failure @ Failure::Interrupted(_)) => {
                    self.finish()?;
                    return Err(failure);
                }
                Err(failure) if jobs.len() == 1 => first = Some(failure),
                Err(failure) => {
                    eprintln!("at-ftp: {}: {failure}", name(j));
                    failed += 1;
                    first.get_or_insert(failure);
                    if batch.fail_fast {
                        break;
                    }
                }
            }
        }
        self.finish()?;
        match first {
            None => Ok(()),
            Some(failure) if jobs.len() == 1 => Err(failure),
            Some(failure) => Err(Failure::Batch {
                code: failure.code(),
                message: format!("{failed} of {} files failed", jobs.len()),
            }),
        }
    }

    fn finish(&mut self) -> Result<(), Failure> {
        match self.connection.take() {
            Some(c) => c.finish(),
            None => Ok(()),
        }
    }
}

/// A file of a `get`: where from, where to.
struct GetJob {
    target: Target,
    path: PathBuf,
}

/// Downloads the files the URLs name over one port session, committing each only when it
/// passes `checks`: into `output` for one URL, into the directory `output` names for
/// several (by their remote names; the current directory without `-o`).
pub(crate) fn get(
    args: &ModemArgs,
    checks: &GetChecks,
    urls: &[String],
    output: Option<&Path>,
    batch: Batch,
) -> Result<(), Failure> {
    let dir = match output {
        Some(dir) if urls.len() > 1 => {
            if dir == Path::new("-") {
                return Err(Failure::Usage("several files cannot go to standard output".into()));
            }
            if !dir.is_dir() {
                return Err(Failure::Local(format!(
                    "with several URLs, -o names a directory, and {} is none",
                    dir.display()
                )));
            }
            Some(dir)
        }
        _ => None,
    };
    // Every argument is checked before anything is opened.
    let mut jobs = Vec::new();
    for url in urls {
        let target = parse_target(args, url)?;
        check(args, &request(args, &target))?;
        let path = match (output, dir) {
            (Some(p), None) => p.to_owned(),
            // The remote name's last component, in the directory.
            (_, dir) => match Path::new(&target.file).file_name() {
                Some(name) => dir.map_or_else(|| PathBuf::from(name), |d| d.join(name)),
                None => {
                    return Err(Failure::Usage(format!(
                        "'{}' is no file name: use -o",
                        target.file
                    )));
                }
            },
        };
        jobs.push(GetJob { target, path });
    }
    let passwords = jobs.iter().map(|j| j.target.password.clone()).collect();
    let mut line = Line::new(args, passwords)?;
    line.each(&jobs, batch, |j| j.target.file.clone(), |line, j| get_file(line, checks, j))
}

/// Uploads `local` as the file the URL names (or into the directory it names); with
/// `verify`, then downloads it back and compares. Several files go into the directory the
/// URL names, over one port session.
pub(crate) fn put(
    args: &ModemArgs,
    locals: &[PathBuf],
    url: &str,
    verify: bool,
    batch: Batch,
) -> Result<(), Failure> {
    if locals.len() > 1 && !url.ends_with('/') {
        return Err(Failure::Usage(
            "with several files, the URL names a directory: end it with /".into(),
        ));
    }
    let mut jobs = Vec::new();
    for local in locals {
        let url = with_local_name(url, local)?;
        let target = parse_target(args, &url)?;
        check(args, &request(args, &target))?;
        jobs.push(PutJob { local: local.clone(), target });
    }
    let passwords = jobs.iter().map(|j| j.target.password.clone()).collect();
    let mut line = Line::new(args, passwords)?;
    line.each(&jobs, batch, |j| j.local.display().to_string(), |line, j| put_file(line, j, verify))
}

/// A file of a `put`: where from, where to.
struct PutJob {
    local: PathBuf,
    target: Target,
}

/// Downloads into `sink` through a check of `verify`: the bytes and the digests computed, or
/// the failure (a mismatch among them).
fn checked_get(
    client: &mut Client,
    req: &Request<'_>,
    verify: &Verify,
    sink: impl io::Write,
) -> Result<(u64, Vec<Digest>), RunError> {
    let mut sink = verify.checked(sink);
    let bytes = client.get(req, &mut sink)?;
    let (_, digests) = sink.finish()?;
    Ok((bytes, digests))
}

/// One download of a `get`.
fn get_file(line: &mut Line<'_>, checks: &GetChecks, job: &GetJob) -> Result<u64, Failure> {
    let (args, interrupt) = (line.args, line.interrupt.clone());
    let (target, path) = (&job.target, &job.path);
    let req = request(args, target);
    let output = open_output(path)?;
    if let Output::File(_, part) = &output {
        interrupt.part(Some(part.path().to_owned()));
    }
    let ask_size = line.ask_size || checks.strict_size;
    let session = line.connection()?;
    let bar = progress(args.quiet || args.verbose, None, &format!("get {}", target.file));
    let mut verify = checks.verify(args.verbose);
    if checks.checksum_file {
        let digest = session.client.sidecar(&req);
        let digest = session.check(digest, &interrupt)?;
        if args.verbose {
            eprintln!("at-ftp: the checksum file says {digest}");
        }
        verify = verify.expect(digest);
    }
    session.client.on_event(progress_to(&bar, Some(interrupt.clone())));
    let start = Instant::now();
    let client = &mut session.client;
    let result = match &output {
        Output::Stdout => checked_get(client, &req, &verify, io::stdout().lock()),
        Output::File(_, part) => checked_get(client, &req, &verify, part.file()),
        Output::Device(_, file) => checked_get(client, &req, &verify, file),
    };
    bar.finish_and_clear();
    let result = session.check(result, &interrupt);
    if let Ok((_, digests)) = &result
        && args.verbose
    {
        for digest in digests {
            eprintln!("at-ftp: {digest}");
        }
    }
    // A modem that knows FTPFILESIZE (its meaning is unconfirmed: PROTOCOL.md section 2)
    // may report the size of the file just moved; one that disagrees is worth a warning, or
    // with --strict-size a failure, before the file is committed. Others answer ERROR or no
    // number, which changes nothing (and they are not asked again).
    let mut gave_size = false;
    let result = result.and_then(|(bytes, _)| {
        let reported = match ask_size {
            true => session.client.read_param(Param::FileSize, args.dialect()).ok(),
            false => None,
        };
        let reported = reported
            .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse::<u64>().ok())
            .filter(|&n| n > 0);
        gave_size = reported.is_some();
        match reported.filter(|&n| n != bytes) {
            Some(n) if checks.strict_size => Err(Failure::Verify(format!(
                "the modem reports FTPFILESIZE {n}, but {bytes} bytes came (--strict-size)"
            ))),
            Some(n) => {
                eprintln!(
                    "at-ftp: warning: the modem reports FTPFILESIZE {n}, but {bytes} bytes came"
                );
                Ok(bytes)
            }
            None => Ok(bytes),
        }
    });
    // The file appears at its path as soon as it passed, and only then.
    let (result, to) = match output {
        Output::Stdout => (result, "standard output".to_owned()),
        Output::Device(path, _) => (result, path.display().to_string()),
        Output::File(path, part) => {
            let result = match result {
                Ok(bytes) => part.persist().map(|()| bytes).map_err(|e| {
                    Failure::Local(format!("could not write {}: {}", path.display(), source(&e)))
                }),
                Err(e) => {
                    let _ = part.discard();
                    Err(match e {
                        Failure::Verify(m) => {
                            Failure::Verify(format!("{m}; {} is left as it was", path.display()))
                        }
                        other => other,
                    })
                }
            };
            (result, path.display().to_string())
        }
    };
    interrupt.part(None);
    if result.is_ok() {
        line.ask_size &= gave_size;
    }
    let bytes = result?;
    if args.summary && !args.quiet {
        eprintln!("at-ftp: got {} into {to}: {}", target.file, rate(bytes, start.elapsed()));
    }
    Ok(bytes)
}

/// `url` with `local`'s file name (percent-encoded) appended when it names a directory (ends
/// with `/`), as curl does.
fn with_local_name(url: &str, local: &Path) -> Result<String, Failure> {
    if !url.ends_with('/') {
        return Ok(url.to_owned());
    }
    let name = local.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Failure::Usage(format!(
            "the URL names a directory, and {} has no file name to append",
            local.display()
        ))
    })?;
    let mut url = url.to_owned();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(url)
}

/// One upload of a `put`.
fn put_file(line: &mut Line<'_>, job: &PutJob, verify: bool) -> Result<u64, Failure> {
    let (args, interrupt) = (line.args, line.interrupt.clone());
    let (local, target) = (job.local.as_path(), &job.target);
    let req = request(args, target);
    // The source is checked before the port is opened: an upload that cannot be read would
    // replace the remote file with an empty one.
    let meta = std::fs::metadata(local).map_err(|e| local_failure(local, &e))?;
    if meta.is_dir() {
        return Err(Failure::Local(format!("{} is a directory, not a file", local.display())));
    }
    let mut file = File::open(local).map_err(|e| local_failure(local, &e))?;
    let size = meta.is_file().then_some(meta.len());
    let session = line.connection()?;
    let bar = progress(args.quiet || args.verbose, size, &format!("put {}", target.file));
    session.client.on_event(progress_to(&bar, None));
    let start = Instant::now();
    // Verified: the server's copy is downloaded back, and must have the size and SHA-256 of
    // what was sent (computed while sending).
    let result = match verify {
        true => session.client.put_verified(&req, &mut file).map(|(b, d)| (b, Some(d))),
        false => session.client.put(&req, &mut file).map(|b| (b, None)),
    };
    bar.finish_and_clear();
    let took = start.elapsed();
    let (bytes, proof) = match result {
        Err(RunError::Mismatch(m)) => Err(Failure::Verify(format!(
            "the server's copy of {} is not what was sent: {m}",
            target.file
        ))),
        other => session.check(other, &interrupt),
    }?;
    if args.summary && !args.quiet {
        let proven = match &proof {
            Some(digest) => format!("; the server's copy is proven identical ({digest})"),
            None => String::new(),
        };
        eprintln!(
            "at-ftp: put {} as {}: {}{proven}",
            local.display(),
            target.file,
            rate(bytes, took)
        );
    }
    Ok(bytes)
}

fn local_failure(path: &Path, e: &io::Error) -> Failure {
    Failure::Local(format!("could not read {}: {e}", path.display()))
}

/// A progress bar on standard error, when it is a terminal and `--quiet` is not given.
pub(crate) fn progress(quiet: bool, total: Option<u64>, label: &str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(n) => (
            ProgressBar::new(n),
            // Decimal units (kB = 1000 bytes), as the summary line has them.
            "{msg} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} \
             ETA {eta}",
        ),
        None => {
            (ProgressBar::new_spinner(), "{msg} {spinner} {decimal_bytes} {decimal_bytes_per_sec}")
        }
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// An event hook that moves `bar` with the transfer's progress, and tells `interrupt` when
/// a download's data starts.
fn progress_to(
    bar: &ProgressBar,
    interrupt: Option<Interrupt>,
) -> impl FnMut(Event<'_>) + Send + 'static {
    let bar = bar.clone();
    move |event| match event {
        Event::Progress(bytes) => bar.set_position(bytes),
        Event::DataBegin => {
            if let Some(i) = &interrupt {
                i.in_data();
            }
        }
        _ => {}
    }
}

/// `12345 bytes in 1.2 s (10.3 kB/s)`.
fn rate(bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-6);
    format!("{bytes} bytes in {secs:.1} s ({:.1} kB/s)", bytes as f64 / secs / 1000.0)
}

/// The innermost cause of an error, in its own words: not the temporary file's path that a
/// wrapper adds (the user named another path).
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    // tempfile ends its messages with ` at path "<the temporary file>"`.
    let text = inner.to_string();
    match text.find(" at path \"") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// An error's own message, without the adapter's prefix.
fn source(e: &RunError) -> String {
    match e {
        RunError::Port(e) | RunError::Local(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// The class of a failure: its exit status.
fn classify(e: &RunError, message: String) -> Failure {
    match e {
        RunError::Failed(Error::Modem(ModemError::Cme(37966))) => Failure::Cut(message),
        RunError::Failed(Error::Timeout(_) | Error::Unsynchronised) => Failure::Silent(message),
        RunError::Failed(_) => Failure::Failed(message),
        RunError::Refused(_) | RunError::Config(_) => Failure::Usage(message),
        RunError::Port(_) => Failure::Port(message),
        RunError::Local(_) => Failure::Local(message),
        RunError::Mismatch(_) | RunError::Sidecar(_) => Failure::Verify(message),
    }
}

/// A failure as a sentence a person understands, with the modem's code and its meaning.
pub(crate) fn describe(e: &RunError, device: &str) -> String {
    match e {
        RunError::Failed(Error::Modem(ModemError::Cme(n))) => format!(
            "the modem reported #CME ERROR {n}: {}{}",
            ModemError::meaning(*n).unwrap_or("a code this tool does not know"),
            match n {
                // The modem says the same for three causes (PROTOCOL.md section 6).
                38016 =>
                    " (the server refused the connection, the login failed, or the file \
                          is not there: check the host, port, user, password and path)",
                _ => "",
            }
        ),
        RunError::Failed(Error::Modem(ModemError::PlusCme(n))) => {
            format!("the modem reported +CME ERROR {n} (a failure of the GSM layer)")
        }
        RunError::Failed(Error::Modem(ModemError::Error)) => {
            "the modem answered ERROR, without a reason".to_owned()
        }
        RunError::Failed(Error::Modem(ModemError::NoCarrier)) => {
            "the modem answered NO CARRIER".to_owned()
        }
        RunError::Failed(Error::Modem(ModemError::Busy)) => "the modem answered BUSY".to_owned(),
        RunError::Failed(Error::Modem(ModemError::NoAnswer)) => {
            "the modem answered NO ANSWER".to_owned()
        }
        RunError::Failed(Error::Timeout(Timer::Write)) => format!(
            "the modem stopped taking bytes: timed out {} (RTS/CTS flow control is on by \
             default: with a cable that has no RTS/CTS lines, try --flow none)",
            Timer::Write
        ),
        RunError::Failed(Error::Timeout(timer)) => {
            format!("the modem went silent: timed out {timer}")
        }
        RunError::Failed(Error::Unsynchronised) => format!(
            "the modem on {device} did not answer AT with OK: it could not be brought back to \
             command mode"
        ),
        RunError::Failed(Error::Protocol(p)) => format!("the modem broke the protocol: {p}"),
        RunError::Failed(Error::LineTooLong) => {
            "the modem's answer was longer than a line may be".to_owned()
        }
        RunError::Failed(Error::Aborted) => "the transfer was aborted".to_owned(),
        // The modem's other failures, and those of a newer core, in the core's words.
        RunError::Failed(other) => other.to_string(),
        RunError::Refused(e) => format!("refused before anything was sent: {e}"),
        RunError::Config(e) => format!("the settings cannot work: {e}"),
        RunError::Port(e) => format!("the serial port {device} failed: {e}"),
        RunError::Local(e) => format!("the local file failed: {e}"),
        RunError::Mismatch(m) => format!("the file is not the one expected: {m}"),
        RunError::Sidecar(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_that_takes_nothing_points_at_the_flow_control() {
        let e = RunError::Failed(Error::Timeout(Timer::Write));
        let text = describe(&e, "/dev/ttyUSB0");
        assert!(text.contains("stopped taking bytes") && text.contains("--flow none"), "{text}");
        assert!(matches!(classify(&e, text), Failure::Silent(_)));
        let data = describe(&RunError::Failed(Error::Timeout(Timer::Data)), "/dev/ttyUSB0");
        assert!(data.contains("went silent") && !data.contains("--flow"), "{data}");
    }
}
