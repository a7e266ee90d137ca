//! The `--trace` transcript: every byte both ways, one line per write (`> `) or read (`< `),
//! bytes other than printable ASCII as `\xNN`, passwords as `***`.
//!
//! This module owns the redaction of what the modem sends back. What the host writes is
//! already redacted by the core (`Transmit`'s `Display`). What the modem sends is not under
//! the tool's control: with echo on it repeats `AT#FTPPW="..."` (and `AT#APNPW="..."`), a
//! modem may answer a read-back with `#FTPPW: "..."`, the line may insert NUL bytes anywhere
//! (inside the password or inside `PW="`), and a read may end anywhere. So two layers, both
//! carried across reads, hide secrets whatever bytes surround them:
//!
//! 1. **By value.** [`Transcript::with_secrets`] is told the passwords the tool sent. Every
//!    occurrence of one in the received stream is hidden, matched ASCII-case-insensitively
//!    and skipping NUL bytes ([`is_noise`]) inside it. Each run of hidden bytes (NULs between
//!    them included) shows as one `***`; NULs just before or after it still show. Bytes that
//!    may begin a secret are held back until a later byte decides: they show in a later `< `
//!    line (that of the next read, or a last one that [`Transcript::finish`] writes), never out
//!    of order among the received bytes, though a `> ` line may come between. At most the
//!    longest secret's length in bytes (plus a count of NULs) is held.
//! 2. **By mark**, for what the tool does not know (the modem may echo something else): the
//!    value after a mark is dropped up to its closing quote, CR or LF, which show; `***`
//!    stands in its place. The mark, case-insensitive, NULs allowed between any two of its
//!    parts (and dropped with the value inside it):
//!
//!    ```text
//!    mark = "P" NUL* "W" NUL* ( "=" | ":" ) ( " " | NUL )* DQUOTE
//!    ```
//!
//!    so `AT#FTPPW="`, `AT#APNPW="`, `#FTPPW: "` and `#APNPW: "` all open a value. An
//!    unquoted value (`#FTPPW: hunter2`) is not marked; only the first layer hides it. A mark
//!    whose value never closes hides everything after it; `finish` then writes `***`.
//!
//! The first layer runs first, so a known password containing `"` is hidden whole.

use std::collections::VecDeque;
use std::io::{self, Write};

use at_ftp_blocking::Wire;

/// A transcript writer.
pub(crate) struct Transcript<W: Write> {
    out: W,
    /// Each line starts with the seconds since this instant (`[    1.234] `), when set.
    start: Option<std::time::Instant>,
    /// A line's bytes beyond this many characters are counted, not shown (`-v`), when set.
    limit: Option<usize>,
    /// The first layer: known secrets, by value.
    values: Values,
    /// The second layer: whatever follows a mark.
    marks: Marks,
    /// The first write error, kept: a transcript must not break the transfer it records.
    failed: Option<io::Error>,
}

impl<W: Write> Transcript<W> {
    /// A transcript knowing no secret: only marked values are hidden in what the modem sends.
    #[cfg(test)]
    pub(crate) fn new(out: W) -> Self {
        Transcript::with_secrets(out, Vec::new())
    }

    /// A transcript that also hides every occurrence of one of `secrets` (the passwords the
    /// tool sends) in what the modem sends. Empty secrets, and NUL bytes in them, are ignored.
    pub(crate) fn with_secrets(out: W, secrets: Vec<Vec<u8>>) -> Self {
        Transcript {
            out,
            start: None,
            limit: None,
            values: Values::new(secrets, MIN_SECRET),
            marks: Marks::default(),
            failed: None,
        }
    }

    /// Every line starts with the seconds since now.
    pub(crate) fn stamped(mut self) -> Self {
        self.start = Some(std::time::Instant::now());
        self
    }

