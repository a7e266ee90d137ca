//! The byte-at-a-time oracle of the codec, and drivers that feed the real codec in pieces.
//!
//! The oracle is deliberately dumb: one byte at a time, one whole input at once, no state
//! carried between calls. Every fast path is compared with it. Shared by the property tests and
//! the fuzz targets (`#[path]`-included there), so both hold the codec to the same definition.
#![allow(dead_code, unreachable_pub)]

use at_ftp_proto::{Escaper, Unescaper};

/// How a decode ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    /// The lone terminator was consumed.
    End,
    /// The input ended first; `mid_escape` if it ended right after a DLE.
    Open { mid_escape: bool },
    /// Strict mode met DLE + an ordinary byte; the DLE is consumed, `byte` is not.
    Invalid { offset: u64, byte: u8 },
}

/// The result of decoding a whole wire stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub payload: Vec<u8>,
    pub consumed: usize,
    pub finish: Finish,
}

/// Decodes `wire` one byte at a time.
pub fn unescape(wire: &[u8], dle: u8, etx: u8, lenient: bool) -> Decoded {
    let mut payload = Vec::new();
    let mut i = 0;
    let finish = loop {
        let Some(&b) = wire.get(i) else {
            break Finish::Open { mid_escape: false };
        };
        i += 1;
        if b == etx {
            break Finish::End;
        }
        if b != dle {
            payload.push(b);
            continue;
        }
        let Some(&next) = wire.get(i) else {
            break Finish::Open { mid_escape: true };
        };
        if next == dle || next == etx {
            payload.push(next);
            i += 1;
        } else if lenient {
            payload.push(dle);
        } else {
            break Finish::Invalid { offset: (i - 1) as u64, byte: next };
        }
    };
    Decoded { payload, consumed: i, finish }
}

/// Encodes `payload` one byte at a time, terminator included.
pub fn escape(payload: &[u8], dle: u8, etx: u8) -> Vec<u8> {
    let mut wire = Vec::new();
    for &b in payload {
        if b == dle || b == etx {
            wire.push(dle);
        }
        wire.push(b);
    }
    wire.push(etx);
    wire
}

/// Turns arbitrary cut points into sorted read boundaries within `0..=len`.
pub fn boundaries(len: usize, cuts: &[usize]) -> Vec<usize> {
    let mut b: Vec<usize> = cuts.iter().map(|c| if len == 0 { 0 } else { c % (len + 1) }).collect();
    b.push(len);
    b.sort_unstable();
    b
}

/// Feeds `wire` to `dec` as reads ending at `cuts`, decoding into an output buffer of
/// `out_cap` bytes (at least 1), the way a port-driven caller would: unconsumed bytes are passed
/// again with the next read. Panics if the decoder stops making progress.
pub fn drive_unescape(dec: &mut Unescaper, wire: &[u8], cuts: &[usize], out_cap: usize) -> Decoded {
    let mut out = vec![0u8; out_cap.max(1)];
    let mut payload = Vec::new();
    let mut consumed = 0;
    for end in boundaries(wire.len(), cuts) {
        while consumed < end {
            match dec.unescape(&wire[consumed..end], &mut out) {
                Ok(p) => {
                    payload.extend_from_slice(&out[..p.written]);
                    consumed += p.consumed;
                    if p.end {
                        return Decoded { payload, consumed, finish: Finish::End };
                    }
                    assert!(p.consumed > 0 || p.written > 0, "decoder made no progress");
                }
                Err(e) => {
                    payload.extend_from_slice(&out[..e.progress.written]);
                    consumed += e.progress.consumed;
                    let finish = Finish::Invalid { offset: e.offset, byte: e.byte };
                    return Decoded { payload, consumed, finish };
                }
            }
        }
    }
    // Input used up: any byte still owed must come out with an empty read.
    let mid_escape = dec.is_mid_escape();
    if let Ok(p) = dec.unescape(&[], &mut out) {
        payload.extend_from_slice(&out[..p.written]);
    }
    Decoded { payload, consumed, finish: Finish::Open { mid_escape } }
}

/// Like [`drive_unescape`], decoding each read in place inside the caller's buffer.
pub fn drive_in_place(dec: &mut Unescaper, wire: &[u8], cuts: &[usize]) -> Decoded {
    let mut buf = Vec::new();
    let mut payload = Vec::new();
    let mut consumed = 0;
    let mut fed = 0;
    for end in boundaries(wire.len(), cuts) {
        buf.extend_from_slice(&wire[fed..end]);
        fed = end;
        while !buf.is_empty() {
            let before = buf.clone();
            let result = dec.unescape_in_place(&mut buf);
            // The bytes not consumed are untouched, whatever the outcome.
            let read = match &result {
                Ok(p) => p.consumed,
                Err(e) => e.progress.consumed,
            };
            assert_eq!(buf[read..], before[read..], "in place: unread bytes changed");
            match result {
                Ok(p) => {
                    payload.extend_from_slice(&buf[..p.written]);
                    buf.drain(..p.consumed);
                    consumed += p.consumed;
                    if p.end {
                        return Decoded { payload, consumed, finish: Finish::End };
                    }
                    assert!(p.consumed > 0 || p.written > 0, "decoder made no progress");
                }
                Err(e) => {
                    payload.extend_from_slice(&buf[..e.progress.written]);
                    consumed += e.progress.consumed;
                    let finish = Finish::Invalid { offset: e.offset, byte: e.byte };
                    return Decoded { payload, consumed, finish };
                }
            }
        }
    }
    // A byte owed by in-place decoding comes out through a one-byte output slice.
    let mid_escape = dec.is_mid_escape();
    let mut one = [0u8; 1];
    if let Ok(p) = dec.unescape(&[], &mut one) {
        payload.extend_from_slice(&one[..p.written]);
    }
    Decoded { payload, consumed, finish: Finish::Open { mid_escape } }
}

/// Feeds `payload` to `enc` in pieces ending at `cuts`, into an output buffer of `out_cap`
/// bytes (at least 1), then finishes; returns the wire bytes. Panics on a lack of progress.
pub fn drive_escape(enc: &mut Escaper, payload: &[u8], cuts: &[usize], out_cap: usize) -> Vec<u8> {
    let mut out = vec![0u8; out_cap.max(1)];
    let mut wire = Vec::new();
    let mut consumed = 0;
    for end in boundaries(payload.len(), cuts) {
        while consumed < end {
            let p = enc.escape(&payload[consumed..end], &mut out);
            assert!(!p.end);
            assert!(p.consumed > 0 || p.written > 0, "encoder made no progress");
            wire.extend_from_slice(&out[..p.written]);
            consumed += p.consumed;
        }
    }
    loop {
        let p = enc.finish(&mut out);
        wire.extend_from_slice(&out[..p.written]);
        if p.end {
            return wire;
        }
        assert!(p.written > 0, "finish made no progress");
    }
}
