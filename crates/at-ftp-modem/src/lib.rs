//! An emulator of the modem side of PROTOCOL.md: what a Multi-Tech IP modem does with AT
//! commands and FTP transfers, so that at-ftp can be tested end to end without hardware.
//!
//! [`Modem`] is a sans-IO state machine of its own: the host's bytes in, responses and stuffed
//! data out, transfers handed out as [`Job`]s for a runner that does the real FTP. It reuses
//! the core's codec the other way round (it stuffs downloads and unstuffs uploads).
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

mod modem;

pub use modem::{Faults, Job, MAX_COMMAND, Modem, code};
