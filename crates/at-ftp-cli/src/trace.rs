//! The `--trace` transcript: every byte both ways, one line per write (`> `) or read (`< `),
//! bytes other than printable ASCII as `\xNN`, passwords as `***`.
//!
//! This module owns the redaction of what the modem sends back. What the host writes is
//! already redacted by the core (`Transmit`'s `Display`); but with echo on, the modem repeats
//! `AT#FTPPW="..."` (and `AT#APNPW="..."`), and a read may end anywhere inside it. So a small
//! state machine carried across reads hides every quoted value after `PW="`.

use std::io::{self, Write};

use at_ftp_blocking::Wire;

/// What comes before a secret on the wire.
const MARK: &[u8] = b"PW=\"";

/// A transcript writer.
pub(crate) struct Transcript<W: Write> {
    out: W,
    /// How much of `MARK` the last bytes read matched.
    matched: usize,
    /// Inside a secret: its bytes are dropped until the closing quote or a line end.
    secret: bool,
    /// The first write error, kept: a transcript must not break the transfer it records.
    failed: Option<io::Error>,
}

impl<W: Write> Transcript<W> {
    pub(crate) fn new(out: W) -> Self {
        Transcript { out, matched: 0, secret: false, failed: None }
    }

    /// Records bytes that crossed the line.
    pub(crate) fn record(&mut self, wire: Wire<'_>) {
        if self.failed.is_some() {
            return;
        }
        let line = match wire {
            Wire::Sent(t) => format!("> {t}\n"),
            Wire::Received(bytes) => format!("< {}\n", self.redact(bytes)),
        };
        if let Err(e) = self.out.write_all(line.as_bytes()) {
            self.failed = Some(e);
        }
    }

    /// Flushes the transcript; the first error met while writing it, if any.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }

    /// `bytes` as text, secrets replaced.
    fn redact(&mut self, bytes: &[u8]) -> String {
        let mut text = String::with_capacity(bytes.len());
        for &b in bytes {
            if self.secret {
                if b == b'"' || b == b'\r' || b == b'\n' {
                    self.secret = false;
                    text.push_str("***");
                    push(&mut text, b);
                }
                continue;
            }
            push(&mut text, b);
            self.matched = match b {
                _ if b.eq_ignore_ascii_case(&MARK[self.matched]) => self.matched + 1,
                _ if b.eq_ignore_ascii_case(&MARK[0]) => 1,
                _ => 0,
            };
            if self.matched == MARK.len() {
                self.matched = 0;
                self.secret = true;
            }
        }
        text
    }
}

/// Printable ASCII as itself, anything else as `\xNN` (as `Transmit`'s `Display` does).
fn push(text: &mut String, b: u8) {
    if b.is_ascii_graphic() || b == b' ' {
        text.push(char::from(b));
    } else {
        text.push_str(&format!("\\x{b:02x}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echoed_password_is_hidden_wherever_the_reads_split_it() {
        let wire = b"AT#FTPPW=\"hunter2\"\r\r\nOK\r\nAT#APNPW=\"pppw\"\r\r\nOK\r\n";
        for split in 0..wire.len() {
            let mut t = Transcript::new(Vec::new());
            t.record(Wire::Received(&wire[..split]));
            t.record(Wire::Received(&wire[split..]));
            let text = String::from_utf8(t.out).unwrap();
            assert!(!text.contains("hunter2") && !text.contains("pppw"), "{split}: {text}");
            let joined: String = text.lines().map(|l| &l[2..]).collect();
            assert_eq!(
                joined,
                "AT#FTPPW=\"***\"\\x0d\\x0d\\x0aOK\\x0d\\x0aAT#APNPW=\"***\"\\x0d\\x0d\\x0aOK\\x0d\\x0a"
            );
        }
    }

    #[test]
    fn other_bytes_pass_escaped() {
        let mut t = Transcript::new(Vec::new());
        t.record(Wire::Received(b"\x10\x03PW=x P\"W"));
        assert_eq!(String::from_utf8(t.out).unwrap(), "< \\x10\\x03PW=x P\"W\n");
    }
}