    /// A line longer than `limit` characters shows its start and how long it was (for `-v`,
    /// where a download's data would flood the terminal).
    pub(crate) fn shortened(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Records bytes that crossed the line.
    pub(crate) fn record(&mut self, wire: Wire<'_>) {
        if self.failed.is_some() {
            return;
        }
        let (way, text) = match wire {
            Wire::Sent(t) => ('>', t.to_string()),
            Wire::Received(bytes) => {
                let mut text = String::with_capacity(bytes.len() + 2);
                for &b in bytes {
                    self.values.byte(b, &mut self.marks, &mut text);
                }
                ('<', text)
            }
        };
        self.line(way, text);
    }

    /// One line of the transcript: stamped and shortened as configured.
    fn line(&mut self, way: char, mut text: String) {
        if let Some(limit) = self.limit
            && text.len() > limit
        {
            // The text is ASCII (every other byte is escaped): any index is a boundary.
            let all = text.len();
            text.truncate(limit);
            text.push_str(&format!("... ({all} characters in all)"));
        }
        let line = match self.start {
            Some(start) => format!("[{:10.3}] {way} {text}\n", start.elapsed().as_secs_f64()),
            None => format!("{way} {text}\n"),
        };
        self.write(&line);
    }

    /// Writes what is still held back (as a last `< ` line, if any) and flushes the
    /// transcript; the first error met while writing it, if any.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        if self.failed.is_none() {
            self.write_held();
        }
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }

    /// Writes what is still held back, as a last `< ` line (none when nothing is).
    fn write_held(&mut self) {
        let mut text = String::new();
        self.values.flush(&mut self.marks, &mut text);
        self.marks.finish(&mut text);
        if !text.is_empty() {
            self.line('<', text);
        }
    }

    fn write(&mut self, line: &str) {
        if let Err(e) = self.out.write_all(line.as_bytes()) {
            self.failed = Some(e);
        }
    }
}

/// The shortest known secret hidden by value.
const MIN_SECRET: usize = 4;

/// A byte the line may insert anywhere (a break, a glitch): skipped when matching a secret or
/// a mark. Only NUL: another byte inside a password is taken as part of what is received.
fn is_noise(b: u8) -> bool {
    b == 0
}

/// The first layer: hides known secrets, matched on the received bytes with noise skipped.
struct Values {
    /// Noise-free, non-empty, distinct.
    secrets: Vec<Vec<u8>>,
    /// The undecided bytes (noise aside), oldest first: each may still belong to a secret.
    /// Fewer than the longest secret's length once a byte is taken in.
    held: VecDeque<Held>,
    /// The secrets that may begin in `held`: where (an index into it) and which.
    partial: Vec<Partial>,
    /// The last byte given on was hidden: the NULs after it are hidden too if the next byte is.
    hiding: bool,
    /// How many NULs came since that hidden byte, while nothing was held.
    gap: usize,
}

/// A byte held back.
struct Held {
    byte: u8,
    /// Part of a secret found.
    hidden: bool,
    /// How many NULs came after it (before the next byte held).
    nuls: usize,
}

/// A secret that may begin at `held[start]`: the bytes from there on match its beginning.
#[derive(Clone, Copy)]
struct Partial {
    start: usize,
    secret: usize,
}

impl Values {
    /// Secrets shorter than `min` (noise aside) are not matched.
    fn new(secrets: Vec<Vec<u8>>, min: usize) -> Self {
        let mut clean: Vec<Vec<u8>> = Vec::with_capacity(secrets.len());
        for mut s in secrets {
            s.retain(|&b| !is_noise(b));
            // A secret shorter than this would hide every occurrence of a common word or
            // letter (a password `p` hid each P of the transcript), which tells the reader
            // what it is: those are left to the marks.
            if s.len() >= min.max(1) && !clean.iter().any(|c| c.eq_ignore_ascii_case(&s)) {
                clean.push(s);
            }
        }
        Values { secrets: clean, held: VecDeque::new(), partial: Vec::new(), hiding: false, gap: 0 }
    }

    /// Takes in one received byte; gives `marks` the bytes now decided, in order.
    fn byte(&mut self, b: u8, marks: &mut Marks, text: &mut String) {
        if is_noise(b) {
            if let Some(last) = self.held.back_mut() {
                last.nuls = last.nuls.saturating_add(1);
            } else if self.hiding {
                self.gap = self.gap.saturating_add(1);
            } else {
                marks.byte(b, text);
            }
            return;
        }
        let now = self.held.len();
        self.held.push_back(Held { byte: b, hidden: false, nuls: 0 });
        // The secrets under way go on or end; then those beginning here.
        let mut found = Vec::new();
        let secrets = &self.secrets;
        self.partial.retain(|p| {
            let (Some(s), Some(at)) = (secrets.get(p.secret), now.checked_sub(p.start)) else {
                return false;
            };
            match s.get(at) {
                Some(c) if c.eq_ignore_ascii_case(&b) => {
                    if at + 1 == s.len() {
                        found.push(p.start);
                        false
                    } else {
                        true
                    }
                }
                _ => false,
            }
        });
        for (i, s) in self.secrets.iter().enumerate() {
            if s.first().is_some_and(|c| c.eq_ignore_ascii_case(&b)) {
                if s.len() == 1 {
                    found.push(now);
                } else {
                    self.partial.push(Partial { start: now, secret: i });
                }
            }
        }
        for start in found {
            for h in self.held.iter_mut().skip(start) {
                h.hidden = true;
            }
        }
        // What no secret under way can reach is decided.
        let decided = self.partial.iter().map(|p| p.start).min().unwrap_or(self.held.len());
        self.give(decided, marks, text);
    }

