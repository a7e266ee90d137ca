//! The streaming encoder: payload in, stuffed wire bytes out, then the lone terminator.

use super::scan::{self, EncodeStop, Split};
use super::{Kernel, Progress, Specials};

/// The largest number of wire bytes `payload_len` payload bytes can need, terminator included:
/// `2 * payload_len + 1` (saturating).
///
/// ```
/// assert_eq!(at_ftp_proto::max_escaped_len(3), 7);
/// ```
pub const fn max_escaped_len(payload_len: usize) -> usize {
    payload_len.saturating_mul(2).saturating_add(1)
}

/// The streaming DLE/ETX encoder, for uploads.
///
/// Every DLE and ETX of the payload is escaped (an unescaped ETX would silently end the upload
/// and truncate the file on the server), and [`finish`](Self::finish) writes the lone
/// terminator. Output buffers of any size work: an escape pair split by a full buffer is
/// completed at the start of the next call.
///
/// ```
/// use at_ftp_proto::Escaper;
///
/// let mut wire = [0u8; 16];
/// let mut enc = Escaper::new();
/// let p = enc.escape(b"a\x03b\x10", &mut wire);
/// assert_eq!(p.consumed, 4);
/// let f = enc.finish(&mut wire[p.written..]);
/// assert!(f.end);
/// assert_eq!(&wire[..p.written + f.written], b"a\x10\x03b\x10\x10\x03");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Escaper {
    specials: Specials,
    /// A special byte whose DLE was written but which did not fit itself.
    split: Option<u8>,
    /// The terminator was written.
    ended: bool,
    /// The hot loop that runs.
    kernel: Kernel,
}

impl Escaper {
    /// An encoder for DLE (0x10) and ETX (0x03).
    pub const fn new() -> Self {
        Self::with(Specials::DEFAULT)
    }

    /// An encoder for other special bytes.
    pub const fn with(specials: Specials) -> Self {
        Self { specials, split: None, ended: false, kernel: Kernel::AUTO }
    }

    /// The special bytes this encoder uses.
    pub const fn specials(&self) -> Specials {
        self.specials
    }

    /// Whether the terminator has been written.
    pub const fn is_ended(&self) -> bool {
        self.ended
    }

    /// The kernel that runs the hot loop ([`Kernel::AUTO`] unless set).
    pub const fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Chooses the kernel that runs the hot loop. Every kernel writes the same bytes; this is
    /// for benchmarks and comparisons.
    pub fn set_kernel(&mut self, kernel: Kernel) {
        self.kernel = kernel;
    }

    /// Forgets all state, ready for a new stream (the kernel is kept).
    pub fn reset(&mut self) {
        *self = Self { kernel: self.kernel, ..Self::with(self.specials) };
    }

    /// Encodes `input` into `output`, until one of them is used up.
    ///
    /// Only `output[..written]` is the result; the bytes after it may have been overwritten
    /// (the SIMD kernels store whole vectors).
    ///
    /// After [`finish`](Self::finish) it does nothing and reports `end`.
    pub fn escape(&mut self, input: &[u8], output: &mut [u8]) -> Progress {
        if self.ended {
            return Progress { end: true, ..Progress::default() };
        }
        let w = self.write_split(output);
        let mut io = Split { input, output };
        let (consumed, written, stop) =
            scan::encode(&mut io, self.specials, self.kernel.path(), 0, w);
        if let EncodeStop::Split(byte) = stop {
            self.split = Some(byte);
        }
        Progress { consumed, written, end: false }
    }

    /// Writes what is left of a split pair, then the lone terminator.
    ///
    /// `end` is set once the terminator is written; with a full output, call again.
    pub fn finish(&mut self, output: &mut [u8]) -> Progress {
        if self.ended {
            return Progress { end: true, ..Progress::default() };
        }
        let mut written = self.write_split(output);
        if self.split.is_none()
            && let Some(slot) = output.get_mut(written)
        {
            *slot = self.specials.etx();
            written += 1;
            self.ended = true;
        }
        Progress { consumed: 0, written, end: self.ended }
    }

    /// Writes the second half of a split pair, if any and if it fits; returns bytes written.
    fn write_split(&mut self, output: &mut [u8]) -> usize {
        match (self.split, output.first_mut()) {
            (Some(byte), Some(slot)) => {
                *slot = byte;
                self.split = None;
                1
            }
            _ => 0,
        }
    }

    /// Encodes all of `input` and appends the wire bytes to `output`.
    #[cfg(feature = "alloc")]
    pub fn escape_to_vec(&mut self, input: &[u8], output: &mut alloc::vec::Vec<u8>) -> Progress {
        let start = output.len();
        output.resize(start + max_escaped_len(input.len()), 0);
        let p = self.escape(input, &mut output[start..]);
        output.truncate(start + p.written);
        p
    }

    /// Appends the rest of a split pair and the terminator to `output`.
    #[cfg(feature = "alloc")]
    pub fn finish_to_vec(&mut self, output: &mut alloc::vec::Vec<u8>) -> Progress {
        let mut tail = [0u8; 2];
        let p = self.finish(&mut tail);
        output.extend_from_slice(&tail[..p.written]);
        p
    }
}
