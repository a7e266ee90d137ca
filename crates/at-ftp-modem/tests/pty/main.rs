//! The emulator on a real pseudo-terminal, doing real FTP against the in-process server.
//!
//! `transfers` drives it with the core's `Engine` through a minimal host loop; `wire` writes
//! AT commands by hand and compares the exact bytes each fault switch puts on the line;
//! `failures` maps real FTP failures to the modem's codes.

// A test helper that fails panics with the failing call's location, which is all we need.
#![allow(clippy::unwrap_used)]

mod failures;
mod host;
mod transfers;
mod wire;
