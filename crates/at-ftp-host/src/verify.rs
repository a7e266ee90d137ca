//! Verified downloads: what a file must be before it is committed.
//!
//! This module owns the expectation ([`Verify`]: a size, digests), its check while the bytes
//! stream ([`Checked`], a `Write` that hashes what passes through it: no second pass over the
//! file), the failure when the file is not the one expected ([`Mismatch`]), and the checksum
//! file a server may keep beside a file ([`sidecar`]: `<name>.sha256` or `<name>.md5`, in the
//! `sha256sum` / `md5sum` line format). The core stays digest-free; this is std-side policy.

use std::fmt;
use std::io::{self, Write};

use sha1::Digest as _;

/// A digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// SHA-256 (`sha256sum`).
    Sha256,
    /// SHA-1 (`sha1sum`).
    Sha1,
    /// MD5 (`md5sum`).
    Md5,
    /// CRC-32 (IEEE, as zlib and `crc32` compute it), as 8 hex digits, most significant first.
    Crc32,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Algorithm; 4] =
        [Algorithm::Sha256, Algorithm::Sha1, Algorithm::Md5, Algorithm::Crc32];

    /// Its name, as the tools that compute it spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha1 => "sha1",
            Algorithm::Md5 => "md5",
            Algorithm::Crc32 => "crc32",
        }
    }

    /// The digest's length in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            Algorithm::Sha256 => 32,
            Algorithm::Sha1 => 20,
            Algorithm::Md5 => 16,
            Algorithm::Crc32 => 4,
        }
    }

    fn hasher(self) -> Hasher {
        match self {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Algorithm::Md5 => Hasher::Md5(md5::Md5::new()),
            Algorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha1 => "SHA-1",
            Algorithm::Md5 => "MD5",
            Algorithm::Crc32 => "CRC-32",
        })
    }
}

/// A digest value of one algorithm.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Digest {
    algorithm: Algorithm,
    value: Vec<u8>,
}

/// Why a digest's text was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The wrong number of hex digits.
    #[error("a {algorithm} digest has {expected} hex digits, not {got}")]
    Length {
        /// The algorithm.
        algorithm: Algorithm,
        /// Its digits.
        expected: usize,
        /// The digits given.
        got: usize,
    },
    /// A character that is no hex digit.
    #[error("{0:?} is not a hex digit")]
    NotHex(char),
}

impl Digest {
    /// The digest written as hex digits (either letter case), as `sha256sum` prints it.
    pub fn from_hex(algorithm: Algorithm, text: &str) -> Result<Digest, DigestError> {
        let text = text.trim();
        if let Some(c) = text.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(DigestError::NotHex(c));
        }
        if text.len() != algorithm.bytes() * 2 {
            let expected = algorithm.bytes() * 2;
            return Err(DigestError::Length { algorithm, expected, got: text.len() });
        }
        let value = text
            .as_bytes()
            .chunks(2)
            .map(|pair| {
                let digit = |b: u8| char::from(b).to_digit(16).unwrap_or(0) as u8;
                digit(pair[0]) << 4 | digit(pair[1])
            })
            .collect();
        Ok(Digest { algorithm, value })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The value as lowercase hex digits.
    pub fn hex(&self) -> String {
        self.value.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.algorithm, self.hex())
    }
}

/// A file that is not the one expected: nothing reaches the output path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// Another size.
    #[error("it has {got} bytes, {expected} were expected")]
    Size {
        /// The size expected.
        expected: u64,
        /// The size that came.
        got: u64,
    },
    /// Another digest.
    #[error("its {} is {}, {} was expected", .expected.algorithm, .got.hex(), .expected.hex())]
    Digest {
        /// The digest expected.
        expected: Digest,
        /// The digest of what came.
        got: Digest,
    },
}

/// What a download must be before it is committed: a size, digests, the digest a checksum
/// file on the server gives ([`Verify::sidecar`]); and digests to compute without an
/// expectation (to report them). Empty by default: nothing is checked.
///
/// ```
/// use std::io::Write;
/// use at_ftp_host::{Algorithm, Digest, Verify};
///
/// let sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
/// let verify = Verify::new()
///     .size(5)
///     .expect(Digest::from_hex(Algorithm::Sha256, sha).unwrap())
///     .compute(Algorithm::Crc32);
/// let mut checked = verify.checked(Vec::new());
/// checked.write_all(b"hello").unwrap();
/// let (file, computed) = checked.finish().unwrap();
/// assert_eq!(file, b"hello");
/// assert_eq!(computed[1].hex(), "3610a686");
///
/// let mut checked = verify.checked(Vec::new());
/// checked.write_all(b"hellO").unwrap();
/// assert!(checked.finish().is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verify {
    size: Option<u64>,
    expected: Vec<Digest>,
    computed: Vec<Algorithm>,
    sidecar: bool,
}

