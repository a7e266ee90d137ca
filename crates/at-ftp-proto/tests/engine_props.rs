//! Properties of the engine over generated transcripts: random payloads heavy in DLE and ETX,
//! random modem quirks (echo, numeric results, NUL noise, URCs, an extra ETX) and random
//! endings. Any partition of the modem's bytes must give the same events and payload; success
//! comes only with a final `OK`; payload events stay within their bound (checked by the
//! harness on every event).
//!
//! Every property runs on the default engine and on the microcontroller preset.
// The same modules, once per engine size: on purpose.
#![allow(clippy::duplicate_mod)]

/// The default engine's sizes.
mod default_sizes {
    type Engine = at_ftp_proto::Engine;
    include!("engine_props/props.rs");
}

/// The microcontroller preset.
mod small_sizes {
    type Engine = at_ftp_proto::SmallEngine;
    include!("engine_props/props.rs");
}