    /// Decides all that is held: a secret not complete by now is none.
    fn flush(&mut self, marks: &mut Marks, text: &mut String) {
        self.partial.clear();
        self.give(self.held.len(), marks, text);
        if self.hiding {
            for _ in 0..self.gap {
                marks.byte(0, text);
            }
        }
        self.hiding = false;
        self.gap = 0;
    }

    /// Gives on the first `n` bytes held, with the NULs around them.
    fn give(&mut self, n: usize, marks: &mut Marks, text: &mut String) {
        for h in self.held.drain(..n.min(self.held.len())) {
            if h.hidden {
                if !self.hiding {
                    marks.hidden(text);
                }
                // The NULs between two hidden bytes are hidden; those after, not yet decided.
                self.hiding = true;
                self.gap = h.nuls;
            } else {
                if self.hiding {
                    for _ in 0..self.gap {
                        marks.byte(0, text);
                    }
                }
                self.hiding = false;
                self.gap = 0;
                marks.byte(h.byte, text);
                for _ in 0..h.nuls {
                    marks.byte(0, text);
                }
            }
        }
        for p in &mut self.partial {
            p.start = p.start.saturating_sub(n);
        }
    }
}

/// The second layer: hides the value after a mark (the module doc gives its grammar).
#[derive(Default)]
struct Marks {
    state: Mark,
}

/// How much of a mark the last bytes matched, or in the value after one.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Mark {
    #[default]
    None,
    /// `P`.
    P,
    /// `PW`.
    Pw,
    /// `PW=` or `PW:`, and any spaces.
    Separator,
    /// In the value: its bytes are dropped until the closing quote or a line end.
    Value,
}

impl Marks {
    /// One byte the first layer let through.
    fn byte(&mut self, b: u8, text: &mut String) {
        if self.state == Mark::Value {
            if b == b'"' || b == b'\r' || b == b'\n' {
                self.state = Mark::None;
                text.push_str("***");
                push(text, b);
            }
            return;
        }
        push(text, b);
        if is_noise(b) {
            return;
        }
        self.state = match (self.state, b.to_ascii_uppercase()) {
            (Mark::P, b'W') => Mark::Pw,
            (Mark::Pw, b'=' | b':') => Mark::Separator,
            (Mark::Separator, b' ') => Mark::Separator,
            (Mark::Separator, b'"') => Mark::Value,
            (_, b'P') => Mark::P,
            _ => Mark::None,
        };
    }

    /// A secret the first layer hid.
    fn hidden(&mut self, text: &mut String) {
        if self.state != Mark::Value {
            self.state = Mark::None;
            text.push_str("***");
        }
    }

