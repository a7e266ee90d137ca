//! The built `at-ftp` binary, tried as a field engineer would: interrupted mid-transfer, and
//! pointed at every kind of local path. Each interruption is followed by a run that must
//! succeed on the same line; each refused path must be refused before the port is opened.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command as Process, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use at_ftp_modem::{Options, Testbed, sample};
use predicates::prelude::*;

mod common;
use common::{at_ftp, bin, device, url};

/// A bed whose modem streams at 1 Mbit/s: 100 kB/s, so that a transfer of a few hundred
/// kilobytes lasts long enough to be interrupted.
fn paced() -> Testbed {
    Testbed::new(Options { baud: Some(1_000_000), ..Options::default() }).unwrap()
}

fn signal(child: &Child, name: &str) {
    let ok = Process::new("kill").args([name, &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
}

/// Waits for `child` to exit, `limit` at most.
fn exit_within(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `cond` holds, `limit` at most.
fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The size of the download's temporary file in `dir`, if there is one.
fn part_size(dir: &Path) -> Option<u64> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .and_then(|e| e.metadata().ok())
        .map(|m| m.len())
}

#[test]
fn sigint_and_sigterm_in_a_download_exit_at_once_and_the_next_run_succeeds() {
    let bed = paced();
    let bytes = sample(600_000, 31);
    std::fs::write(bed.file("big.bin"), &bytes).unwrap();
    std::fs::write(bed.file("small.bin"), b"small").unwrap();
    for (name, code) in [("-INT", 130), ("-TERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Process::new(bin())
            .args(["get", "-q", "-d", &device(&bed), &url(&bed, "big.bin"), "-o"])
            .arg(dir.path().join("big.bin"))
            .env_remove("AT_FTP_PASSWORD")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // In the data: the temporary file has some of it.
        wait_for(Duration::from_secs(30), "data", || part_size(dir.path()).unwrap_or(0) > 20_000);
        signal(&child, name);
        let status = exit_within(&mut child, Duration::from_secs(3));
        assert_eq!(status.code(), Some(code), "{name}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{name}: a file was left");
        // The next run drains what is still coming, then downloads.
        let out = at_ftp()
            .args(["get", "-q", "-d", &device(&bed), &url(&bed, "small.bin"), "-o", "-"])
            .assert()
            .success()
            .get_output()
            .clone();
        assert_eq!(out.stdout, b"small", "{name}");
    }
}

#[test]
fn sigint_in_an_upload_ends_it_and_the_remote_file_holds_only_a_prefix() {
    let bed = paced();
    let dir = tempfile::tempdir().unwrap();
    // A FIFO as the source, fed slowly: the interruption lands in the middle of the data.
    let fifo = dir.path().join("source");
    let made = Process::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let payload = sample(200_000, 32);
    let mut child = Process::new(bin())
        .args(["put", "-q", "-d", &device(&bed)])
        .arg(&fifo)
        .arg(url(&bed, "up.bin"))
        .env_remove("AT_FTP_PASSWORD")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    writer.write_all(&payload[..50_000]).unwrap();
    wait_for(Duration::from_secs(30), "upload data", || {
        std::fs::metadata(bed.file("up.bin")).map(|m| m.len()).unwrap_or(0) >= 40_000
    });
    signal(&child, "-INT");
    let status = exit_within(&mut child, Duration::from_secs(8));
    drop(writer);
    assert_eq!(status.code(), Some(130));
    let stored = std::fs::read(bed.file("up.bin")).unwrap();
    assert!(stored.len() >= 40_000 && payload.starts_with(&stored), "{} bytes", stored.len());
    // The line is clean: the next upload succeeds byte-exact.
    let local = dir.path().join("next.bin");
    std::fs::write(&local, &payload).unwrap();
    at_ftp()
        .args(["put", "-q", "-d", &device(&bed)])
        .arg(&local)
        .arg(url(&bed, "next.bin"))
        .assert()
        .success();
    assert!(std::fs::read(bed.file("next.bin")).unwrap() == payload);
    assert!(std::fs::read(bed.file("up.bin")).unwrap() == stored, "the interrupted file changed");
}

#[test]
fn output_paths_that_cannot_work_are_refused_before_the_port_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/f");
    let read_only = dir.path().join("ro");
    std::fs::create_dir(&read_only).unwrap();
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).unwrap();
    // The device does not exist: had the tool opened it, it would have exited 5.
    let cases: Vec<(std::path::PathBuf, &str)> =
        vec![(dir.path().to_owned(), "is a directory"), (missing.clone(), "no/such/dir")];
    for (path, says) in cases {
        at_ftp()
            .args(["get", "-d", "/dev/no-such-port", "ftp://h/f", "-o"])
            .arg(&path)
            .assert()
            .code(3)
            .stderr(predicate::str::contains(says).and(predicate::str::contains(".part").not()));
    }
    // A directory that cannot be written (root writes anywhere: only checked as a user).
    if std::fs::write(read_only.join("probe"), b"").is_err() {
        at_ftp()
            .args(["get", "-d", "/dev/no-such-port", "ftp://h/f", "-o"])
            .arg(read_only.join("f"))
            .assert()
            .code(3);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only ro/ is there");
}

#[test]
fn upload_sources_that_cannot_work_are_refused_before_anything_is_sent() {
    let bed = Testbed::new(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(bed.file("kept.bin"), b"keep me").unwrap();
    for (source, says) in
        [(dir.path().to_owned(), "is a directory"), (dir.path().join("none"), "none")]
    {
        at_ftp()
            .args(["put", "-d", &device(&bed)])
            .arg(&source)
            .arg(url(&bed, "kept.bin"))
            .assert()
            .code(3)
            .stderr(predicate::str::contains(says));
    }
    assert_eq!(std::fs::read(bed.file("kept.bin")).unwrap(), b"keep me", "the remote file changed");
    // A URL that names a directory gets the local file's name, percent-encoded.
    let local = dir.path().join("my report.csv");
    std::fs::write(&local, b"a,b\n").unwrap();
    at_ftp()
        .args(["put", "-q", "-d", &device(&bed)])
        .arg(&local)
        .arg(url(&bed, ""))
        .assert()
        .success();
    assert_eq!(std::fs::read(bed.file("my report.csv")).unwrap(), b"a,b\n");
}

#[test]
fn downloads_get_the_mode_a_new_file_gets_and_a_replaced_file_keeps_its_own() {
    let bed = Testbed::new(Options::default()).unwrap();
    std::fs::write(bed.file("f"), b"data").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for (umask, want) in [("022", 0o644), ("027", 0o640), ("002", 0o664)] {
        let out = dir.path().join(format!("new-{umask}"));
        let script = format!("umask {umask}; exec \"$0\" get -q -d \"$1\" \"$2\" -o \"$3\"",);
        let status = Process::new("sh")
            .args(["-c", &script])
            .arg(bin())
            .arg(device(&bed))
            .arg(url(&bed, "f"))
            .arg(&out)
            .env_remove("AT_FTP_PASSWORD")
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(mode(&out), want, "umask {umask}");
    }
    let kept = dir.path().join("kept");
    std::fs::write(&kept, b"old").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o604)).unwrap();
    at_ftp()
        .args(["get", "-q", "-d", &device(&bed), &url(&bed, "f"), "-o"])
        .arg(&kept)
        .assert()
        .success();
    assert_eq!((std::fs::read(&kept).unwrap(), mode(&kept)), (b"data".to_vec(), 0o604));
}

#[test]
fn a_symlink_is_followed_and_devices_and_fifos_are_written_in_place() {
    let bed = Testbed::new(Options::default()).unwrap();
    std::fs::write(bed.file("f"), b"through").unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A symbolic link (relative) to a file: the target is replaced, the link stays a link.
    std::fs::write(dir.path().join("real"), b"old").unwrap();
    std::os::unix::fs::symlink("real", dir.path().join("link")).unwrap();
    at_ftp()
        .args(["get", "-q", "-d", &device(&bed), &url(&bed, "f"), "-o"])
        .arg(dir.path().join("link"))
        .assert()
        .success();
    assert!(dir.path().join("link").symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(dir.path().join("real")).unwrap(), b"through");
    // /dev/null stays the character device it is.
    at_ftp()
        .args(["get", "-q", "-d", &device(&bed), &url(&bed, "f"), "-o", "/dev/null"])
        .assert()
        .success();
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    // A FIFO with a reader gets the bytes, and stays a FIFO.
    let fifo = dir.path().join("fifo");
    assert!(Process::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    at_ftp()
        .args(["get", "-q", "-d", &device(&bed), &url(&bed, "f"), "-o"])
        .arg(&fifo)
        .assert()
        .success();
    assert_eq!(reader.join().unwrap(), b"through");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let names: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 3, "no temporary file left: {names:?}");
}

#[test]
fn a_closed_output_pipe_ends_the_download_at_once() {
    let bed = paced();
    // 6 s of data at 100 kB/s.
    std::fs::write(bed.file("big.bin"), sample(600_000, 33)).unwrap();
    let start = Instant::now();
    let mut child = Process::new(bin())
        .args(["get", "-q", "-d", &device(&bed), &url(&bed, "big.bin"), "-o", "-"])
        .env_remove("AT_FTP_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader takes a little, then goes away.
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 1000];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    drop(out);
    let status = exit_within(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(3));
    assert!(start.elapsed() < Duration::from_secs(4), "waited for the data: {:?}", start.elapsed());
}

#[test]
fn retry_tries_again_after_a_transient_failure_only() {
    use at_ftp_modem::Faults;
    // The modem goes silent in the data, every time: two more attempts, then exit 4.
    let silent = Testbed::new(Options {
        faults: Faults { silence_after: Some(10), ..Faults::default() },
        ..Options::default()
    })
    .unwrap();
    std::fs::write(silent.file("f"), sample(100, 34)).unwrap();
    let out = at_ftp()
        .args(["get", "--retry", "2", "--retry-delay", "0.1", "--idle-timeout", "0.3"])
        .args(["-d", &device(&silent), &url(&silent, "f"), "-o", "-"])
        .assert()
        .code(4)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.matches("trying again").count(), 2, "{err}");
    // A refusal (a missing file: #CME ERROR 38016) is never tried again.
    let bed = Testbed::new(Options::default()).unwrap();
    let out = at_ftp()
        .args(["get", "--retry", "3", "--retry-delay", "0.1"])
        .args(["-d", &device(&bed), &url(&bed, "missing"), "-o", "-"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("trying again") && err.contains("38016"), "{err}");
}

#[test]
fn ports_lists_one_port_per_line_and_38016_names_its_causes() {
    let out = at_ftp().arg("ports").assert().success().get_output().clone();
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        let (name, kind) = line.split_once('\t').unwrap();
        assert!(name.starts_with("/dev/") && !kind.is_empty(), "{line}");
    }
    let bed = Testbed::new(Options::default()).unwrap();
    at_ftp()
        .args(["get", "-d", &device(&bed), &url(&bed, "missing"), "-o", "-"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("38016").and(predicate::str::contains("the login failed")),
        );
}

/// `at-ftp emulate` with `extra` switches, serving `root`; its pty's path.
fn emulate(root: &Path, extra: &[&str]) -> (Child, String) {
    common::emulate(root, extra, Stdio::null())
}

#[test]
fn emulate_takes_the_fault_switches_of_the_library() {
    let root = tempfile::tempdir().unwrap();
    let bytes = sample(50_000, 35);
    std::fs::write(root.path().join("f.bin"), &bytes).unwrap();
    let quirky = ["--echo-off", "--numeric", "--urcs", "--nul-noise", "--chunked", "512"];
    let (mut child, pty) = emulate(root.path(), &quirky);
    let out = at_ftp()
        .args(["get", "-q", "-d", &pty, "ftp://u:p@h/f.bin", "-o", "-"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(out.stdout == bytes, "{} bytes", out.stdout.len());
    signal(&child, "-INT");
    assert!(exit_within(&mut child, Duration::from_secs(5)).success());
    let (mut child, pty) = emulate(root.path(), &["--abort-after", "1000"]);
    at_ftp()
        .args(["get", "-q", "-d", &pty, "ftp://u:p@h/f.bin", "-o", "-"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("37966"));
    signal(&child, "-INT");
    assert!(exit_within(&mut child, Duration::from_secs(5)).success());
}

/// Runs `at-ftp args...` with a terminal as its standard input and controlling terminal
/// (util-linux `script` makes the pseudo-terminal), types `typed` once the prompt is on the
/// screen, and returns the exit status and the screen.
fn on_a_terminal(args: &[&str], typed: &str) -> (ExitStatus, String) {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    let quoted: Vec<String> = std::iter::once(bin().display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let mut child = Process::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env_remove("AT_FTP_PASSWORD")
        .env_remove("AT_FTP_DEVICE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let screen = Arc::new(Mutex::new(Vec::new()));
    let mut out = child.stdout.take().unwrap();
    let shared = screen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            shared.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let text = |s: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&s.lock().unwrap()).into_owned();
    wait_for(Duration::from_secs(30), "the prompt", || text(&screen).contains("Password for"));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{typed}\r").as_bytes()).unwrap();
    let status = exit_within(&mut child, Duration::from_secs(60));
    drop(stdin);
    reader.join().unwrap();
    let screen = text(&screen);
    (status, screen)
}

#[test]
fn without_a_password_a_terminal_is_asked_for_one_and_it_is_not_echoed() {
    let bed = Testbed::new(Options::default()).unwrap();
    let bytes = sample(3000, 12);
    std::fs::write(bed.file("f"), &bytes).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f");
    let port = bed.server().addr().port();
    let url = format!("ftp://{}@{}:{port}/f", Testbed::USER, Testbed::HOST);
    let dev = device(&bed);
    let args = ["get", "-q", "-d", &dev, &url, "-o", out.to_str().unwrap()];
    let (status, screen) = on_a_terminal(&args, Testbed::PASSWORD);
    assert!(status.success(), "{screen}");
    assert!(screen.contains(&format!("Password for {}@{}: ", Testbed::USER, Testbed::HOST)));
    assert!(!screen.contains(Testbed::PASSWORD), "echoed: {screen:?}");
    assert!(std::fs::read(&out).unwrap() == bytes);
    // The typed password is the one used: a wrong one is the server's refusal (exit 1).
    std::fs::remove_file(&out).unwrap();
    let (status, screen) = on_a_terminal(&args, "not-the-password");
    assert_eq!(status.code(), Some(1), "{screen}");
    assert!(screen.contains("38016"), "{screen}");
    assert!(!out.exists());
}

#[test]
fn a_modem_careless_with_passwords_puts_none_in_the_trace() {
    let root = tempfile::tempdir().unwrap();
    let bytes = sample(2000, 36);
    std::fs::write(root.path().join("f.bin"), &bytes).unwrap();
    let (mut child, pty) = emulate(root.path(), &["--leaky", "-v"]);
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.txt");
    let out = at_ftp()
        .args(["get", "-v", "-d", &pty, "--trace"])
        .arg(&trace)
        .args(["ftp://u:Sesame-1234@h/f.bin", "-o", "-"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(out.stdout == bytes, "{} bytes", out.stdout.len());
    let text = std::fs::read_to_string(&trace).unwrap();
    let verbose = String::from_utf8_lossy(&out.stderr);
    // The modem did leak it: a NUL inside the echo, the password read back unasked.
    assert!(text.contains("AT#FTPPW=\\x00"), "{text}");
    assert!(text.contains("#FTPPW: "), "{text}");
    for shown in [&text[..], &verbose] {
        assert!(!shown.contains("Sesame"), "{shown}");
        assert!(!shown.contains("1234"), "{shown}");
    }
    signal(&child, "-INT");
    assert!(exit_within(&mut child, Duration::from_secs(5)).success());
}
