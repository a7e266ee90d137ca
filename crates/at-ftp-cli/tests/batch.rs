//! Batches through the built binary: several files over one port session, a parameter
//! command sent only when its value changed (counted in the trace), mixed successes and
//! failures with and without `--fail-fast`.
#![allow(clippy::unwrap_used)]

use at_ftp_modem::{Options, Testbed, sample};
use predicates::prelude::*;

mod common;
use common::{at_ftp, device, url};

/// The command lines of a trace, grouped by transfer: each group ends with its `AT#FTPGET`
/// or `AT#FTPPUT`.
fn commands_per_transfer(trace: &str) -> Vec<Vec<String>> {
    let mut groups = vec![Vec::new()];
    for line in trace.lines() {
        let Some((_, sent)) = line.split_once("] > ") else { continue };
        for command in sent.split("\\x0d").filter(|c| c.starts_with("AT")) {
            groups.last_mut().unwrap().push(command.to_owned());
            if command == "AT#FTPGET" || command == "AT#FTPPUT" {
                groups.push(Vec::new());
            }
        }
    }
    groups
}

#[test]
fn ten_files_of_one_directory_send_the_file_name_and_the_transfer_only() {
    let bed = Testbed::new(Options::default()).unwrap();
    let names: Vec<String> = (0..10).map(|i| format!("f{i}.bin")).collect();
    for (i, name) in names.iter().enumerate() {
        std::fs::write(bed.file(name), sample(1000 + i, i as u64)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let trace = out.path().join("trace.txt");
    let urls: Vec<String> = names.iter().map(|n| url(&bed, n)).collect();
    let into = out.path().join("into");
    std::fs::create_dir(&into).unwrap();
    let assert = at_ftp()
        .args(["get", "-d", &device(&bed), "--trace"])
        .arg(&trace)
        .arg("-o")
        .arg(&into)
        .args(&urls)
        .assert()
        .success();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for (i, name) in names.iter().enumerate() {
        assert!(std::fs::read(into.join(name)).unwrap() == sample(1000 + i, i as u64), "{name}");
        assert!(err.contains(&format!("got {name} into")), "{err}");
    }
    let groups = commands_per_transfer(&std::fs::read_to_string(&trace).unwrap());
    let counts: Vec<usize> = groups.iter().take(10).map(Vec::len).collect();
    eprintln!("command lines per file: {counts:?}");
    // The first: the resynchronisation's AT, the seven settings, the transfer. Each after it:
    // the file name, then the transfer (the FTPFILESIZE read of the first, which this modem
    // answers with no number, is not repeated).
    assert_eq!(counts[0], 9, "{:?}", groups[0]);
    for (i, group) in groups.iter().enumerate().take(10).skip(1) {
        let last = if i == 1 { vec!["AT#FTPFILESIZE?"] } else { vec![] };
        let expected: Vec<String> = last
            .into_iter()
            .map(str::to_owned)
            .chain([format!("AT#FTPGETFILENAME=\"f{i}.bin\""), "AT#FTPGET".to_owned()])
            .collect();
        assert_eq!(group, &expected, "file {i}");
    }
}

#[test]
fn a_failed_file_does_not_stop_the_others_unless_fail_fast() {
    let bed = Testbed::new(Options::default()).unwrap();
    std::fs::write(bed.file("a"), b"first").unwrap();
    std::fs::write(bed.file("c"), b"third").unwrap();
    let urls = [url(&bed, "a"), url(&bed, "missing"), url(&bed, "c")];
    let dir = tempfile::tempdir().unwrap();
    at_ftp()
        .current_dir(dir.path())
        .args(["get", "-d", &device(&bed)])
        .args(&urls)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("at-ftp: missing: the modem reported #CME ERROR 38016")
                .and(predicate::str::contains("1 of 3 files failed"))
                .and(predicate::str::contains("got c into c")),
        );
    assert_eq!(std::fs::read(dir.path().join("a")).unwrap(), b"first");
    assert_eq!(std::fs::read(dir.path().join("c")).unwrap(), b"third");
    assert!(!dir.path().join("missing").exists());

    let dir = tempfile::tempdir().unwrap();
    at_ftp()
        .current_dir(dir.path())
        .args(["get", "--fail-fast", "-d", &device(&bed)])
        .args(&urls)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("1 of 3 files failed"));
    assert!(dir.path().join("a").exists());
    assert!(!dir.path().join("c").exists(), "--fail-fast went on");
    // Several URLs: -o names a directory; one that is none is refused before the port.
    at_ftp()
        .args(["get", "-d", "/nonexistent/tty", "-o", "/nonexistent/dir"])
        .args(&urls)
        .assert()
        .code(3);
    at_ftp().args(["get", "-d", "/nonexistent/tty", "-o", "-"]).args(&urls).assert().code(2);
}

#[test]
fn several_files_go_into_the_directory_the_url_names() {
    let bed = Testbed::new(Options::default()).unwrap();
    std::fs::create_dir(bed.file("in")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = (0..3)
        .map(|i| {
            let path = dir.path().join(format!("up{i}.bin"));
            std::fs::write(&path, sample(2000, 50 + i)).unwrap();
            path
        })
        .collect();
    let trace = dir.path().join("trace.txt");
    at_ftp()
        .args(["put", "-q", "-d", &device(&bed), "--trace"])
        .arg(&trace)
        .args(&files)
        .arg(url(&bed, "in/"))
        .assert()
        .success();
    for i in 0..3 {
        let got = std::fs::read(bed.file(&format!("in/up{i}.bin"))).unwrap();
        assert!(got == sample(2000, 50 + i), "up{i}.bin");
    }
    let groups = commands_per_transfer(&std::fs::read_to_string(&trace).unwrap());
    assert_eq!(groups[1], ["AT#FTPPUTFILENAME=\"up1.bin\"", "AT#FTPPUT"]);
    assert_eq!(groups[2], ["AT#FTPPUTFILENAME=\"up2.bin\"", "AT#FTPPUT"]);
    // Several files to a URL that names no directory: refused before anything is opened.
    at_ftp()
        .args(["put", "-d", "/nonexistent/tty"])
        .args(&files)
        .arg(url(&bed, "in/one.bin"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("end it with /"));
}
