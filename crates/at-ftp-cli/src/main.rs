//! `at-ftp`: move a file through the FTP client built into a cellular modem (Multi-Tech, with
//! the Wavecom-derived IP stack), over its serial line, with AT commands.
//!
//! Exit status by class ([`Failure`]): 0 success (after the modem's final `OK`), 1 the modem
//! or the server refused or failed the transfer, 2 bad usage or a refused argument, 3 a local
//! file, 4 a silent modem, 5 the serial port, 130 and 143 interrupted.
#![forbid(unsafe_code)]
// A command-line tool speaks on standard output by design.
#![allow(clippy::print_stdout)]

#[cfg(feature = "emulator")]
mod demo;
#[cfg(feature = "emulator")]
mod emulate;
mod interrupt;
mod link;
mod stuffing;
mod target;
mod trace;
mod transfer;
mod verify;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use at_ftp_proto::Specials;
use clap::{Args, Parser, Subcommand};

use crate::stuffing::Unstuffed;
use crate::transfer::ModemArgs;

/// Move a file through the FTP client of a cellular modem, over its serial line.
///
/// For Multi-Tech modems with IP connectivity (a Wavecom-derived TCP/IP stack): at-ftp sets
/// the modem's FTP parameters, starts AT#FTPGET or AT#FTPPUT, and moves the file with the
/// modem's DLE/ETX stuffing. A download counts only after the modem's final OK; until then it
/// is kept in a temporary file beside the target.
#[derive(Parser)]
#[command(name = "at-ftp", version, propagate_version = true)]
#[command(after_help = "Try `at-ftp demo` first: it needs no hardware.\n\n\
Exit status:\n  \
0    success (after the modem's final OK)\n  \
1    the modem or the server refused or failed the transfer (#CME ERROR, +CME ERROR, \
ERROR, NO CARRIER, BUSY, NO ANSWER, or a modem that broke the protocol)\n  \
2    bad usage or a refused argument (nothing was opened)\n  \
3    a local file could not be read or written (found before the port is opened when it \
can be)\n  \
4    the modem went silent (a deadline passed; a modem that stops taking upload bytes)\n  \
5    the serial port failed (open, read, write, hang-up)\n  \
6    a verification failed: the file is not the one expected (--size, --sha256, ..., \
--checksum-file, --strict-size, put --verify); nothing was committed\n  \
130  interrupted (SIGINT), 143 terminated (SIGTERM)\n\n\
The password: the URL's, else the AT_FTP_PASSWORD environment variable, else a prompt when \
standard input is a terminal. The device may come from AT_FTP_DEVICE.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// No `Debug`: the arguments hold passwords.
#[derive(Subcommand)]
enum Command {
    /// Download a file through the modem
    #[command(
        after_help = "URL: ftp://[USER[:PASSWORD]@]HOST[:PORT]/DIR/.../FILE (percent-encoding \
                      decoded; no user means anonymous).\n\n\
                      Example: at-ftp get --device /dev/ttyUSB0 ftp://user@ftp.example.com/pub/data.bin"
    )]
    Get {
        #[command(flatten)]
        modem: ModemArgs,
        #[arg(
            value_name = "URL",
            required = true,
            help = "The remote file: ftp://[USER[:PASSWORD]@]HOST[:PORT]/DIR/.../FILE; several \
                    are moved over one port session"
        )]
        urls: Vec<String>,
        /// Where to write it ('-' for standard output); default: the remote file's name in the
        /// current directory. With several URLs, the directory the files go into
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// With several URLs, stop at the first file that fails (default: go on with the
        /// others, and exit with the status of the first failure)
        #[arg(long)]
        fail_fast: bool,
        #[command(flatten)]
        checks: verify::GetChecks,
    },
    /// Upload a file through the modem
    #[command(
        after_help = "Example: at-ftp put --device /dev/ttyUSB0 report.csv ftp://user@ftp.example.com/in/report.csv"
    )]
    Put {
        #[command(flatten)]
        modem: ModemArgs,
        /// The file to send; several go into the directory the URL names (ending with /)
        #[arg(value_name = "LOCAL-FILE", required = true)]
        locals: Vec<PathBuf>,
        /// Then download the server's copy back and compare its size and SHA-256 with what was
        /// sent (a second transfer); a difference is exit status 6
        #[arg(long)]
        verify: bool,
        #[arg(
            value_name = "URL",
            help = "Where it goes: ftp://[USER[:PASSWORD]@]HOST[:PORT]/DIR/.../FILE"
        )]
        url: String,
        /// With several files, stop at the first that fails
        #[arg(long)]
        fail_fast: bool,
    },
    /// Bring the modem's IP link up, take it down, or print its state
    #[command(after_help = "`up` prints the address the modem gave (none when the link was up \
                      already); `status` prints the state as the modem names it (CONNECTED, \
                      IDLE, ...) and exits 0 whatever it is.\n\n\
                      Example: at-ftp link up --device /dev/ttyUSB0 --apn internet")]
    Link {
        /// up, down or status
        #[arg(value_enum)]
        action: link::Action,
        #[command(flatten)]
        modem: ModemArgs,
    },
    /// Stuff standard input (DLE before each DLE and ETX) to standard output, then a lone ETX
    Stuff(SpecialArgs),
    /// Decode stuffed standard input up to its first lone ETX, to standard output
    ///
    /// Exits 0 when the lone ETX came, 1 when the input ended before it or (unless
    /// --lenient) when a DLE is followed by another byte than DLE or ETX.
    Unstuff {
        /// Pass a DLE followed by another byte through as both bytes, instead of failing
        #[arg(long)]
        lenient: bool,
        #[command(flatten)]
        specials: SpecialArgs,
    },
    /// Run the modem emulator on a new pseudo-terminal, until interrupted
    #[cfg(feature = "emulator")]
    ///
    /// Prints the pseudo-terminal's path on the first line of standard output. Every FTP
    /// transfer the emulated modem makes goes to the served directory (any user and password)
    /// or to the given server, whatever host the client names.
    Emulate {
        /// Serve this directory through an in-process FTP server (default: a new empty
        /// temporary directory)
        #[arg(long, value_name = "DIR", conflicts_with = "ftp_server")]
        ftp_root: Option<PathBuf>,
        /// Send every transfer to this FTP server instead
        #[arg(long, value_name = "HOST:PORT")]
        ftp_server: Option<String>,
        /// Also make PATH a symbolic link to the pseudo-terminal
        #[arg(long, value_name = "PATH")]
        link: Option<PathBuf>,
        /// Pace the modem's output to this many bits per second
        #[arg(long, value_name = "N")]
        baud: Option<u32>,
        /// Run on this serial device (a null-modem cable to the host) instead of a new
        /// pseudo-terminal; --baud is then the line's speed too
        #[arg(long, value_name = "PATH", conflicts_with = "link")]
        device: Option<PathBuf>,
        /// Log each command line the modem takes (passwords shown as ***), each answer, and
        /// the byte count of each data phase, timestamped, on standard error
        #[arg(short, long)]
        verbose: bool,
        #[command(flatten)]
        faults: emulate::FaultArgs,
    },
    /// Download and upload a sample file through an emulated modem and an in-process FTP
    /// server, and check both: no hardware needed
    #[cfg(feature = "emulator")]
    Demo,
    /// List the serial ports this system knows, one per line
    Ports,
}

