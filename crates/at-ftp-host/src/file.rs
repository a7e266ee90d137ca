//! A download into a file that appears at its path only once the modem said `OK`.

use std::fs::File;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::Error;

/// A temporary file beside a download's target: written while the data comes, then synced and
/// renamed over the target once the transfer succeeded ([`finish`](Self::finish)). On failure,
/// and when it is dropped unfinished (a cancelled call), it is removed, and a file that was at
/// the target is left untouched.
///
/// ```
/// use std::io::Write;
/// use at_ftp_host::PartFile;
///
/// # fn main() -> Result<(), at_ftp_host::Error> {
/// let dir = tempfile::tempdir().map_err(at_ftp_host::Error::Local)?;
/// let target = dir.path().join("hello.bin");
/// let part = PartFile::create(&target)?;
/// part.file().write_all(b"hello").map_err(at_ftp_host::Error::Local)?;
/// assert!(!target.exists());
/// assert_eq!(part.finish(Ok(5))?, 5); // the modem said OK
/// assert_eq!(std::fs::read(&target).map_err(at_ftp_host::Error::Local)?, b"hello");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PartFile {
    temp: NamedTempFile,
    target: PathBuf,
}

impl PartFile {
    /// A new, empty temporary file in `target`'s directory (`.at-ftp-*.part`), so that the
    /// final rename stays on one file system. Its mode is what the target will have: that of
    /// the regular file it replaces, or, for a new file, `0666` less the umask (as any tool
    /// that creates a file gives it), never the temporary file's private `0600`.
    pub fn create(target: &Path) -> Result<PartFile, Error> {
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".at-ftp-").suffix(".part");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // The kernel takes the umask off the mode a file is created with.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(dir).map_err(Error::Local)?;
        if let Ok(old) = std::fs::metadata(target)
            && old.is_file()
        {
            temp.as_file().set_permissions(old.permissions()).map_err(Error::Local)?;
        }
        Ok(PartFile { temp, target: target.to_owned() })
    }

    /// Where the temporary file is (to remove it from a signal handler that will not return).
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// The file to write the data into (`&File` is `Write`).
    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// Another handle to the same file, for an async writer of its own.
    pub fn try_clone(&self) -> Result<File, Error> {
        self.temp.as_file().try_clone().map_err(Error::Local)
    }

    /// Ends the download with its result: on success the file is synced and renamed over the
    /// target, on failure it is removed and the error is given back. Blocks on the sync.
    pub fn finish<T>(self, result: Result<T, Error>) -> Result<T, Error> {
        match result {
            Ok(value) => self.persist().map(|()| value),
            Err(e) => {
                // The transfer's error is the one worth reporting; a file that cannot be
                // removed now is removed by nobody, as after a crash.
                let _ = self.discard();
                Err(e)
            }
        }
    }

    /// Syncs the data to the disk and renames the file over the target.
    pub fn persist(self) -> Result<(), Error> {
        self.temp.as_file().sync_all().map_err(Error::Local)?;
        self.temp.persist(&self.target).map(drop).map_err(|e| Error::Local(e.error))
    }

    /// Removes the file; the target is left as it was.
    pub fn discard(self) -> Result<(), Error> {
        self.temp.close().map_err(Error::Local)
    }
}
