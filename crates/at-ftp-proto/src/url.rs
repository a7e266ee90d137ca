//! The `ftp://[USER[:PASSWORD]@]HOST[:PORT]/DIR/.../FILE` form of a [`Request`].
//!
//! This module owns turning such a URL into the modem's parameters (RFC 3986 and RFC 1738's
//! `ftp` scheme, as far as a modem can use it): the scheme is `ftp` in any letter case; the
//! host is a name (lower-cased) or a dotted IPv4 address, never IPv6 (the stack takes neither
//! brackets nor colons); each part is percent-decoded and must be UTF-8; `.` and `..` path
//! segments are resolved; the last segment is the file, the rest the directory (`/` when
//! empty). No user means `anonymous` with an empty password. A query or a fragment is refused:
//! FTP has no use for either, and dropping one silently could name another file.
//!
//! No error quotes the URL or any part of it: it may hold a password.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::command::Request;

/// A remote file, with the server and the login that reach it: a parsed `ftp://` URL.
///
/// Its `Debug` output never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Url {
    /// The host name (lower-cased) or dotted IPv4 address.
    pub server: String,
    /// The control port, 21 unless the URL names another.
    pub port: u16,
    /// The login name; `anonymous` when the URL names none.
    pub user: String,
    /// The password; empty when the URL names none.
    pub password: String,
    /// The remote directory, starting with `/`.
    pub dir: String,
    /// The remote file name, never empty.
    pub file: String,
}

/// Why a text is not an `ftp://` URL the modem can use. Its messages never quote the URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlError {
    /// Not `scheme://authority/path` at all, or a byte no URL may hold (a space, a control
    /// byte, a `%` not followed by two hex digits).
    Invalid,
    /// Another scheme than `ftp`.
    NotFtp,
    /// No host.
    NoServer,
    /// An IPv6 address: the modem takes an IPv4 address or a host name.
    Ipv6,
    /// A port that is not a number in 1..=65535.
    BadPort,
    /// The path names no file (it ends with `/`).
    NoFile,
    /// A query (`?`) or a fragment (`#`).
    QueryOrFragment,
    /// A part is not UTF-8 once percent-decoded.
    NotUtf8,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::Invalid => "the URL is not valid",
            UrlError::NotFtp => "the URL is not an ftp:// URL",
            UrlError::NoServer => "the URL names no server",
            UrlError::Ipv6 => "the modem takes an IPv4 address or a host name, not IPv6",
            UrlError::BadPort => "the URL's port is not a number in 1..=65535 (port 0 is refused)",
            UrlError::NoFile => "the URL names no file (its path ends with /)",
            UrlError::QueryOrFragment => {
                "the URL has a query or a fragment, which FTP has no use for"
            }
            UrlError::NotUtf8 => "a part of the URL is not UTF-8 once percent-decoded",
        })
    }
}

impl core::error::Error for UrlError {}

impl Url {
    /// Parses an `ftp://` URL.
    ///
    /// ```
    /// use at_ftp_proto::Url;
    ///
    /// let url = Url::parse("ftp://bob:p%40ss@ftp.example.com:2121/pub/../in/a%20b.csv").unwrap();
    /// let req = url.request();
    /// assert_eq!((req.server, req.port, req.user, req.password), ("ftp.example.com", 2121, "bob", "p@ss"));
    /// assert_eq!((req.dir, req.file), ("/in", "a b.csv"));
    /// assert!(!format!("{url:?}").contains("p@ss"));
    /// ```
    pub fn parse(text: &str) -> Result<Url, UrlError> {
        if text.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(UrlError::Invalid);
        }
        let (scheme, rest) = text.split_once("://").ok_or(UrlError::Invalid)?;
        if scheme.is_empty()
            || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(UrlError::Invalid);
        }
        if !scheme.eq_ignore_ascii_case("ftp") {
            return Err(UrlError::NotFtp);
        }
        if rest.contains(['?', '#']) {
            return Err(UrlError::QueryOrFragment);
        }
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        // The userinfo ends at the last `@` of the authority (RFC 3986 allows none inside it
        // unencoded, but a password often holds one: the last is the separator).
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        if hostport.starts_with('[') || hostport.matches(':').count() > 1 {
            return Err(UrlError::Ipv6);
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        };
        if host.is_empty() {
            return Err(UrlError::NoServer);
        }
        let port = match port {
            None | Some("") => 21,
            Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => {
                match digits.trim_start_matches('0').parse::<u16>() {
                    Ok(0) | Err(_) => return Err(UrlError::BadPort),
                    Ok(n) => n,
                }
            }
            Some(_) => return Err(UrlError::BadPort),
        };
        let server = decode(host)?.to_ascii_lowercase();
        if server.is_empty() {
            return Err(UrlError::NoServer);
        }
        if server.contains(':') {
            return Err(UrlError::Ipv6);
        }
        let (user, password) = match userinfo {
            None | Some("") => ("anonymous".to_owned(), String::new()),
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (decode(user)?, decode(password)?),
                None => (decode(info)?, String::new()),
            },
        };
        let mut segments: Vec<String> = Vec::new();
        let raw: Vec<&str> = path.split('/').skip(1).collect();
        let last = raw.len().saturating_sub(1);
        for (i, segment) in raw.iter().enumerate() {
            match *segment {
                // A dot segment at the end leaves a directory: no file.
                "." | "%2e" | "%2E" => {
                    if i == last {
                        segments.push(String::new());
                    }
                }
                ".." | ".%2e" | ".%2E" | "%2e." | "%2E." | "%2e%2e" | "%2E%2E" | "%2e%2E"
                | "%2E%2e" => {
                    segments.pop();
                    if i == last {
                        segments.push(String::new());
                    }
                }
                other => segments.push(decode(other)?),
            }
        }
        let file = segments.pop().unwrap_or_default();
        if file.is_empty() {
            return Err(UrlError::NoFile);
        }
        let mut dir = String::from("/");
        dir.push_str(&segments.join("/"));
        Ok(Url { server, port, user, password, dir, file })
    }

    /// The request this URL names: a binary transfer (set [`Request::kind`] and
    /// [`Request::mode`] on it as needed). Check it with [`Request::check`] before use.
    pub fn request(&self) -> Request<'_> {
        Request::new(&self.server, &self.file)
            .with_login(&self.user, &self.password)
            .with_dir(&self.dir)
            .with_port(self.port)
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Url")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"***")
            .field("dir", &self.dir)
            .field("file", &self.file)
            .finish()
    }
}

