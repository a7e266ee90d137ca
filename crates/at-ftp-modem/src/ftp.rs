//! The FTP side of a transfer job: what the modem's own FTP client does with the stored
//! parameters when it runs `AT#FTPGET` or `AT#FTPPUT`.
//!
//! This module owns the connection to the real server (suppaftp, blocking), the order of the
//! FTP commands (login, binary or ASCII type, directory, RETR or STOR) and the mapping of real
//! failures to the modem's `#CME ERROR` codes (PROTOCOL.md section 6):
//!
//! | failure | code |
//! |---|---|
//! | the server name does not resolve | 38027 |
//! | the control connection cannot be made | 38016 |
//! | the server refuses the login, the type, the directory or the file | 38016 [ours] |
//! | the data connection breaks, or the server reports the transfer failed | 37966 |
//!
//! The manual names no code for an FTP-level refusal; the emulator reports the one for a
//! session that could not be opened, before `Ok_Info_DataBegin`, as the real stack fails there.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use suppaftp::types::{FileType, FormatControl};
use suppaftp::{DataStream, FtpError, FtpStream, ImplFtpStream, Status, TlsStream, TransferStream};

use crate::modem::{Job, code};

/// How the emulated stack's FTP client behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FtpOptions {
    /// Active mode (the server connects back) instead of passive, the default.
    pub active: bool,
    /// How long a connection (control or active data) may take.
    pub connect_timeout: Duration,
    /// How long the server may leave a read or a write waiting, on either connection, before
    /// the transfer counts as broken (a server that stops answering must not hang the modem).
    pub io_timeout: Duration,
    /// The modem's own name table, in place of the system resolver: a name not in it does not
    /// resolve (IP literals always do). Tests use it so that no lookup leaves the machine.
    pub hosts: Option<BTreeMap<String, IpAddr>>,
    /// Connect here whatever `FTPSERV` and `FTPPORT` say: a modem whose network leads to one
    /// server (the `at-ftp emulate` tool uses it). Resolved like `FTPSERV` would be.
    pub redirect: Option<(String, u16)>,
}

impl Default for FtpOptions {
    fn default() -> Self {
        FtpOptions {
            active: false,
            connect_timeout: Duration::from_secs(10),
            io_timeout: Duration::from_secs(30),
            hosts: None,
            redirect: None,
        }
    }
}

impl FtpOptions {
    /// The addresses of `host`, through [`hosts`](Self::hosts) when set.
    fn resolve(&self, host: &str, port: u16) -> Vec<SocketAddr> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return vec![SocketAddr::new(ip, port)];
        }
        match &self.hosts {
            Some(hosts) => {
                hosts.get(host).map(|&ip| SocketAddr::new(ip, port)).into_iter().collect()
            }
            None => (host, port).to_socket_addrs().map(Iterator::collect).unwrap_or_default(),
        }
    }
}

/// An open data connection of a RETR (read it) or a STOR (write it), on its logged-in control
/// connection.
/// Generic only because suppaftp does not name its plain-TCP stream type.
pub(crate) struct Transfer<T: TlsStream> {
    ftp: ImplFtpStream<T>,
    data: TransferStream<T>,
}

impl<T: TlsStream> fmt::Debug for Transfer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transfer").finish_non_exhaustive()
    }
}

/// Connects, logs in, sets the type, changes to the job's directory and opens the file; on
/// failure, the `#CME ERROR` code the modem reports.
pub(crate) fn open(
    job: &Job,
    options: &FtpOptions,
) -> Result<Transfer<impl TlsStream + use<>>, u32> {
    let addrs = match &options.redirect {
        Some((host, port)) => options.resolve(host, *port),
        None => options.resolve(&job.server, job.port),
    };
    if addrs.is_empty() {
        return Err(code::NOT_RESOLVED);
    }
    let stream = addrs
        .iter()
        .find_map(|addr| TcpStream::connect_timeout(addr, options.connect_timeout).ok())
        .ok_or(code::NOT_OPENED)?;
    let refused = |_| code::NOT_OPENED;
    let timeouts = |s: &TcpStream| {
        s.set_read_timeout(Some(options.io_timeout))?;
        s.set_write_timeout(Some(options.io_timeout))
    };
    timeouts(&stream).map_err(|_| code::NOT_OPENED)?;
    let mut ftp = FtpStream::connect_with_stream(stream).map_err(refused)?;
    if options.active {
        ftp = ftp.active_mode(options.connect_timeout);
    }
    ftp.login(job.user.as_str(), job.password.as_str()).map_err(refused)?;
    // Binary right after login: suppaftp's default ASCII type would rewrite line ends.
    let file_type =
        if job.ascii { FileType::Ascii(FormatControl::Default) } else { FileType::Binary };
    ftp.transfer_type(file_type).map_err(refused)?;
    if !job.dir.is_empty() {
        ftp.cwd(job.dir.as_str()).map_err(refused)?;
    }
    // Some servers (libunftp among them) answer RETR with 150 before they open the file,
    // and only then fail it; a real client learns of a missing file from SIZE first.
    if !job.put
        && let Err(FtpError::UnexpectedResponse(r)) = ftp.size(job.file.as_str())
        && r.status == Status::FileUnavailable
    {
        return Err(code::NOT_OPENED);
    }
    let data = if job.put {
        ftp.put_with_stream(job.file.as_str())
    } else {
        ftp.retr_as_stream(job.file.as_str())
    }
    .map_err(refused)?;
    if let DataStream::Tcp(socket) = data.get_ref() {
        timeouts(socket).map_err(|_| code::NOT_OPENED)?;
    }
    Ok(Transfer { ftp, data })
}

impl<T: TlsStream> Transfer<T> {
    /// Reads download data; 0 at its end.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.data.read(buf)
    }

    /// Writes all of `data` to the upload.
    pub(crate) fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.data.write_all(data)
    }

    /// Closes the data connection and reads the server's verdict, then logs out.
    pub(crate) fn finish(self) -> Result<(), u32> {
        let Transfer { mut ftp, data } = self;
        let verdict = data.finish().map_err(|_| code::CLOSED_BY_PEER);
        // The transfer's fate is settled; a failed QUIT changes nothing about it.
        let _ = ftp.quit();
        verdict
    }
}
