//! What `get` checks before it commits a file, and what `put --verify` proves: the options
//! (`--size`, `--sha256`, `--sha1`, `--md5`, `--crc32`, `--checksum-file`, `--strict-size`,
//! `--verify`), refused before anything is opened when they cannot work, and the library's
//! [`Verify`] they make.

use at_ftp_blocking::{Algorithm, Digest, Verify};
use clap::Args;

/// The checks of a download.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct GetChecks {
    /// The file must have exactly N bytes, or nothing is written (exit status 6)
    #[arg(long, value_name = "N")]
    pub(crate) size: Option<u64>,
    /// The file's SHA-256 must be HEX, or nothing is written (exit status 6)
    #[arg(long, value_name = "HEX", value_parser = hex(Algorithm::Sha256))]
    pub(crate) sha256: Option<Digest>,
    /// The file's SHA-1 must be HEX
    #[arg(long, value_name = "HEX", value_parser = hex(Algorithm::Sha1))]
    pub(crate) sha1: Option<Digest>,
    /// The file's MD5 must be HEX
    #[arg(long, value_name = "HEX", value_parser = hex(Algorithm::Md5))]
    pub(crate) md5: Option<Digest>,
    /// The file's CRC-32 must be HEX (8 digits, as `crc32` prints it)
    #[arg(long, value_name = "HEX", value_parser = hex(Algorithm::Crc32))]
    pub(crate) crc32: Option<Digest>,
    /// Fetch the checksum file beside the file on the server first (NAME.sha256, else
    /// NAME.md5, as sha256sum and md5sum write them): the file must have its digest, and a
    /// missing checksum file is a failure (exit status 6)
    #[arg(long)]
    pub(crate) checksum_file: bool,
    /// A size the modem reports (AT#FTPFILESIZE, whose meaning is unconfirmed) that differs
    /// from the bytes that came fails the download (exit status 6) instead of a warning
    #[arg(long)]
    pub(crate) strict_size: bool,
}

impl GetChecks {
    /// The library's expectation; with `-v`, a SHA-256 is computed to print when none is
    /// given.
    pub(crate) fn verify(&self, verbose: bool) -> Verify {
        let mut verify = Verify::new();
        if let Some(n) = self.size {
            verify = verify.size(n);
        }
        let given = [&self.sha256, &self.sha1, &self.md5, &self.crc32];
        for digest in given.into_iter().flatten() {
            verify = verify.expect(digest.clone());
        }
        if verbose && given.iter().all(|d| d.is_none()) {
            verify = verify.compute(Algorithm::Sha256);
        }
        verify
    }
}

/// A clap parser of a digest of `algorithm` in hex.
fn hex(algorithm: Algorithm) -> impl Fn(&str) -> Result<Digest, String> + Clone {
    move |text| Digest::from_hex(algorithm, text).map_err(|e| e.to_string())
}