/// Percent-decodes one part; it must be UTF-8 after.
fn decode(part: &str) -> Result<String, UrlError> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            let (Some(hi), Some(lo)) =
                (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex))
            else {
                return Err(UrlError::Invalid);
            };
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| UrlError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn t(server: &str, port: u16, user: &str, pw: &str, dir: &str, file: &str) -> Url {
        let s = str::to_owned;
        Url { server: s(server), port, user: s(user), password: s(pw), dir: s(dir), file: s(file) }
    }

    #[test]
    fn every_part_of_the_url_lands_in_its_parameter() {
        let cases = [
            ("ftp://h/f.bin", t("h", 21, "anonymous", "", "/", "f.bin")),
            ("ftp://h:2121/a/b/f", t("h", 2121, "anonymous", "", "/a/b", "f")),
            ("ftp://u@h/f", t("h", 21, "u", "", "/", "f")),
            ("ftp://u:p%40ss@10.0.0.1/d/f", t("10.0.0.1", 21, "u", "p@ss", "/d", "f")),
            ("ftp://u:p@ss@h/f", t("h", 21, "u", "p@ss", "/", "f")),
            ("ftp://h/my%20dir/a%2Fb", t("h", 21, "anonymous", "", "/my dir", "a/b")),
            ("ftp://h/x/../y/./f", t("h", 21, "anonymous", "", "/y", "f")),
            ("ftp://h/../../f", t("h", 21, "anonymous", "", "/", "f")),
            ("FTP://H.Example/f", t("h.example", 21, "anonymous", "", "/", "f")),
            ("ftp://h:/f", t("h", 21, "anonymous", "", "/", "f")),
            ("ftp://h:00021/f", t("h", 21, "anonymous", "", "/", "f")),
        ];
        for (text, want) in cases {
            assert_eq!(Url::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn urls_the_modem_cannot_use_are_refused_with_their_reason() {
        for (text, error) in [
            ("http://h/f", UrlError::NotFtp),
            ("ftp://h/", UrlError::NoFile),
            ("ftp://h", UrlError::NoFile),
            ("ftp://h/d/..", UrlError::NoFile),
            ("ftp://h/d/.", UrlError::NoFile),
            ("ftp://[::1]/f", UrlError::Ipv6),
            ("ftp://%5B::1%5D/f", UrlError::Ipv6),
            ("not a url", UrlError::Invalid),
            ("ftp://h/a b", UrlError::Invalid),
            ("ftp://h/%zz", UrlError::Invalid),
            ("ftp://h/%ff", UrlError::NotUtf8),
            ("ftp://h:0/f", UrlError::BadPort),
            ("ftp://h:65536/f", UrlError::BadPort),
            ("ftp://h:2x/f", UrlError::BadPort),
            ("ftp:///f", UrlError::NoServer),
            ("ftp://u@/f", UrlError::NoServer),
            ("ftp://h/f?type=a", UrlError::QueryOrFragment),
            ("ftp://h/f#x", UrlError::QueryOrFragment),
        ] {
            assert_eq!(Url::parse(text), Err(error), "{text}");
        }
    }

    #[test]
    fn no_message_or_debug_output_shows_the_password() {
        let url = Url::parse("ftp://u:hunter2@h/f").unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
        for text in ["ftp://u:hunter2@h/", "http://u:hunter2@h/f", "ftp://u:hunter2@h/%ff"] {
            let err = Url::parse(text).unwrap_err();
            assert!(!format!("{err} {err:?}").contains("hunter2"));
        }
    }

    #[test]
    fn the_request_carries_every_part() {
        let url = Url::parse("ftp://u:p@h:2121/d/f").unwrap();
        let req = url.request();
        assert_eq!((req.server, req.port, req.user, req.password), ("h", 2121, "u", "p"));
        assert_eq!((req.dir, req.file), ("/d", "f"));
    }
}
