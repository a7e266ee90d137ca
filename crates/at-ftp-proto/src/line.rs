//! Framing response lines out of the command-mode byte stream.
//!
//! This module owns one job: cut the bytes the modem sends outside data mode into lines. A line
//! ends at CR, at LF, or at CR LF (PROTOCOL.md section 1); blank lines are skipped; NUL bytes
//! (sent by some modems after a reset) are dropped. An ETX (the modem echoes the host's final
//! ETX of an upload, and may send one extra after a download) is dropped and discards the
//! line begun before it: what precedes a terminator is the tail of data the engine was not
//! decoding (a download drained by a resynchronisation, one that outlived its deadline), and
//! the line after it must be framed alone, or an `Ok_Info_WaitingForData` glued to that tail
//! would go unseen. The scan is
//! resumable: each call looks only at new bytes (with `memchr2`) and copies them into a fixed
//! buffer, so memory is bounded. A line longer than the limit is reported once, the moment it
//! passes the limit, and discarded up to its end.
//!
//! The LF of a CR LF pair is not consumed with the CR: after `1025\r` in numeric mode the next
//! byte is already payload, even an LF, so the session decides ([`Framer::forget_cr`]).

/// The largest `Config::max_line_len`, and the default engine's `LINE` buffer: the longest
/// answer of PROTOCOL.md (a quoted value at `Limits::MAX`) fits with room to spare.
pub const MAX_LINE: usize = 512;
/// The smallest `Config::max_line_len` that works: every result code of PROTOCOL.md
/// section 1 and a `#CME ERROR: <n>` with a five-digit code fit.
pub const MIN_LINE: usize = 24;

/// What [`Framer::push`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A complete, non-blank line, in [`Framer::line`] until the next call. `cr` says whether it
    /// ended with CR (an LF may follow that belongs to the same line end).
    Line { cr: bool },
    /// The current line passed the limit; it is discarded up to its end.
    TooLong,
}

/// The resumable line framer.
#[derive(Clone, Debug)]
pub(crate) struct Framer<const N: usize> {
    buf: [u8; N],
    len: usize,
    limit: usize,
    etx: u8,
    /// Discarding an over-long line up to its end.
    discarding: bool,
    /// The last line ended with CR: an LF now is the rest of that line end.
    after_cr: bool,
    /// `buf[..len]` holds a reported line, to clear on the next push.
    reported: bool,
}

impl<const N: usize> Framer<N> {
    /// A framer for lines of at most `limit` bytes (capped at `N`); `etx` is the terminator
    /// byte to drop.
    pub(crate) const fn new(limit: usize, etx: u8) -> Self {
        Framer {
            buf: [0; N],
            len: 0,
            limit: if limit < N { limit } else { N },
            etx,
            discarding: false,
            after_cr: false,
            reported: false,
        }
    }

    /// The line of the last [`Frame::Line`].
    pub(crate) fn line(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Forgets that the last line ended with CR: the next byte is not part of its line end.
    pub(crate) fn forget_cr(&mut self) {
        self.after_cr = false;
    }

    /// Whether a line has begun and not ended: bytes of it were framed already.
    pub(crate) fn is_mid_line(&self) -> bool {
        (!self.reported && self.len > 0) || self.discarding
    }

    /// Forgets everything: the next byte starts a new line.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.discarding = false;
        self.after_cr = false;
        self.reported = false;
    }

    /// Scans `input` up to and including the end of the next line, or all of it. Returns how
    /// many bytes it consumed and what it found; call again with the rest.
    pub(crate) fn push(&mut self, input: &[u8]) -> (usize, Option<Frame>) {
        if self.reported {
            // The line reported last time stayed readable until now.
            self.reported = false;
            self.len = 0;
        }
        let mut i = 0;
        loop {
            if self.after_cr && i < input.len() {
                self.after_cr = false;
                if input[i] == b'\n' {
                    i += 1;
                }
            }
            let rest = &input[i..];
            let Some(at) = memchr::memchr3(b'\r', b'\n', self.etx, rest) else {
                if let Some(frame) = self.take(rest) {
                    return (input.len(), Some(frame));
                }
                return (input.len(), None);
            };
            if let Some(frame) = self.take(&rest[..at]) {
                // Report the overflow now; the line end is found again on the next call.
                return (i + at, Some(frame));
            }
            i += at + 1;
            if rest[at] == self.etx {
                // A terminator ends whatever line was begun, over-long or not, unreported.
                self.len = 0;
                self.discarding = false;
                self.after_cr = false;
                continue;
            }
            let cr = rest[at] == b'\r';
            self.after_cr = cr;
            let (len, discarding) = (self.len, self.discarding);
            self.len = 0;
            self.discarding = false;
            if len > 0 && !discarding {
                self.len = len;
                self.reported = true;
                return (i, Some(Frame::Line { cr }));
            }
        }
    }

