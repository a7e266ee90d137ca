//! A whole test bench in one value: a served directory, the in-process FTP server, and the
//! emulator on a new pseudo-terminal whose name table knows the server as [`Testbed::HOST`].
//!
//! This module owns that wiring, so that tests of every crate, the throughput example and the
//! demo set it up the same way, and no lookup leaves the machine.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use at_ftp_proto::Request;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tempfile::TempDir;

use crate::runner::{Emulator, Options};
use crate::server::FtpServer;

/// A served temporary directory, its FTP server and an emulator; all go away when dropped.
#[derive(Debug)]
pub struct Testbed {
    // Field order is drop order: the emulator first, the directory last.
    modem: Emulator,
    server: FtpServer,
    dir: TempDir,
}

impl Testbed {
    /// The server's name in the emulator's name table.
    pub const HOST: &'static str = "ftp.test";
    /// The one login the server takes.
    pub const USER: &'static str = "modem";
    /// Its password.
    pub const PASSWORD: &'static str = "s3cret!";

    /// Starts the server on a new temporary directory, and the emulator with `options` (its
    /// name table replaced by one that knows [`HOST`](Self::HOST)).
    pub fn new(mut options: Options) -> io::Result<Testbed> {
        let dir = tempfile::Builder::new().prefix("at-ftp-").tempdir()?;
        let server = FtpServer::start(dir.path(), Self::USER, Self::PASSWORD)?;
        let hosts = BTreeMap::from([(Self::HOST.to_owned(), IpAddr::V4(Ipv4Addr::LOCALHOST))]);
        options.ftp.hosts = Some(hosts);
        let modem = Emulator::on_pty(options)?;
        Ok(Testbed { modem, server, dir })
    }

    /// The serial line for the host: the pty's far end.
    pub fn line(&self) -> &Path {
        self.modem.path()
    }

    /// The served directory.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The FTP server.
    pub fn server(&self) -> &FtpServer {
        &self.server
    }

    /// A binary transfer of `file` in the served root, with the server's port and login.
    pub fn request<'a>(&self, file: &'a str) -> Request<'a> {
        let mut req =
            Request::new(Self::HOST, file).with_login(Self::USER, Self::PASSWORD).with_dir("/");
        req.port = self.server.addr().port();
        req
    }

    /// Where `name` lives in the served root.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `len` random bytes from `seed`, the same for the same seed: files for tests, benches and
/// the demo (random binary data has about 0.8% special bytes, as real files do).
pub fn sample(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}