/// The two special bytes of the stuffing.
#[derive(Args, Debug, Clone, Copy)]
struct SpecialArgs {
    /// The escape byte, decimal or 0x.. hex
    #[arg(long, value_name = "BYTE", value_parser = byte, default_value = "0x10")]
    dle: u8,
    /// The terminator byte, decimal or 0x.. hex
    #[arg(long, value_name = "BYTE", value_parser = byte, default_value = "0x03")]
    etx: u8,
}

impl SpecialArgs {
    fn specials(self) -> Result<Specials, Failure> {
        Specials::new(self.dle, self.etx)
            .map_err(|_| Failure::Usage("--dle and --etx must be two different bytes".into()))
    }
}

/// A byte as decimal or `0x..` hex.
fn byte(text: &str) -> Result<u8, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u8::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("'{text}' is not a byte (0 to 255, or 0x00 to 0xff)"))
}

/// Why the tool stops with a failure: its class (the exit status) and the message.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The modem or the server refused or failed the transfer: exit status 1.
    Failed(String),
    /// The server side cut the transfer (`#CME ERROR: 37966`, the TCP session closed by the
    /// peer): exit status 1, and worth a `--retry`.
    Cut(String),
    /// Bad usage or a refused argument: exit status 2, nothing was opened.
    Usage(String),
    /// A local file could not be read or written: exit status 3.
    Local(String),
    /// The modem went silent (a deadline passed): exit status 4.
    Silent(String),
    /// The serial port failed: exit status 5.
    Port(String),
    /// The file came, but it is not the one expected (size, digest, checksum file), or the
    /// checksum file could not be had: exit status 6, nothing committed.
    Verify(String),
    /// Interrupted by this signal: exit status 128 + its number.
    Interrupted(i32),
    /// Files of a batch failed (each was reported as it failed): the exit status of the
    /// first failure.
    Batch {
        /// The first failure's exit status.
        code: u8,
        /// How many failed.
        message: String,
    },
}