    /// Appends `bytes` (no line end among them) to the current line; reports the moment it
    /// passes the limit.
    fn take(&mut self, bytes: &[u8]) -> Option<Frame> {
        if self.discarding {
            return None;
        }
        for &b in bytes {
            if b == 0 {
                continue;
            }
            if self.len == self.limit {
                self.discarding = true;
                self.len = 0;
                return Some(Frame::TooLong);
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `step` bytes; collects lines as strings and overflows as "!".
    fn frames(input: &[u8], limit: usize, step: usize) -> ([u8; 256], usize, usize) {
        let mut f = Framer::<MAX_LINE>::new(limit, 3);
        let mut out = [0u8; 256];
        let mut n = 0;
        let mut consumed = 0;
        for chunk in input.chunks(step) {
            let mut c = chunk;
            while !c.is_empty() {
                let (used, frame) = f.push(c);
                consumed += used;
                c = &c[used..];
                let text: &[u8] = match frame {
                    Some(Frame::Line { .. }) => f.line(),
                    Some(Frame::TooLong) => b"!",
                    None => continue,
                };
                out[n..n + text.len()].copy_from_slice(text);
                out[n + text.len()] = b'|';
                n += text.len() + 1;
            }
        }
        (out, n, consumed)
    }

    #[test]
    fn cuts_lines_at_every_kind_of_end_in_any_split() {
        let input = b"\r\nOK\r\n\n\rA\rB\nC\r\n\0\0D\r\x03\r\nE";
        for step in 1..input.len() {
            let (out, n, consumed) = frames(input, 16, step);
            assert_eq!(&out[..n], b"OK|A|B|C|D|", "step {step}");
            assert_eq!(consumed, input.len());
        }
    }

    #[test]
    fn a_terminator_discards_the_line_begun_before_it() {
        // The tail of data nobody decoded, its terminator, then an upload phase in numeric
        // codes; the same after a tail too long to be a line.
        let input = b"\x10\x10tail\x031028\r0123456789ABCDEF\x03\x03\r\nOK\r\n";
        for step in 1..input.len() {
            let (out, n, _) = frames(input, 8, step);
            assert_eq!(&out[..n], b"1028|!|OK|", "step {step}");
        }
    }

    #[test]
    fn an_over_long_line_is_reported_once_and_discarded() {
        let input = b"12345678\r\nABCDEFGHIJKLMN\r\nOK\r\n";
        for step in 1..input.len() {
            let (out, n, _) = frames(input, 8, step);
            assert_eq!(&out[..n], b"12345678|!|OK|", "step {step}");
        }
    }

    #[test]
    fn the_lf_after_a_cr_is_left_for_the_caller() {
        let mut f = Framer::<MAX_LINE>::new(16, 3);
        // The line is reported without consuming the LF: it may be payload.
        assert_eq!(f.push(b"1025\r\nX"), (5, Some(Frame::Line { cr: true })));
        assert_eq!(f.push(b"\nAB\n"), (4, Some(Frame::Line { cr: false })));
        assert_eq!(f.line(), b"AB", "the LF completed the CR LF pair");
        assert_eq!(f.push(b"C\r"), (2, Some(Frame::Line { cr: true })));
        f.forget_cr();
        // Now the LF is a (blank) line end of its own; the session uses this to hand it to
        // the decoder as payload instead.
        assert_eq!(f.push(b"\nD\n"), (3, Some(Frame::Line { cr: false })));
        assert_eq!(f.line(), b"D");
    }
}
