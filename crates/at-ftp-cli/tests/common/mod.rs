//! What the tests of the built binary share: the binary, run with a clean environment, and
//! the URL and device of a test bed.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use at_ftp_modem::Testbed;

/// The built `at-ftp`.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("at-ftp")
}

/// The binary, with none of its environment variables set, and a time limit.
pub fn at_ftp() -> Command {
    let mut cmd = Command::new(bin());
    cmd.env_remove("AT_FTP_PASSWORD")
        .env_remove("AT_FTP_DEVICE")
        .env_remove("AT_FTP_APN_PASSWORD")
        .timeout(Duration::from_secs(120));
    cmd
}

/// `ftp://USER:PASSWORD@HOST:PORT/<path>` for the bed's server.
pub fn url(bed: &Testbed, path: &str) -> String {
    let port = bed.server().addr().port();
    format!("ftp://{}:{}@{}:{port}/{path}", Testbed::USER, Testbed::PASSWORD, Testbed::HOST)
}

/// The bed's pty.
pub fn device(bed: &Testbed) -> String {
    bed.line().to_string_lossy().into_owned()
}
