//! Scenario tests of the session engine: full transcripts replayed under every split of the
//! modem's bytes (see `harness`). One file per scenario.

mod harness;

mod abort;
mod cme_before_data;
mod download;
mod interrupted;
mod invalid_escape;
mod link;
mod long_lines;
mod noise;
mod out_of_step;
mod params;
mod refused;
mod repro;
mod secrets;
mod timeouts;
mod upload;
mod urcs;
