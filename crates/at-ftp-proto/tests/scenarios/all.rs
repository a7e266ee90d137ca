// The scenario modules, included once per engine size (main.rs).
#[path = "harness.rs"]
mod harness;

#[path = "abort.rs"]
mod abort;
#[path = "cme_before_data.rs"]
mod cme_before_data;
#[path = "download.rs"]
mod download;
#[path = "interrupted.rs"]
mod interrupted;
#[path = "invalid_escape.rs"]
mod invalid_escape;
#[path = "link.rs"]
mod link;
#[path = "long_lines.rs"]
mod long_lines;
#[path = "noise.rs"]
mod noise;
#[path = "out_of_step.rs"]
mod out_of_step;
#[path = "params.rs"]
mod params;
#[path = "refused.rs"]
mod refused;
#[path = "repro.rs"]
mod repro;
#[path = "secrets.rs"]
mod secrets;
#[path = "timeouts.rs"]
mod timeouts;
#[path = "upload.rs"]
mod upload;
#[path = "urcs.rs"]
mod urcs;
