//! `at-ftp emulate`: the modem emulator on a new pseudo-terminal, its FTP transfers sent to a
//! served directory or to a given server, until interrupted.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use at_ftp_modem::{Chunking, Emulator, Faults, FtpOptions, FtpServer, Log, Options};
use clap::Args;

use crate::Failure;

/// The emulated modem's deviations from a well-behaved one, for testing a host against them.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct FaultArgs {
    /// Echo off from the start (ATE0)
    #[arg(long)]
    echo_off: bool,
    /// Numeric result codes from the start (ATV0)
    #[arg(long)]
    numeric: bool,
    /// A RING before each data phase and before each result after the data
    #[arg(long)]
    urcs: bool,
    /// NUL bytes before every response line
    #[arg(long)]
    nul_noise: bool,
    /// Careless with passwords: a NUL inside the echo of each command line, and
    /// #FTPPW: "PASSWORD" after the password command's OK
    #[arg(long)]
    leaky: bool,
    /// End each download after N payload bytes: ETX, then #CME ERROR: 37966
    #[arg(long, value_name = "N")]
    abort_after: Option<u64>,
    /// Go silent after N payload bytes of each download
    #[arg(long, value_name = "N")]
    silence_after: Option<u64>,
    /// Fail each upload after N payload bytes (#CME ERROR: 37966)
    #[arg(long, value_name = "N")]
    fail_upload_after: Option<u64>,
    /// Store each upload with its byte at offset N changed (and answer OK): a server that
    /// keeps something else than was sent
    #[arg(long, value_name = "N")]
    corrupt_upload_at: Option<u64>,
    /// Write in random pieces of at most N bytes, with random pauses of up to 20 ms
    #[arg(long, value_name = "N")]
    chunked: Option<usize>,
}

impl FaultArgs {
    fn faults(&self) -> Faults {
        Faults {
            echo_off: self.echo_off,
            numeric: self.numeric,
            urc_before_data: self.urcs,
            urc_after_data: self.urcs,
            nul_noise: self.nul_noise,
            leaky: self.leaky,
            abort_after: self.abort_after,
            silence_after: self.silence_after,
            fail_upload_after: self.fail_upload_after,
            corrupt_upload_at: self.corrupt_upload_at,
            ..Faults::default()
        }
    }

    fn chunking(&self) -> Option<Chunking> {
        let max_chunk = self.chunked?;
        Some(Chunking {
            seed: 0,
            max_chunk: max_chunk.max(1),
            max_delay: Duration::from_millis(20),
        })
    }
}

/// The emulator's line and what it says about it.
#[derive(Debug)]
pub(crate) struct Line {
    /// A symbolic link to make to the pseudo-terminal.
    pub(crate) link: Option<PathBuf>,
    /// The pace of both directions.
    pub(crate) baud: Option<u32>,
    /// A serial device to run on instead of a pseudo-terminal.
    pub(crate) device: Option<PathBuf>,
    /// Log the modem's commands and answers on standard error.
    pub(crate) verbose: bool,
}

pub(crate) fn run(
    root: Option<PathBuf>,
    server: Option<&str>,
    line: Line,
    faults: &FaultArgs,
) -> Result<(), Failure> {
    let Line { link, baud, device, verbose } = line;
    let failed = |what: &str, e: std::io::Error| Failure::Local(format!("could not {what}: {e}"));
    // Kept alive for the emulator's life: the in-process server and its temporary root.
    let mut _temp = None;
    let mut _served = None;
    let (redirect, described) = match server {
        Some(text) => {
            let (host, port) = text
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
                .filter(|(h, p)| !h.is_empty() && *p > 0)
                .ok_or_else(|| Failure::Usage(format!("--ftp-server '{text}' is not HOST:PORT")))?;
            ((host, port), format!("the FTP server {text}"))
        }
        None => {
            let root = match root {
                Some(root) => root,
                None => {
                    let dir = tempfile::Builder::new()
                        .prefix("at-ftp-emulate-")
                        .tempdir()
                        .map_err(|e| failed("make a temporary directory", e))?;
                    let path = dir.path().to_owned();
                    _temp = Some(dir);
                    path
                }
            };
            let ftp = FtpServer::start_open(&root)
                .map_err(|e| failed(&format!("serve {}", root.display()), e))?;
            let addr = ftp.addr();
            _served = Some(ftp);
            let said = format!("{} (served on {addr}, any user and password)", root.display());
            ((addr.ip().to_string(), addr.port()), said)
        }
    };
    let options = Options {
        baud,
        faults: faults.faults(),
        chunking: faults.chunking(),
        ftp: FtpOptions { redirect: Some(redirect), ..FtpOptions::default() },
        log: verbose.then(|| {
            let start = Instant::now();
            Log::new(move |entry| {
                eprintln!("[{:10.3}] modem: {entry}", start.elapsed().as_secs_f64());
            })
        }),
    };
    let modem = match &device {
        Some(path) => Emulator::on_device(path, baud.unwrap_or(115_200), options)
            .map_err(|e| Failure::Port(format!("could not open {}: {e}", path.display())))?,
        None => Emulator::on_pty(options).map_err(|e| failed("start the emulator", e))?,
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", modem.path().display());
    let _ = stdout.flush();
    drop(stdout);
    if let Some(link) = &link {
        // Only a symbolic link is replaced: a file of the user's never is.
        if link.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
            let _ = std::fs::remove_file(link);
        }
        std::os::unix::fs::symlink(modem.path(), link)
            .map_err(|e| failed(&format!("link {}", link.display()), e))?;
    }
    eprintln!(
        "at-ftp: an emulated modem is on {}; every transfer goes to {described}. \
         Ctrl-C stops it.",
        modem.path().display()
    );
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .map_err(|e| Failure::Local(format!("could not catch Ctrl-C: {e}")))?;
    }
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
    }
    if let Some(link) = &link {
        let _ = std::fs::remove_file(link);
    }
    modem.stop().map_err(|e| failed("run the emulator", e))
}
