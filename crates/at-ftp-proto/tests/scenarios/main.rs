//! Scenario tests of the session engine: full transcripts replayed under every split of the
//! modem's bytes (see `harness`). One file per scenario. Every scenario runs three times: on
//! the default engine, on the microcontroller preset (buffers an eighth to a sixteenth the
//! size), and on the smallest buffers the default config takes (8-byte reads and writes):
//! smaller reads, payloads and pieces of an upload, the same outcome.
// The same modules, once per engine size: on purpose.
#![allow(clippy::duplicate_mod)]

/// The default engine's sizes.
mod default_sizes {
    type Engine = at_ftp_proto::Engine;
    include!("all.rs");
}

/// The microcontroller preset.
mod small_sizes {
    type Engine = at_ftp_proto::SmallEngine;
    include!("all.rs");
}

/// The smallest buffers the default config takes.
mod smallest_sizes {
    use at_ftp_proto::{Config, Limits, MIN_PORT};
    const LINE: usize = Config::DEFAULT.max_line_len;
    type Engine = at_ftp_proto::Engine<MIN_PORT, LINE, LINE, { Limits::DEFAULT.script_len() }>;
    include!("all.rs");
}
