//! The `ftp://[USER[:PASSWORD]@]HOST[:PORT]/DIR/.../FILE` argument of `get` and `put`.
//!
//! This module owns turning that URL into the modem's parameters: the `url` crate parses it
//! (and resolves `.` and `..`), `percent-encoding` decodes each part, and the last path
//! segment becomes the file name, the rest the directory (`/` when empty). No user means
//! `anonymous` with an empty password.

use std::fmt;

use percent_encoding::percent_decode_str;
use url::{Host, Url};

/// A remote file, with the server and the login to reach it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) server: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) dir: String,
    pub(crate) file: String,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"***")
            .field("dir", &self.dir)
            .field("file", &self.file)
            .finish()
    }
}

/// Parses an `ftp://` URL; the error says what is wrong in plain words.
pub(crate) fn parse(text: &str) -> Result<Target, String> {
    // No message quotes the URL: it may hold a password.
    let url = Url::parse(text).map_err(|e| format!("the URL is not valid: {e}"))?;
    if url.scheme() != "ftp" {
        return Err(format!("the URL is not an ftp:// URL (it starts with {}://)", url.scheme()));
    }
    let server = match url.host() {
        Some(Host::Domain(name)) => decode(name, "host")?,
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(_)) => {
            return Err("the modem takes an IPv4 address or a host name, not IPv6".into());
        }
        None => return Err("the URL names no server".into()),
    };
    let port = url.port_or_known_default().unwrap_or(21);
    if port == 0 {
        return Err("the URL names port 0, which no server listens on".into());
    }
    let (user, password) = match url.username() {
        "" => ("anonymous".to_owned(), String::new()),
        user => (decode(user, "user")?, decode(url.password().unwrap_or(""), "password")?),
    };
    let mut segments = url
        .path_segments()
        .map(|s| s.map(|seg| decode(seg, "path")).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    let file = segments.pop().unwrap_or_default();
    if file.is_empty() {
        return Err("the URL names no file (its path ends with /)".into());
    }
    let dir = format!("/{}", segments.join("/"));
    Ok(Target { server, port, user, password, dir, file })
}

fn decode(part: &str, what: &str) -> Result<String, String> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("the {what} of the URL is not UTF-8 once percent-decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(server: &str, port: u16, user: &str, pw: &str, dir: &str, file: &str) -> Target {
        let s = str::to_owned;
        Target {
            server: s(server),
            port,
            user: s(user),
            password: s(pw),
            dir: s(dir),
            file: s(file),
        }
    }

    #[test]
    fn every_part_of_the_url_lands_in_its_parameter() {
        let cases = [
            ("ftp://h/f.bin", t("h", 21, "anonymous", "", "/", "f.bin")),
            ("ftp://h:2121/a/b/f", t("h", 2121, "anonymous", "", "/a/b", "f")),
            ("ftp://u@h/f", t("h", 21, "u", "", "/", "f")),
            ("ftp://u:p%40ss@10.0.0.1/d/f", t("10.0.0.1", 21, "u", "p@ss", "/d", "f")),
            ("ftp://h/my%20dir/a%2Fb", t("h", 21, "anonymous", "", "/my dir", "a/b")),
            ("ftp://h/x/../y/./f", t("h", 21, "anonymous", "", "/y", "f")),
            ("FTP://H.Example/f", t("h.example", 21, "anonymous", "", "/", "f")),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn urls_that_name_no_file_or_no_ftp_server_are_refused_in_words() {
        for (text, says) in [
            ("http://h/f", "not an ftp:// URL"),
            ("ftp://h/", "names no file"),
            ("ftp://h", "names no file"),
            ("ftp://[::1]/f", "not IPv6"),
            ("not a url", "not valid"),
            ("ftp://h/%ff", "not UTF-8"),
            // Found by the `url` fuzz target: port 0 passed the parser.
            ("ftp://h:0/f", "port 0"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn no_message_quotes_the_password() {
        for text in [
            "ftp://u:hunter2@h/",
            "http://u:hunter2@h/f",
            "ftp://u:hunter2@h/%ff",
            "ftp://u:hunter2@[::1]/f",
        ] {
            let err = parse(text).unwrap_err();
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let target = parse("ftp://u:hunter2@h/f").unwrap();
        assert!(!format!("{target:?}").contains("hunter2"));
    }
}