impl Failure {
    /// A failure another attempt may not meet: a silent modem, a port that hung up, a
    /// transfer the server side cut. Never a refusal or a local problem.
    pub(crate) fn transient(&self) -> bool {
        matches!(self, Failure::Silent(_) | Failure::Port(_) | Failure::Cut(_))
    }

    pub(crate) fn code(&self) -> u8 {
        match self {
            Failure::Failed(_) | Failure::Cut(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Local(_) => 3,
            Failure::Silent(_) => 4,
            Failure::Port(_) => 5,
            Failure::Verify(_) => 6,
            Failure::Interrupted(signal) => interrupt::status(*signal),
            Failure::Batch { code, .. } => *code,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Failed(m)
            | Failure::Cut(m)
            | Failure::Usage(m)
            | Failure::Local(m)
            | Failure::Silent(m)
            | Failure::Port(m)
            | Failure::Verify(m)
            | Failure::Batch { message: m, .. } => f.write_str(m),
            Failure::Interrupted(signal) => f.write_str(interrupt::message(*signal)),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("at-ftp: {failure}");
            ExitCode::from(failure.code())
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Get { modem, urls, output, fail_fast, checks } => {
            let batch = transfer::Batch { fail_fast };
            transfer::get(&modem, &checks, &urls, output.as_deref(), batch)
        }
        Command::Put { modem, locals, url, verify, fail_fast } => {
            transfer::put(&modem, &locals, &url, verify, transfer::Batch { fail_fast })
        }
        Command::Link { action, modem } => link::run(&modem, action),
        Command::Stuff(specials) => {
            let specials = specials.specials()?;
            stuffing::stuff(specials, &mut io::stdin().lock(), &mut io::stdout().lock())
                .map_err(|e| Failure::Local(format!("could not stuff: {e}")))
        }
        Command::Unstuff { lenient, specials } => {
            let specials = specials.specials()?;
            let end = stuffing::unstuff(
                specials,
                lenient,
                &mut io::stdin().lock(),
                &mut io::stdout().lock(),
            )
            .map_err(|e| Failure::Local(format!("could not unstuff: {e}")))?;
            match end {
                Unstuffed::Terminated => Ok(()),
                Unstuffed::Unterminated => Err(Failure::Failed(
                    "the input ended before its terminator (a lone ETX)".into(),
                )),
                Unstuffed::InvalidEscape { offset, byte } => Err(Failure::Failed(format!(
                    "a DLE at offset {offset} is followed by 0x{byte:02x}, neither DLE nor ETX \
                     (--lenient passes such pairs through)"
                ))),
            }
        }
        #[cfg(feature = "emulator")]
        Command::Emulate { ftp_root, ftp_server, link, baud, device, verbose, faults } => {
            let line = emulate::Line { link, baud, device, verbose };
            emulate::run(ftp_root, ftp_server.as_deref(), line, &faults)
        }
        #[cfg(feature = "emulator")]
        Command::Demo => demo::run(),
        Command::Ports => ports(),
    }
}

/// `at-ftp ports`: the serial ports, one per line (name, then kind).
fn ports() -> Result<(), Failure> {
    // serialport's scan of /sys/class/tty panics where there is none (a container).
    if cfg!(target_os = "linux") && !std::path::Path::new("/sys/class/tty").is_dir() {
        return Err(Failure::Local("this system has no /sys/class/tty to list ports from".into()));
    }
    let ports = serialport::available_ports()
        .map_err(|e| Failure::Local(format!("could not list the serial ports: {e}")))?;
    let mut out = io::stdout().lock();
    for port in &ports {
        let kind = match &port.port_type {
            serialport::SerialPortType::UsbPort(usb) => format!(
                "usb {:04x}:{:04x} {}",
                usb.vid,
                usb.pid,
                usb.product.as_deref().unwrap_or("")
            ),
            serialport::SerialPortType::PciPort => "pci".to_owned(),
            serialport::SerialPortType::BluetoothPort => "bluetooth".to_owned(),
            serialport::SerialPortType::Unknown => "unknown".to_owned(),
        };
        use std::io::Write as _;
        writeln!(out, "{}\t{}", port.port_name, kind.trim_end())
            .map_err(|e| Failure::Local(format!("could not write the list: {e}")))?;
    }
    if ports.is_empty() {
        eprintln!("at-ftp: no serial port found");
    }
    Ok(())
}
