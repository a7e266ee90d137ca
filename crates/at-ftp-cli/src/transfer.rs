//! `at-ftp get` and `at-ftp put`: the arguments checked before the port is opened, the
//! blocking client driven, the progress bar, the transcript, and every failure put in words.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use at_ftp_blocking::{Client, Error as RunError, Event, Serial};
use at_ftp_proto::{Config, Dialect, Error, LinkRequest, ModemError, Param, Request, TransferType};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Failure;
use crate::target::{self, Target};
use crate::trace::Transcript;

/// The environment variable whose value, when set, is the FTP password.
pub(crate) const PASSWORD_VAR: &str = "AT_FTP_PASSWORD";

/// What `get` and `put` share: the port, the transfer type, the link, the deadlines.
///
/// No `Debug`: it holds the APN password.
#[derive(Args, Clone)]
pub(crate) struct ModemArgs {
    /// The modem's serial port, such as /dev/ttyUSB0
    #[arg(long, value_name = "PATH")]
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
    #[arg(long, value_name = "PASSWORD", requires = "apn", default_value = "")]
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
    /// Write a transcript of both directions to FILE (passwords shown as ***)
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
    /// No progress bar and no summary
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// The one-line summary after a success (the demo prints its own).
    #[arg(skip = true)]
    pub(crate) summary: bool,
    /// Whether `AT_FTP_PASSWORD` overrides the URL's password (not in the demo, whose
    /// server has a password of its own).
    #[arg(skip = true)]
    pub(crate) password_from_env: bool,
}

impl ModemArgs {
    /// The defaults of the command line, for `device`.
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
            quiet: false,
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

    fn dialect(&self) -> Dialect {
        if self.legacy_read { Dialect::Legacy } else { Dialect::Query }
    }
}

/// A number of seconds, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("'{text}' is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| format!("'{text}' seconds is out of range"))
}

/// Where `get` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    Stdout,
    File(PathBuf),
}

/// The URL parsed, with `AT_FTP_PASSWORD` applied when the arguments say so.
fn parse_target(args: &ModemArgs, url: &str) -> Result<Target, Failure> {
    let mut target = target::parse(url).map_err(Failure::Usage)?;
    if args.password_from_env
        && let Ok(password) = std::env::var(PASSWORD_VAR)
    {
        target.password = password;
    }
    Ok(target)
}

fn request<'a>(args: &ModemArgs, t: &'a Target) -> Request<'a> {
    let mut req = t.request();
    req.kind = if args.ascii { TransferType::Ascii } else { TransferType::Binary };
    req.mode = args.ftp_mode;
    req
}

/// Every argument checked, before anything is opened.
fn check(args: &ModemArgs, req: &Request<'_>) -> Result<(), Failure> {
    let limits = args.config().limits;
    let refused = |e| Failure::Usage(format!("refused before opening the port: {e}"));
    req.check(&limits).map_err(refused)?;
    if let Some(link) = args.link() {
        link.check(&limits).map_err(refused)?;
    }
    Ok(())
}

/// A client on the port, its transcript, the link up when asked.
struct Connection {
    client: Client,
    /// Shared with the client's wire tap; taken out (leaving `None`) when finished.
    transcript: Option<Arc<Mutex<Option<Transcript<File>>>>>,
    device: String,
}

impl Connection {
    fn open(args: &ModemArgs) -> Result<Connection, Failure> {
        let device = args.device.to_string_lossy().into_owned();
        let transcript = match &args.trace {
            Some(path) => {
                let file = File::create(path).map_err(|e| {
                    Failure::Failed(format!(
                        "could not create the trace file {}: {e}",
                        path.display()
                    ))
                })?;
                Some(Arc::new(Mutex::new(Some(Transcript::new(file)))))
            }
            None => None,
        };
        let line = Serial { baud: args.baud, rts_cts: false, config: args.config() };
        let mut client = Client::open(&device, &line).map_err(|e| {
            Failure::Failed(format!("could not open the serial port {device}: {}", source(&e)))
        })?;
        if let Some(t) = &transcript {
            let t = t.clone();
            client.on_wire(move |wire| {
                if let Ok(mut t) = t.lock()
                    && let Some(t) = t.as_mut()
                {
                    t.record(wire);
                }
            });
        }
        let mut session = Connection { client, transcript, device };
        if let Some(link) = args.link() {
            let result = session.client.link_up(&link);
            session.check(result)?;
        }
        Ok(session)
    }

    /// A failure in words; the transcript is closed either way.
    fn check<T>(&mut self, result: Result<T, RunError>) -> Result<T, Failure> {
        result.map_err(|e| Failure::Failed(describe(&e, &self.device)))
    }

