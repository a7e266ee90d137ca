//! Random interaction (after quinn-proto's): the core's real `Engine` against the emulator's
//! sans-IO `Modem`, in memory with virtual time, driven by generated lists of operations:
//! deliver bytes either way, let time pass, move the server's side, flip or drop a byte on
//! the line, make the modem fail, go silent, repeat a final result or enter a data phase
//! nobody asked for; abort from the host (now, or once the engine is in a chosen phase), kill
//! the host (drop its engine; a new one, default config, resynchronising, starts a fresh
//! operation on the same line) or start the next operation.
//!
//! The host's port holds a bounded number of bytes on their way to the modem: a write takes
//! what fits (often nothing), as a real port under flow control does.
//!
//! Invariants, after every step: no panic; payload and transmits within their bounds; at
//! most one end per operation; read deadlines in the future (the engine fires what passed);
//! progress that never goes back; no byte the host writes after it heard of an upload phase
//! nobody asked for lands in that phase (the engine ends it with a lone terminator); every
//! stored upload a prefix of its file (at most one stray ETX where a pair was left open and a
//! resynchronisation's terminators completed it), so no command ever lands in a file. At the
//! end, with everything delivered and time let run, every operation started and not killed
//! has ended once. A success delivered exactly the file when the line was clean, and, when it
//! was not, exactly what the stuffed bytes on the line decode to: a broken stuffing is a
//! failure, never a guess; an upload's success means the server holds exactly the file.
//!
//! After a kill or an abort, the next operation on the same line succeeds byte-exact: an
//! operation that started on a line known clean (the first; the first of a new engine, after
//! a kill; one after an abort) and was left alone (no fault, no corrupted byte, no time let
//! pass with bytes on their way) succeeds, and so does a last one run after all the others
//! with the line left alone, by the same engine or by a new one (which recovers whatever the
//! others left on the line, unless the modem went silent for good).
//!
//! The engine bugs this test found are fixed; each has its minimized case in `engine_bugs`.
//! `strict` is on in every run: the lenient mode that let the property look past them while
//! they were open is kept for the next one found.
//!
//! Every property runs on the default engine and on the microcontroller preset.
#![allow(clippy::unwrap_used)]

#[path = "../../at-ftp-proto/tests/oracle/mod.rs"]
mod oracle;

/// The default engine's sizes.
mod default_sizes {
    type Engine = at_ftp_proto::Engine;
    const PORT: usize = at_ftp_proto::INPUT_BUFFER;
    const CHUNK: usize = at_ftp_proto::PAYLOAD_CHUNK;
    include!("interaction/body.rs");
}

/// The microcontroller preset.
mod small_sizes {
    type Engine = at_ftp_proto::SmallEngine;
    const PORT: usize = 256;
    const CHUNK: usize = 256;
    include!("interaction/body.rs");
}