    /// The end of the transcript: a value still open was hidden.
    fn finish(&mut self, text: &mut String) {
        if self.state == Mark::Value {
            self.state = Mark::None;
            text.push_str("***");
        }
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

    /// The transcript of `reads`, `finish` included.
    fn transcript(secrets: &[&[u8]], reads: &[&[u8]]) -> String {
        let mut out = Vec::new();
        let secrets = secrets.iter().map(|s| s.to_vec()).collect();
        let mut t = Transcript::with_secrets(&mut out, Vec::new());
        // The matching itself, for secrets of any length (the tool's minimum is tested apart).
        t.values = Values::new(secrets, 1);
        for read in reads {
            t.record(Wire::Received(read));
        }
        t.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The text of all `< ` lines, joined: what was received, whatever the splits.
    fn joined(text: &str) -> String {
        text.lines().map(|l| l.strip_prefix("< ").unwrap()).collect()
    }

    /// For every way to cut `wire` into two reads, and into three: the transcript, joined,
    /// is `expected`; one line per read, and at most one more; nothing in `hidden` shows.
    fn every_split(secrets: &[&[u8]], wire: &[u8], expected: &str, hidden: &[&str]) {
        let check = |cuts: &[usize]| {
            let mut reads = Vec::new();
            let mut from = 0;
            for &c in cuts.iter().chain([&wire.len()]) {
                reads.push(&wire[from..c]);
                from = c;
            }
            let text = transcript(secrets, &reads);
            let lines = text.lines().count();
            assert!(lines == reads.len() || lines == reads.len() + 1, "{cuts:?}: {text}");
            assert_eq!(joined(&text), expected, "{cuts:?}: {text}");
            for h in hidden {
                assert!(!text.contains(h), "{cuts:?}: {text}");
            }
        };
        for i in 0..=wire.len() {
            check(&[i]);
            for j in i..=wire.len() {
                check(&[i, j]);
            }
        }
    }

    const ECHO: &[u8] = b"AT#FTPPW=\"hunter2\"\r\r\nOK\r\nAT#APNPW=\"pppw\"\r\r\nOK\r\n";
    const ECHO_TEXT: &str =
        "AT#FTPPW=\"***\"\\x0d\\x0d\\x0aOK\\x0d\\x0aAT#APNPW=\"***\"\\x0d\\x0d\\x0aOK\\x0d\\x0a";
    const SECRETS: &[&[u8]] = &[b"hunter2", b"pppw"];
    const HIDDEN: &[&str] = &["hunter", "unter2", "pppw", "hun\\x00ter", "ppp\\x00w"];

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
    fn an_echoed_password_is_hidden_by_either_layer_over_two_or_three_reads() {
        every_split(&[], ECHO, ECHO_TEXT, HIDDEN);
        every_split(SECRETS, ECHO, ECHO_TEXT, HIDDEN);
    }

    #[test]
    fn a_nul_inside_the_mark_hides_nothing_less() {
        let cases: [(&[u8], &str); 4] = [
            (b"AT#FTPPW\0=\"hunter2\"\r\nOK\r\n", "AT#FTPPW\\x00=\"***\"\\x0d\\x0aOK\\x0d\\x0a"),
            (b"AT#FTP\0PW=\"hunter2\"\r\nOK\r\n", "AT#FTP\\x00PW=\"***\"\\x0d\\x0aOK\\x0d\\x0a"),
            (b"AT#FTPP\0W=\0\"hunter2\"\r\n", "AT#FTPP\\x00W=\\x00\"***\"\\x0d\\x0a"),
            (b"AT#APNPW=\0\0\"pppw\"\r\n", "AT#APNPW=\\x00\\x00\"***\"\\x0d\\x0a"),
        ];
        for (wire, expected) in cases {
            every_split(&[], wire, expected, HIDDEN);
            every_split(SECRETS, wire, expected, HIDDEN);
        }
    }

    #[test]
    fn a_nul_inside_the_password_hides_nothing_less() {
        let wire = b"AT#FTPPW=\"hun\0ter2\"\r\nAT#APNPW=\"p\0\0ppw\"\r\n";
        let expected = "AT#FTPPW=\"***\"\\x0d\\x0aAT#APNPW=\"***\"\\x0d\\x0a";
        every_split(&[], wire, expected, HIDDEN);
        every_split(SECRETS, wire, expected, HIDDEN);
        // Without a mark, the value alone: the NULs inside go with it, those around show.
        every_split(SECRETS, b"x\0hun\0ter2\0y", "x\\x00***\\x00y", HIDDEN);
    }

    #[test]
    fn a_read_back_password_is_hidden() {
        let wire = b"#FTPPW: \"hunter2\"\r\nOK\r\n#APNPW: \"pppw\"\r\nOK\r\n";
        let expected = "#FTPPW: \"***\"\\x0d\\x0aOK\\x0d\\x0a#APNPW: \"***\"\\x0d\\x0aOK\\x0d\\x0a";
        every_split(&[], wire, expected, HIDDEN);
        every_split(SECRETS, wire, expected, HIDDEN);
        let wire = b"#FTPPW:\"hunter2\"\r\n#apnpw:\0 \0 \"pppw\"\r\n";
        let expected = "#FTPPW:\"***\"\\x0d\\x0a#apnpw:\\x00 \\x00 \"***\"\\x0d\\x0a";
        every_split(&[], wire, expected, HIDDEN);
    }

    #[test]
    fn what_is_not_a_mark_shows() {
        let wire = b"PW \"a\" PW:x\"b\" PWD: \"c\" P W=\"d\" PW=;\"e\" PW==\"f\"\r\n";
        let expected = "PW \"a\" PW:x\"b\" PWD: \"c\" P W=\"d\" PW=;\"e\" PW==\"f\"\\x0d\\x0a";
        every_split(&[], wire, expected, &[]);
        // A value ends at a line end too, and the mark may come again at once.
        every_split(&[], b"PPW=\"a\rPW:\"b\nx", "PPW=\"***\\x0dPW:\"***\\x0ax", &[]);
    }

    #[test]
    fn a_known_secret_is_hidden_without_any_mark() {
        let wire = b"#FTPPW: hunter2\r\n+CME ERROR: HUNTER2 pppw\r\n";
        let expected = "#FTPPW: ***\\x0d\\x0a+CME ERROR: *** ***\\x0d\\x0a";
        every_split(SECRETS, wire, expected, &["hunter", "HUNTER", "pppw"]);
        // Twice in a row, or with NULs between: one run.
        every_split(SECRETS, b"<hunter2hunter2\0pppw>", "<***>", HIDDEN);
        // Unknown, unmarked: shown (the limit of the second layer).
        assert_eq!(transcript(&[], &[b"#FTPPW: hunter2"]), "< #FTPPW: hunter2\n");
    }

    #[test]
    fn a_secret_split_across_three_reads_is_hidden() {
        let text = transcript(SECRETS, &[b"ERROR: hun", b"te", b"r2 OK"]);
        assert_eq!(text, "< ERROR: \n< \n< *** OK\n");
        let text = transcript(SECRETS, &[b"AT#FTPPW=\"hun", b"\0te", b"r2\"\r"]);
        assert_eq!(text, "< AT#FTPPW=\"\n< \n< ***\"\\x0d\n");
        every_split(SECRETS, b"ERROR: hun\0ter2 OK", "ERROR: *** OK", HIDDEN);
    }

    #[test]
    fn a_prefix_that_is_no_secret_comes_out_unchanged_and_in_order() {
        let text = transcript(SECRETS, &[b"say hunte", b"\0r3 ok"]);
        assert_eq!(text, "< say \n< hunte\\x00r3 ok\n");
        let wire = b"hunte\0r hunter ppp\0 w hhunter2 ppppw";
        let expected = "hunte\\x00r hunter ppp\\x00 w h*** p***";
        every_split(SECRETS, wire, expected, &["hunter2", "pppw"]);
        // A failed secret under way, while a shorter one is found inside it.
        let wire = b"xabcy xabcd";
        every_split(&[b"abcd", b"bc"], wire, "xa***y x***", &[]);
    }

    #[test]
    fn finish_writes_what_is_held_back() {
        assert_eq!(transcript(SECRETS, &[b"OK\r\n", b"hun"]), "< OK\\x0d\\x0a\n< \n< hun\n");
        assert_eq!(transcript(SECRETS, &[b"hunter2\0\0"]), "< ***\n< \\x00\\x00\n");
        assert_eq!(transcript(SECRETS, &[b"x hun\0"]), "< x \n< hun\\x00\n");
        // A marked value never closed.
        assert_eq!(transcript(&[], &[b"AT#FTPPW=\"hunt"]), "< AT#FTPPW=\"\n< ***\n");
        // Nothing held: no line more.
        assert_eq!(transcript(SECRETS, &[b"OK\r\n"]), "< OK\\x0d\\x0a\n");
    }

    #[test]
    fn a_known_password_with_a_quote_is_hidden_whole() {
        every_split(&[b"a\"b"], b"PW=\"a\"b\"\r\n", "PW=\"***\"\\x0d\\x0a", &["b\""]);
    }

    #[test]
    fn empty_secrets_are_ignored() {
        let wire = b"\0OK\0\r\n";
        every_split(&[b"", b"\0\0"], wire, "\\x00OK\\x00\\x0d\\x0a", &[]);
        let t = Transcript::with_secrets(Vec::new(), vec![Vec::new(), vec![0], b"x\0yzw".to_vec()]);
        assert_eq!(t.values.secrets, [b"xyzw".to_vec()]);
    }

    #[test]
    fn a_short_password_is_left_to_the_marks() {
        // Hidden by value, a password `p` would turn every P of the transcript into `***`,
        // which tells what it is; the marks still hide its echo.
        let mut t = Transcript::with_secrets(Vec::new(), vec![b"p".to_vec(), b"abc".to_vec()]);
        t.record(Wire::Received(b"AT#FTPSERV=\"abc.example\"\r\r\nAT#FTPPW=\"p\"\r"));
        assert_eq!(
            String::from_utf8(t.out).unwrap(),
            "< AT#FTPSERV=\"abc.example\"\\x0d\\x0d\\x0aAT#FTPPW=\"***\"\\x0d\n"
        );
    }

    #[test]
    fn what_is_held_stays_bounded() {
        let mut t = Transcript::with_secrets(Vec::new(), vec![b"aaaab".to_vec()]);
        t.record(Wire::Received(&[b'a'; 10_000]));
        t.record(Wire::Received(&[0; 10_000]));
        assert!(t.values.held.len() < 5 && t.values.partial.len() <= 4);
        t.record(Wire::Received(b"b"));
        assert!(t.values.held.is_empty() && t.values.partial.is_empty());
        let text = String::from_utf8(t.out).unwrap();
        let expected = format!("< {}\n< \n< ***\n", "a".repeat(9_996));
        assert_eq!(text, expected);
    }

    /// The first layer done on the whole stream at once, by brute force: a byte is hidden if
    /// an occurrence of a secret (noise skipped) covers it, a NUL if the bytes on both sides
    /// are; each run of hidden bytes is one `***`.
    fn reference(secrets: &[&[u8]], wire: &[u8]) -> String {
        let at: Vec<usize> = (0..wire.len()).filter(|&i| !is_noise(wire[i])).collect();
        let mut hidden = vec![false; wire.len()];
        for start in 0..at.len() {
            for s in secrets {
                let fits = at.len() - start >= s.len()
                    && s.iter().zip(&at[start..]).all(|(c, &i)| c.eq_ignore_ascii_case(&wire[i]));
                if fits && !s.is_empty() {
                    for &i in &at[start..start + s.len()] {
                        hidden[i] = true;
                    }
                }
            }
        }
        for pair in at.windows(2) {
            if hidden[pair[0]] && hidden[pair[1]] {
                hidden[pair[0]..pair[1]].iter_mut().for_each(|h| *h = true);
            }
        }
        let mut text = String::new();
        for (i, &b) in wire.iter().enumerate() {
            if !hidden[i] {
                push(&mut text, b);
            } else if i == 0 || !hidden[i - 1] {
                text.push_str("***");
            }
        }
        text
    }

    #[test]
    fn the_first_layer_agrees_with_a_brute_force_one_on_random_streams_and_splits() {
        // No `P`, `W`, quote or line end: the second layer lets all through.
        let secrets: &[&[u8]] = &[b"aab", b"ba", b"abAb", b"bbbbb"];
        let alphabet = b"aAbx\0";
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % n
        };
        for _ in 0..3_000 {
            let wire: Vec<u8> = (0..next(16)).map(|_| alphabet[next(alphabet.len())]).collect();
            let mut reads = Vec::new();
            let mut from = 0;
            while from < wire.len() {
                let to = from + next(wire.len() - from + 1);
                reads.push(&wire[from..to]);
                from = to;
            }
            let text = transcript(secrets, &reads);
            assert_eq!(joined(&text), reference(secrets, &wire), "{reads:?}: {text}");
        }
    }

    #[test]
    fn other_bytes_pass_escaped() {
        let mut t = Transcript::new(Vec::new());
        t.record(Wire::Received(b"\x10\x03PW=x P\"W"));
        assert_eq!(String::from_utf8(t.out).unwrap(), "< \\x10\\x03PW=x P\"W\n");
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn lines_can_be_stamped_and_shortened() {
        let mut t =
            Transcript::with_secrets(Vec::new(), vec![b"hunter2".to_vec()]).stamped().shortened(12);
        t.record(Wire::Received(b"OK"));
        t.record(Wire::Received(b"0123456789abcdefhunter2"));
        t.write_held();
        let text = String::from_utf8(t.out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        for line in &lines {
            // `[    0.000] ` then the direction.
            assert!(line.starts_with('[') && line[1..11].trim().parse::<f64>().is_ok(), "{line}");
            assert_eq!(&line[11..14], "] <", "{line}");
        }
        assert!(lines[0].ends_with("< OK"), "{}", lines[0]);
        assert!(lines[1].ends_with("< 0123456789ab... (19 characters in all)"), "{}", lines[1]);
        assert!(!text.contains("hunter2"));
    }
}
