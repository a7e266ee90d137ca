//! An emulator of the modem side of PROTOCOL.md: what a Multi-Tech IP modem does with AT
//! commands and FTP transfers, so that at-ftp can be tested end to end without hardware.
//!
//! - [`Modem`] is a sans-IO state machine of its own: the host's bytes in, responses and
//!   stuffed data out, transfers handed out as [`Job`]s. It reuses the core's codec the other
//!   way round (it stuffs downloads and unstuffs uploads).
//! - [`Emulator`] runs a `Modem` on a serial line (a new pseudo-terminal, or a device) and
//!   does its jobs against a real FTP server, with optional pacing to a baud rate and seeded
//!   chunking of its writes.
//! - [`FtpServer`] is an FTP server in this process (libunftp on `127.0.0.1`), so tests and
//!   the demo need no system package.
//! - [`Testbed`] wires the three together on a temporary directory.
//!
//! Everything but `Modem` needs the `runner` feature (on by default).
//!
//! The whole chain, with the host's side left out (it is the adapters' job):
//!
//! ```no_run
//! use at_ftp_modem::{Emulator, FtpServer, Options};
//!
//! # fn main() -> std::io::Result<()> {
//! let server = FtpServer::start("/srv/ftp", "user", "secret")?;
//! let modem = Emulator::on_pty(Options::default())?;
//! println!("a modem on {}, its server on {}", modem.path().display(), server.addr());
//! # Ok(())
//! # }
//! ```
//!
//! The modem alone:
//!
//! ```
//! use at_ftp_modem::Modem;
//!
//! let mut modem = Modem::default(); // echo on, verbose, as shipped
//! modem.handle_input(b"AT#FTPSERV=\"ftp.example.com\"\r");
//! assert_eq!(modem.take_output(), b"AT#FTPSERV=\"ftp.example.com\"\r\r\nOK\r\n");
//! modem.handle_input(b"ATE0\rAT#FTPSERV?\r");
//! assert_eq!(
//!     modem.take_output(),
//!     b"ATE0\r\r\nOK\r\n\r\n#FTPSERV: \"ftp.example.com\"\r\n\r\nOK\r\n"
//! );
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "runner")]
mod ftp;
mod modem;
#[cfg(feature = "runner")]
mod runner;
#[cfg(feature = "runner")]
mod server;
#[cfg(feature = "runner")]
mod testbed;

#[cfg(feature = "runner")]
pub use ftp::FtpOptions;
pub use modem::{DataPhase, Faults, Job, MAX_COMMAND, Modem, STRAY_DATA, code};
#[cfg(feature = "runner")]
pub use runner::{Chunking, Emulator, Log, Options};
#[cfg(feature = "runner")]
pub use server::FtpServer;
#[cfg(feature = "runner")]
pub use testbed::{Testbed, sample};