    fn finish(self) -> Result<(), Failure> {
        let Some(shared) = self.transcript else { return Ok(()) };
        // A poisoned lock means a panic elsewhere; the transcript is then as good as lost.
        let transcript = shared.lock().ok().and_then(|mut t| t.take());
        match transcript.map(Transcript::finish) {
            Some(Err(e)) => Err(Failure::Failed(format!("could not write the trace file: {e}"))),
            _ => Ok(()),
        }
    }
}

/// Downloads the file the URL names.
pub(crate) fn get(args: &ModemArgs, url: &str, output: Option<&Path>) -> Result<u64, Failure> {
    let target = parse_target(args, url)?;
    let req = request(args, &target);
    check(args, &req)?;
    let output = match output {
        Some(p) if p == Path::new("-") => Output::Stdout,
        Some(p) => Output::File(p.to_owned()),
        // The remote name's last component, in the current directory.
        None => match Path::new(&target.file).file_name() {
            Some(name) => Output::File(PathBuf::from(name)),
            None => {
                return Err(Failure::Usage(format!("'{}' is no file name: use -o", target.file)));
            }
        },
    };
    let mut session = Connection::open(args)?;
    let bar = progress(args.quiet, None, &format!("get {}", target.file));
    session.client.on_event(progress_to(&bar));
    let start = Instant::now();
    let result = match &output {
        Output::Stdout => session.client.get(&req, &mut io::stdout().lock()),
        Output::File(path) => session.client.get_to_file(&req, path),
    };
    bar.finish_and_clear();
    let result = session.check(result);
    // A modem that knows FTPFILESIZE (its meaning is unconfirmed: PROTOCOL.md section 2)
    // may report the size of the file just moved; one that disagrees is worth a warning.
    // Others answer ERROR, which changes nothing.
    let reported = match &result {
        Ok(_) => session.client.read_param(Param::FileSize, args.dialect()).ok(),
        Err(_) => None,
    };
    session.finish()?;
    let bytes = result?;
    let reported = reported
        .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse::<u64>().ok())
        .filter(|&n| n > 0);
    if let Some(n) = reported.filter(|&n| n != bytes) {
        eprintln!("at-ftp: warning: the modem reports FTPFILESIZE {n}, but {bytes} bytes came");
    }
    if args.summary && !args.quiet {
        let to = match &output {
            Output::Stdout => "standard output".to_owned(),
            Output::File(p) => p.display().to_string(),
        };
        eprintln!("at-ftp: got {} into {to}: {}", target.file, rate(bytes, start.elapsed()));
    }
    Ok(bytes)
}

/// Uploads `local` as the file the URL names.
pub(crate) fn put(args: &ModemArgs, local: &Path, url: &str) -> Result<u64, Failure> {
    let target = parse_target(args, url)?;
    let req = request(args, &target);
    check(args, &req)?;
    let mut file = File::open(local)
        .map_err(|e| Failure::Failed(format!("could not read {}: {e}", local.display())))?;
    let size = file.metadata().ok().map(|m| m.len());
    let mut session = Connection::open(args)?;
    let bar = progress(args.quiet, size, &format!("put {}", target.file));
    session.client.on_event(progress_to(&bar));
    let start = Instant::now();
    let result = session.client.put(&req, &mut file);
    bar.finish_and_clear();
    let result = session.check(result);
    session.finish()?;
    let bytes = result?;
    if args.summary && !args.quiet {
        eprintln!(
            "at-ftp: put {} as {}: {}",
            local.display(),
            target.file,
            rate(bytes, start.elapsed())
        );
    }
    Ok(bytes)
}

/// A progress bar on standard error, when it is a terminal and `--quiet` is not given.
fn progress(quiet: bool, total: Option<u64>, label: &str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(n) => (
            ProgressBar::new(n),
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        ),
        None => (ProgressBar::new_spinner(), "{msg} {spinner} {bytes} {bytes_per_sec}"),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// An event hook that moves `bar` with the transfer's progress.
fn progress_to(bar: &ProgressBar) -> impl FnMut(Event<'_>) + Send + 'static {
    let bar = bar.clone();
    move |event| {
        if let Event::Progress(bytes) = event {
            bar.set_position(bytes);
        }
    }
}

/// `12345 bytes in 1.2 s (10.3 kB/s)`.
fn rate(bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-6);
    format!("{bytes} bytes in {secs:.1} s ({:.1} kB/s)", bytes as f64 / secs / 1000.0)
}

/// An error's own message, without the adapter's prefix.
fn source(e: &RunError) -> String {
    match e {
        RunError::Port(e) | RunError::Local(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// A failure as a sentence a person understands, with the modem's code and its meaning.
pub(crate) fn describe(e: &RunError, device: &str) -> String {
    match e {
        RunError::Failed(Error::Modem(ModemError::Cme(n))) => format!(
            "the modem reported #CME ERROR {n}: {}",
            ModemError::meaning(*n).unwrap_or("a code this tool does not know")
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
    }
}
