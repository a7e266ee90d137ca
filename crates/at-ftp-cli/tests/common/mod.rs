//! What the tests of the built binary share: the binary, run with a clean environment, and
//! the URL and device of a test bed.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
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

/// `at-ftp emulate --ftp-root root extra...`, its standard error to `stderr`: the child and
/// the pseudo-terminal it printed on its first line.
pub fn emulate(root: &Path, extra: &[&str], stderr: Stdio) -> (Child, String) {
    let mut child = std::process::Command::new(bin())
        .arg("emulate")
        .arg("--ftp-root")
        .arg(root)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    (child, first.trim().to_owned())
}
