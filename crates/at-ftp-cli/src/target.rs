//! The `ftp://[USER[:PASSWORD]@]HOST[:PORT]/DIR/.../FILE` argument of `get` and `put`.
//!
//! This module owns the tool's wording around the library's parser ([`at_ftp_proto::Url`],
//! the one parser the library's users get too): no message quotes the URL, since it may hold
//! a password.

pub(crate) use at_ftp_proto::Url as Target;

/// Parses an `ftp://` URL; the error says what is wrong in plain words.
pub(crate) fn parse(text: &str) -> Result<Target, String> {
    Target::parse(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