impl Verify {
    /// The file must also have the digest its checksum file gives: `<name>.sha256`, else
    /// `<name>.md5`, fetched first as a small download of its own by the adapters'
    /// `get_to_file`. A missing one fails the call ([`sidecar::SidecarError::Missing`]).
    pub fn sidecar(self) -> Verify {
        Verify { sidecar: true, ..self }
    }

    /// Whether the checksum file is to be fetched.
    pub fn uses_sidecar(&self) -> bool {
        self.sidecar
    }

    /// Nothing checked.
    pub fn new() -> Verify {
        Verify::default()
    }

    /// The file must have `bytes` bytes.
    pub fn size(self, bytes: u64) -> Verify {
        Verify { size: Some(bytes), ..self }
    }

    /// The file must have this digest (several may be given, of different algorithms).
    pub fn expect(mut self, digest: Digest) -> Verify {
        self.expected.push(digest);
        self
    }

    /// Also compute a digest with `algorithm`, to report it.
    pub fn compute(mut self, algorithm: Algorithm) -> Verify {
        self.computed.push(algorithm);
        self
    }

    /// A writer that passes everything to `inner` and checks it against this expectation.
    pub fn checked<W>(&self, inner: W) -> Checked<W> {
        let algorithms = self.expected.iter().map(Digest::algorithm).chain(self.computed.clone());
        Checked {
            inner,
            verify: self.clone(),
            hashers: algorithms.map(|a| (a, a.hasher())).collect(),
            bytes: 0,
        }
    }
}

/// One running digest.
#[derive(Clone)]
enum Hasher {
    Sha256(sha2::Sha256),
    Sha1(sha1::Sha1),
    Md5(md5::Md5),
    Crc32(crc32fast::Hasher),
}

impl Hasher {
    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Md5(h) => h.update(data),
            Hasher::Crc32(h) => h.update(data),
        }
    }

    fn finish(self, algorithm: Algorithm) -> Digest {
        let value = match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
        };
        Digest { algorithm, value }
    }
}

/// A writer that hashes and counts what it passes on ([`Verify::checked`]); the verdict is
/// [`finish`](Self::finish).
pub struct Checked<W> {
    inner: W,
    verify: Verify,
    hashers: Vec<(Algorithm, Hasher)>,
    bytes: u64,
}

impl<W> fmt::Debug for Checked<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checked")
            .field("verify", &self.verify)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl<W> Checked<W> {
    /// The bytes passed on so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The verdict: the inner writer and every digest computed (the expected ones first, in
    /// the order given), or the first mismatch (the size first).
    pub fn finish(self) -> Result<(W, Vec<Digest>), Mismatch> {
        if let Some(expected) = self.verify.size
            && expected != self.bytes
        {
            return Err(Mismatch::Size { expected, got: self.bytes });
        }
        let computed: Vec<Digest> = self.hashers.into_iter().map(|(a, h)| h.finish(a)).collect();
        for (expected, got) in self.verify.expected.iter().zip(&computed) {
            if expected != got {
                return Err(Mismatch::Digest { expected: expected.clone(), got: got.clone() });
            }
        }
        Ok((self.inner, computed))
    }

    fn account(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        for (_, h) in &mut self.hashers {
            h.update(data);
        }
    }
}

impl<W: Write> Write for Checked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.account(&buf[..n.min(buf.len())]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What an upload sent, hashed as it is read: the local half of a verified upload (the
/// adapters' `put_verified` downloads the server's copy back and checks it against
/// [`digest`](Self::digest)).
pub struct Sent<R> {
    inner: R,
    algorithm: Algorithm,
    hasher: Hasher,
    bytes: u64,
}

impl<R> fmt::Debug for Sent<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sent").field("bytes", &self.bytes).finish_non_exhaustive()
    }
}

impl<R> Sent<R> {
    /// `inner`, hashed with `algorithm` as it is read.
    pub fn new(inner: R, algorithm: Algorithm) -> Sent<R> {
        Sent { inner, algorithm, hasher: algorithm.hasher(), bytes: 0 }
    }

    /// The reader, to read from through an adapter of its own (an async one), with
    /// [`record`](Self::record) after each read.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Hashes `data`, read from the inner reader.
    pub fn record(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        self.hasher.update(data);
    }

    /// The digest of everything read.
    pub fn digest(&self) -> Digest {
        self.hasher.clone().finish(self.algorithm)
    }

    /// What a download of the server's copy must be: the size and digest of what was read.
    pub fn expectation(&self) -> Verify {
        Verify::new().size(self.bytes).expect(self.digest())
    }
}

impl<R: io::Read> io::Read for Sent<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.record(&buf[..n.min(buf.len())]);
        Ok(n)
    }
}

