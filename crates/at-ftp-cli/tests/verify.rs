//! Verified transfers through the built binary: `get` with `--size`, the four digests and
//! `--checksum-file`, right and wrong (exit status 6, nothing written, an existing file
//! kept), and `put --verify` against a server that stores what was sent and one that does
//! not. Every expected digest comes from another tool than ours (coreutils, gzip).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command as Process;

use at_ftp_modem::{Faults, Options, Testbed, sample};
use predicates::prelude::*;

mod common;
use common::{at_ftp, device, url};

/// The hex digest `tool` (`sha256sum`, ...) prints for `path`.
fn tool(tool: &str, path: &Path) -> String {
    let out = Process::new(tool).arg(path).output().unwrap();
    assert!(out.status.success(), "{tool}");
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

/// The CRC-32 of `path` as gzip computes it (its trailer holds it, least significant first).
fn gzip_crc32(path: &Path) -> String {
    let out = Process::new("gzip").arg("-c").arg(path).output().unwrap();
    let n = out.stdout.len();
    let crc = u32::from_le_bytes(out.stdout[n - 8..n - 4].try_into().unwrap());
    format!("{crc:08x}")
}

/// `hex` with its first digit changed.
fn wrong(hex: &str) -> String {
    let first = if hex.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &hex[1..])
}

#[test]
fn each_digest_and_the_size_right_and_wrong() {
    let bed = Testbed::new(Options::default()).unwrap();
    let bytes = sample(50_000, 41);
    std::fs::write(bed.file("f.bin"), &bytes).unwrap();
    let served = bed.file("f.bin");
    let digests = [
        ("--sha256", tool("sha256sum", &served)),
        ("--sha1", tool("sha1sum", &served)),
        ("--md5", tool("md5sum", &served)),
        ("--crc32", gzip_crc32(&served)),
        ("--size", "50000".to_owned()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.bin");
    let get = |flag: &str, value: &str| {
        let mut cmd = at_ftp();
        cmd.args(["get", "-q", "-d", &device(&bed), flag, value, &url(&bed, "f.bin"), "-o"])
            .arg(&out);
        cmd
    };
    for (flag, value) in &digests {
        get(flag, value).assert().success();
        assert!(std::fs::read(&out).unwrap() == bytes, "{flag}");
    }
    std::fs::write(&out, b"kept").unwrap();
    for (flag, value) in &digests {
        let value = if *flag == "--size" { "49999".to_owned() } else { wrong(value) };
        get(flag, &value).assert().code(6).stderr(
            predicate::str::contains("not the one expected")
                .and(predicate::str::contains("is left as it was")),
        );
        assert_eq!(std::fs::read(&out).unwrap(), b"kept", "{flag}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "a temporary file was left");
    // A digest that is no digest is refused before the port is opened.
    at_ftp()
        .args(["get", "-d", "/nonexistent/tty", "--sha256", "abc", &url(&bed, "f.bin")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("64 hex digits"));
    // -v prints the digest it computed.
    let sha = &digests[0].1;
    at_ftp()
        .args(["get", "-v", "-d", &device(&bed), &url(&bed, "f.bin"), "-o"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("SHA-256 {sha}")));
}

#[test]
fn a_checksum_file_on_the_server_in_both_formats_and_missing() {
    let bed = Testbed::new(Options::default()).unwrap();
    let bytes = sample(20_000, 42);
    std::fs::write(bed.file("f.bin"), &bytes).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.bin");
    let get = || {
        let mut cmd = at_ftp();
        cmd.args(["get", "-q", "-d", &device(&bed), "--checksum-file", &url(&bed, "f.bin")])
            .arg("-o")
            .arg(&out);
        cmd
    };
    get().assert().code(6).stderr(
        predicate::str::contains("f.bin.sha256").and(predicate::str::contains("f.bin.md5")),
    );
    assert!(!out.exists());
    // md5sum's format, then sha256sum's (which wins), as the tools write them.
    let md5 = Process::new("md5sum").arg("f.bin").current_dir(bed.root()).output().unwrap();
    std::fs::write(bed.file("f.bin.md5"), md5.stdout).unwrap();
    get().assert().success();
    assert!(std::fs::read(&out).unwrap() == bytes);
    let sha = Process::new("sha256sum").arg("f.bin").current_dir(bed.root()).output().unwrap();
    std::fs::write(bed.file("f.bin.sha256"), &sha.stdout).unwrap();
    // The file on the server changes, its checksum file does not: refused, the good copy kept.
    let mut changed = bytes.clone();
    changed[7] ^= 0x80;
    std::fs::write(bed.file("f.bin"), &changed).unwrap();
    get().assert().code(6).stderr(predicate::str::contains("SHA-256"));
    assert!(std::fs::read(&out).unwrap() == bytes);
}

#[test]
fn put_verify_proves_the_servers_copy_or_fails_with_6() {
    let local_dir = tempfile::tempdir().unwrap();
    let local = local_dir.path().join("up.bin");
    std::fs::write(&local, sample(30_000, 43)).unwrap();
    let sha = tool("sha256sum", &local);

    let bed = Testbed::new(Options::default()).unwrap();
    at_ftp()
        .args(["put", "--verify", "-d", &device(&bed)])
        .arg(&local)
        .arg(url(&bed, "copy.bin"))
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("proven identical (SHA-256 {sha})")));
    assert_eq!(tool("sha256sum", &bed.file("copy.bin")), sha);

    let faults = Faults { corrupt_upload_at: Some(12_345), ..Faults::default() };
    let bed = Testbed::new(Options { faults, ..Options::default() }).unwrap();
    at_ftp()
        .args(["put", "--verify", "-d", &device(&bed)])
        .arg(&local)
        .arg(url(&bed, "copy.bin"))
        .assert()
        .code(6)
        .stderr(predicate::str::contains("the server's copy of copy.bin is not what was sent"));
    // Without --verify the same upload "succeeds": the modem said OK.
    at_ftp()
        .args(["put", "-q", "-d", &device(&bed)])
        .arg(&local)
        .arg(url(&bed, "copy.bin"))
        .assert()
        .success();
    assert_ne!(tool("sha256sum", &bed.file("copy.bin")), sha);
}

#[test]
fn a_size_the_modem_reports_that_differs_warns_or_with_strict_size_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.bin");
    for (delta, strict, code, says) in [
        (0, true, 0, None),
        (1, false, 0, Some("warning: the modem reports FTPFILESIZE 3001, but 3000 bytes came")),
        (1, true, 6, Some("FTPFILESIZE 3001, but 3000 bytes came (--strict-size)")),
    ] {
        let faults = Faults { reported_size_delta: Some(delta), ..Faults::default() };
        let bed = Testbed::new(Options { faults, ..Options::default() }).unwrap();
        std::fs::write(bed.file("f.bin"), sample(3000, 44)).unwrap();
        let _ = std::fs::remove_file(&out);
        let mut cmd = at_ftp();
        cmd.args(["get", "-q", "-d", &device(&bed), &url(&bed, "f.bin"), "-o"]).arg(&out);
        if strict {
            cmd.arg("--strict-size");
        }
        let assert = cmd.assert().code(code);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        match says {
            Some(text) => assert!(err.contains(text), "{err}"),
            None => assert!(err.is_empty(), "{err}"),
        }
        // Only a failure leaves no file.
        assert_eq!(out.exists(), code == 0, "{delta} {strict}");
    }
}
