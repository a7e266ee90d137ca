//! The portable codec kernel against the byte-at-a-time oracle (see `kernel/mod.rs`).
#![no_main]

mod kernel;

use at_ftp_proto::Kernel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: kernel::Input| kernel::check(Some(Kernel::PORTABLE), input));