/// The checksum file a server keeps beside a file: `<name>.sha256`, else `<name>.md5`.
pub mod sidecar {
    use super::{Algorithm, Digest, DigestError};

    /// The most bytes a checksum file may have: it holds a line or a few.
    pub const MAX_LEN: usize = 4096;

    /// The checksum files to look for beside `file` (a name, maybe with a path), in order,
    /// with their algorithm.
    pub fn candidates(file: &str) -> [(Algorithm, String); 2] {
        [(Algorithm::Sha256, format!("{file}.sha256")), (Algorithm::Md5, format!("{file}.md5"))]
    }

    /// Why a checksum file gave no digest.
    #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
    pub enum SidecarError {
        /// No checksum file could be downloaded.
        #[error("no checksum file: looked for {} on the server ({reason})", .looked.join(" and "))]
        Missing {
            /// The names looked for.
            looked: Vec<String>,
            /// What the last attempt said.
            reason: String,
        },
        /// The checksum file has no line for the file.
        #[error("the checksum file {sidecar} has no line for {file}")]
        NoLine {
            /// The checksum file.
            sidecar: String,
            /// The file looked for in it.
            file: String,
        },
        /// A line for the file whose digest is no digest.
        #[error("the checksum file {sidecar} has a bad digest for {file}: {problem}")]
        Bad {
            /// The checksum file.
            sidecar: String,
            /// The file.
            file: String,
            /// What is wrong.
            problem: DigestError,
        },
        /// Longer than [`MAX_LEN`].
        #[error("the checksum file {0} is longer than {MAX_LEN} bytes")]
        TooLong(String),
    }

    /// The search for a file's checksum file, as an adapter runs it: for each
    /// [`next`](Lookup::next) name, download it into a [`Text`] and [`settle`](Lookup::settle)
    /// the result, until a digest comes or the names run out ([`missing`](Lookup::missing)).
    #[derive(Debug)]
    pub struct Lookup {
        file: String,
        candidates: [(Algorithm, String); 2],
        next: usize,
        reason: String,
    }

    impl Lookup {
        /// The search for `file`'s checksum file.
        pub fn new(file: &str) -> Lookup {
            Lookup {
                file: file.to_owned(),
                candidates: candidates(file),
                next: 0,
                reason: String::new(),
            }
        }

        /// The next checksum file to download, if any is left.
        pub fn next(&self) -> Option<String> {
            self.candidates.get(self.next).map(|(_, name)| name.clone())
        }

        /// The download of the name [`next`](Lookup::next) gave ended with `result`, into
        /// `text`: its digest, or `None` when the modem failed it (the file is missing, or
        /// cannot be had: the next name is tried), or the error that ends the search (the
        /// port, a silent modem).
        pub fn settle(
            &mut self,
            result: Result<u64, crate::Error>,
            text: &Text,
        ) -> Result<Option<Digest>, crate::Error> {
            let Some((algorithm, name)) = self.candidates.get(self.next).cloned() else {
                return Ok(None);
            };
            self.next += 1;
            match result {
                Ok(_) if text.overflowed => Err(SidecarError::TooLong(name).into()),
                Ok(_) => Ok(Some(parse(&text.bytes, algorithm, &name, &self.file)?)),
                Err(crate::Error::Failed(at_ftp_proto::Error::Modem(e))) => {
                    self.reason = format!("the modem said {e}");
                    Ok(None)
                }
                Err(crate::Error::Local(_)) if text.overflowed => {
                    Err(SidecarError::TooLong(name).into())
                }
                Err(e) => Err(e),
            }
        }

        /// The failure when no name gave a digest.
        pub fn missing(self) -> SidecarError {
            let looked = self.candidates.into_iter().map(|(_, name)| name).collect();
            SidecarError::Missing { looked, reason: self.reason }
        }
    }

    /// A checksum file's text as it downloads: at most [`MAX_LEN`] bytes (a longer one fails
    /// the write, which ends the download).
    #[derive(Debug, Default)]
    pub struct Text {
        bytes: Vec<u8>,
        overflowed: bool,
    }

    impl std::io::Write for Text {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.bytes.len() + buf.len() > MAX_LEN {
                self.overflowed = true;
                return Err(std::io::Error::other("a checksum file longer than 4096 bytes"));
            }
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The last component of a path (`/` separated).
    fn base(name: &str) -> &str {
        name.rsplit('/').next().unwrap_or(name)
    }

