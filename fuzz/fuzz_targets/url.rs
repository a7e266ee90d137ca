//! The `at-ftp` tool's URL parser on any text (seeds are real URL forms): a URL either is
//! refused in words or gives a file name and a directory that start where they must.
#![no_main]

#[allow(dead_code, unreachable_pub)]
#[path = "../../crates/at-ftp-cli/src/target.rs"]
mod target;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match target::parse(text) {
        Ok(t) => {
            assert!(!t.file.is_empty());
            assert!(t.dir.starts_with('/'));
            assert!(t.port > 0);
            assert!(!t.server.is_empty());
            assert!(format!("{t:?}").contains("password: \"***\""));
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
