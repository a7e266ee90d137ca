//! Memory stays flat whatever the file size, measured as this process's peak resident memory:
//! alone in its own test binary, so that no other test's buffers count.
#![allow(clippy::unwrap_used)]

use std::io::Write;

use at_ftp_blocking::{Client, Serial, Verify};
use at_ftp_modem::{Options, Testbed, sample};

/// Peak resident memory of this process, from `/proc/self/status`.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn memory_stays_flat_whatever_the_file_size() {
    let bed = Testbed::new(Options::default()).unwrap();
    // Written in pieces, so that the test itself never holds the big file.
    let mut f = std::fs::File::create(bed.file("big")).unwrap();
    for i in 0..128 {
        f.write_all(&sample(1 << 20, i)).unwrap();
    }
    std::fs::write(bed.file("small"), sample(1 << 20, 1)).unwrap();
    let mut c = Client::open(&bed.line().to_string_lossy(), &Serial::default()).unwrap();
    let out = tempfile::tempdir().unwrap();
    c.get_to_file(&bed.request("small"), &out.path().join("small"), &Verify::new()).unwrap();
    let after_small = peak_kib();
    let got = c.get_to_file(&bed.request("big"), &out.path().join("big"), &Verify::new()).unwrap();
    let after_big = peak_kib();
    assert_eq!(got, 128 << 20);
    // 128 times the data moved through; the peak may not grow by more than a few buffers.
    let growth = after_big.saturating_sub(after_small);
    eprintln!("peak RSS after 1 MiB: {after_small} KiB, after 128 MiB: {after_big} KiB");
    assert!(growth < 8 * 1024, "peak grew by {growth} KiB ({after_small} -> {after_big})");
}