    /// The digest of `file` in the checksum file `sidecar`'s `text`: a line `<hex>  <name>`
    /// or `<hex> *<name>` (`sha256sum`, `md5sum`; the name matched on its last component
    /// only, since a server's path is not the client's), a BSD line `SHA256 (<name>) = <hex>`,
    /// or a line with the digest alone.
    pub fn parse(
        text: &[u8],
        algorithm: Algorithm,
        sidecar: &str,
        file: &str,
    ) -> Result<Digest, SidecarError> {
        let text = String::from_utf8_lossy(text);
        let wanted = base(file);
        let bad = |problem| SidecarError::Bad {
            sidecar: sidecar.to_owned(),
            file: file.to_owned(),
            problem,
        };
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (hex, name) = match line.split_once(char::is_whitespace) {
                // BSD: `SHA256 (name) = hex`.
                Some((_, rest)) if rest.trim_start().starts_with('(') => {
                    let rest = rest.trim_start();
                    match rest[1..].rsplit_once(") = ") {
                        Some((name, hex)) => (hex, Some(name)),
                        None => continue,
                    }
                }
                Some((hex, name)) => {
                    let name = name.trim_start();
                    (hex, Some(name.strip_prefix('*').unwrap_or(name)))
                }
                None => (line, None),
            };
            if name.is_none_or(|name| base(name) == wanted) {
                return Digest::from_hex(algorithm, hex).map_err(bad);
            }
        }
        Err(SidecarError::NoLine { sidecar: sidecar.to_owned(), file: file.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::sidecar::{SidecarError, parse};
    use super::*;

    /// `sha256sum` of "hello".
    const HELLO_SHA256: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn digests_of(data: &[u8]) -> Vec<String> {
        let verify = Algorithm::ALL.iter().fold(Verify::new(), |v, &a| v.compute(a));
        let mut checked = verify.checked(io::sink());
        // Several writes: the digests do not depend on the split.
        for piece in data.chunks(3) {
            checked.write_all(piece).unwrap();
        }
        checked.finish().unwrap().1.iter().map(Digest::hex).collect()
    }

    #[test]
    fn each_digest_is_the_one_the_usual_tools_print() {
        assert_eq!(
            digests_of(b"hello"),
            [
                HELLO_SHA256,
                "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
                "5d41402abc4b2a76b9719d911017c592",
                "3610a686",
            ]
        );
    }

    #[test]
    fn a_wrong_size_or_digest_is_a_mismatch_that_says_both() {
        let verify = Verify::new()
            .size(5)
            .expect(Digest::from_hex(Algorithm::Sha256, HELLO_SHA256).unwrap());
        let mut c = verify.checked(Vec::new());
        c.write_all(b"hell").unwrap();
        assert_eq!(c.finish().unwrap_err(), Mismatch::Size { expected: 5, got: 4 });
        let mut c = verify.checked(Vec::new());
        c.write_all(b"jello").unwrap();
        let err = c.finish().unwrap_err();
        assert!(
            matches!(&err, Mismatch::Digest { expected, .. } if expected.hex() == HELLO_SHA256)
        );
        assert!(err.to_string().contains(HELLO_SHA256), "{err}");
        let mut c = verify.checked(Vec::new());
        c.write_all(b"hello").unwrap();
        assert_eq!(c.finish().unwrap().0, b"hello");
    }

    #[test]
    fn digest_text_is_checked() {
        assert_eq!(
            Digest::from_hex(Algorithm::Md5, "abc"),
            Err(DigestError::Length { algorithm: Algorithm::Md5, expected: 32, got: 3 })
        );
        assert_eq!(Digest::from_hex(Algorithm::Crc32, "3610a68g"), Err(DigestError::NotHex('g')));
        let upper = Digest::from_hex(Algorithm::Crc32, " 3610A686 ").unwrap();
        assert_eq!(upper.hex(), "3610a686");
    }

    #[test]
    fn checksum_files_in_every_line_format() {
        let sha = Algorithm::Sha256;
        let other = "0".repeat(64);
        for text in [
            format!("{HELLO_SHA256}  hello.txt\n"),
            format!("{HELLO_SHA256} *hello.txt\n"),
            format!("{other}  other.txt\n{HELLO_SHA256}  ./pub/hello.txt\n"),
            format!("# made by hand\n\n{HELLO_SHA256}\n"),
            format!("SHA256 (hello.txt) = {HELLO_SHA256}\n"),
            format!("{HELLO_SHA256}  hello.txt\r\n"),
        ] {
            let d = parse(text.as_bytes(), sha, "hello.txt.sha256", "dir/hello.txt").unwrap();
            assert_eq!(d.hex(), HELLO_SHA256, "{text:?}");
        }
        let err = parse(format!("{other}  other.txt\n").as_bytes(), sha, "s", "hello.txt");
        assert_eq!(
            err,
            Err(SidecarError::NoLine { sidecar: "s".into(), file: "hello.txt".into() })
        );
        let err = parse(b"5d41402abc4b2a76b9719d911017c592  hello.txt\n", sha, "s", "hello.txt");
        assert!(matches!(err, Err(SidecarError::Bad { .. })), "{err:?}");
    }
}
