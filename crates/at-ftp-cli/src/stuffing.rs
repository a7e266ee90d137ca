//! `at-ftp stuff` and `at-ftp unstuff`: the core's DLE/ETX codec between standard input and
//! standard output, streaming, in bounded memory.

use std::io::{self, ErrorKind, Read, Write};

use at_ftp_proto::{Escaper, Specials, Strictness, Unescaper};

/// How much of the input is read at once.
const CHUNK: usize = 64 * 1024;

/// How `unstuff` ended, when it did not fail on I/O.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unstuffed {
    /// The lone ETX came; what followed it was ignored.
    Terminated,
    /// The input ended before the lone ETX.
    Unterminated,
    /// A DLE (at this offset of the input) was followed by another byte than DLE or ETX, in
    /// strict mode.
    InvalidEscape { offset: u64, byte: u8 },
}

/// Stuffs all of `input` into `output`, then the lone ETX.
pub(crate) fn stuff(
    specials: Specials,
    input: &mut dyn Read,
    output: &mut dyn Write,
) -> io::Result<()> {
    let mut escaper = Escaper::with(specials);
    let mut buf = vec![0u8; CHUNK];
    let mut out = Vec::with_capacity(2 * CHUNK + 2);
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.clear();
        escaper.escape_to_vec(&buf[..n], &mut out);
        output.write_all(&out)?;
    }
    out.clear();
    escaper.finish_to_vec(&mut out);
    output.write_all(&out)?;
    output.flush()
}

/// Decodes `input` up to its first lone ETX into `output`.
pub(crate) fn unstuff(
    specials: Specials,
    lenient: bool,
    input: &mut dyn Read,
    output: &mut dyn Write,
) -> io::Result<Unstuffed> {
    let mode = if lenient { Strictness::Lenient } else { Strictness::Strict };
    let mut unescaper = Unescaper::with(specials, mode);
    let mut buf = vec![0u8; CHUNK];
    let mut out = Vec::with_capacity(CHUNK + 2);
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => {
                output.flush()?;
                return Ok(Unstuffed::Unterminated);
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.clear();
        let result = unescaper.unescape_to_vec(&buf[..n], &mut out);
        // What came before a bad pair is written all the same.
        output.write_all(&out)?;
        match result {
            Ok(p) if p.end => {
                output.flush()?;
                return Ok(Unstuffed::Terminated);
            }
            Ok(_) => {}
            Err(e) => {
                output.flush()?;
                return Ok(Unstuffed::InvalidEscape { offset: e.offset, byte: e.byte });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuff_then_unstuff_gives_the_input_back_with_any_specials() {
        let input: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
        for specials in [Specials::DEFAULT, Specials::new(0x1b, 0x04).unwrap()] {
            let mut wire = Vec::new();
            stuff(specials, &mut input.as_slice(), &mut wire).unwrap();
            wire.extend_from_slice(b"trailing bytes");
            let mut back = Vec::new();
            let end = unstuff(specials, false, &mut wire.as_slice(), &mut back).unwrap();
            assert_eq!(end, Unstuffed::Terminated);
            assert!(back == input);
        }
    }

    #[test]
    fn unstuff_reports_a_missing_terminator_and_a_bad_escape() {
        let mut out = Vec::new();
        let end = unstuff(Specials::DEFAULT, false, &mut &b"ab\x10\x03"[..], &mut out).unwrap();
        assert_eq!((end, out.as_slice()), (Unstuffed::Unterminated, &b"ab\x03"[..]));
        let mut out = Vec::new();
        let end = unstuff(Specials::DEFAULT, false, &mut &b"ab\x10x\x03"[..], &mut out).unwrap();
        assert_eq!(end, Unstuffed::InvalidEscape { offset: 2, byte: b'x' });
        let mut out = Vec::new();
        let end = unstuff(Specials::DEFAULT, true, &mut &b"ab\x10x\x03"[..], &mut out).unwrap();
        assert_eq!((end, out.as_slice()), (Unstuffed::Terminated, &b"ab\x10x"[..]));
    }
}
