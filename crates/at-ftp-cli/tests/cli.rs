//! The built `at-ftp` binary against the emulator on a pty and the in-process FTP server:
//! every subcommand, every exit status, the URL forms, the trace, refused arguments.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use at_ftp_modem::{Faults, Options, Testbed, sample};
use predicates::prelude::*;

mod common;
use common::{at_ftp, device, url};

fn bed() -> Testbed {
    Testbed::new(Options::default()).unwrap()
}

#[test]
fn get_writes_the_remote_name_in_the_current_directory_and_exits_0() {
    let bed = bed();
    let bytes = sample(300_000, 1);
    std::fs::write(bed.file("data.bin"), &bytes).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    at_ftp()
        .current_dir(cwd.path())
        .args(["get", "--device", &device(&bed), &url(&bed, "data.bin")])
        .assert()
        .success()
        .stderr(predicate::str::contains("got data.bin"));
    assert!(std::fs::read(cwd.path().join("data.bin")).unwrap() == bytes);
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 1, "a temporary file was left");
}

#[test]
fn get_to_stdout_with_dash_o() {
    let bed = bed();
    let bytes = sample(5000, 2);
    std::fs::write(bed.file("f"), &bytes).unwrap();
    let out = at_ftp()
        .args(["get", "-q", "--device", &device(&bed), &url(&bed, "f"), "-o", "-"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(out.stdout == bytes);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn url_forms_reach_the_right_file_with_the_right_login() {
    let bed = bed();
    std::fs::create_dir_all(bed.root().join("my dir/sub")).unwrap();
    std::fs::write(bed.root().join("my dir/sub/a b.bin"), b"nested").unwrap();
    std::fs::write(bed.file("root.bin"), b"at the root").unwrap();
    let out = tempfile::tempdir().unwrap();
    let port = bed.server().addr().port();
    let user = Testbed::USER;
    // Percent-encoded directory and file; the password percent-encoded too (! is %21).
    let nested = format!("ftp://{user}:s3cret%21@{}:{port}/my%20dir/sub/a%20b.bin", Testbed::HOST);
    at_ftp()
        .args(["get", "-q", "--device", &device(&bed), &nested, "-o"])
        .arg(out.path().join("n"))
        .assert()
        .success();
    assert_eq!(std::fs::read(out.path().join("n")).unwrap(), b"nested");
    // The password from the environment, a file at the root.
    let root = format!("ftp://{user}@{}:{port}/root.bin", Testbed::HOST);
    at_ftp()
        .env("AT_FTP_PASSWORD", Testbed::PASSWORD)
        .args(["get", "-q", "--device", &device(&bed), &root, "-o"])
        .arg(out.path().join("r"))
        .assert()
        .success();
    assert_eq!(std::fs::read(out.path().join("r")).unwrap(), b"at the root");
    // The URL's password wins over AT_FTP_PASSWORD.
    at_ftp()
        .env("AT_FTP_PASSWORD", "wrong")
        .args(["get", "-q", "--device", &device(&bed), &url(&bed, "root.bin"), "-o"])
        .arg(out.path().join("u"))
        .assert()
        .success();
    assert_eq!(std::fs::read(out.path().join("u")).unwrap(), b"at the root");
    // A wrong one is the server's refusal: exit 1.
    at_ftp()
        .env("AT_FTP_PASSWORD", "wrong")
        .args(["get", "-q", "--device", &device(&bed), &root, "-o"])
        .arg(out.path().join("w"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("#CME ERROR 38016"));
    // No user: anonymous, which this server refuses.
    let anonymous = format!("ftp://{}:{port}/root.bin", Testbed::HOST);
    at_ftp()
        .args(["get", "-q", "--device", &device(&bed), &anonymous, "-o"])
        .arg(out.path().join("a"))
        .assert()
        .code(1);
    assert!(!out.path().join("w").exists() && !out.path().join("a").exists());
}

#[test]
fn put_uploads_and_reports() {
    let bed = bed();
    let bytes = sample(200_000, 3);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("up.bin");
    std::fs::write(&local, &bytes).unwrap();
    at_ftp()
        .args(["put", "--device", &device(&bed)])
        .arg(&local)
        .arg(url(&bed, "up.bin"))
        .assert()
        .success()
        .stderr(predicate::str::contains("put"));
    assert!(std::fs::read(bed.file("up.bin")).unwrap() == bytes);
    // A local file that is not there: exit 3, in words.
    at_ftp()
        .args(["put", "--device", &device(&bed), "/no/such/file", &url(&bed, "x")])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("could not read /no/such/file"));
}

#[test]
fn a_failed_get_leaves_no_file_and_an_old_one_untouched() {
    let bed = bed();
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept");
    std::fs::write(&kept, b"old").unwrap();
    at_ftp()
        .args(["get", "--device", &device(&bed), &url(&bed, "missing"), "-o"])
        .arg(&kept)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("#CME ERROR 38016: TCP session could not be opened"));
    assert_eq!(std::fs::read(&kept).unwrap(), b"old");
    let port = bed.server().addr().port();
    let unresolved = format!("ftp://u:p@no-such-host.test:{port}/f");
    at_ftp()
        .args(["get", "--device", &device(&bed), &unresolved, "-o"])
        .arg(dir.path().join("new"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("#CME ERROR 38027")
                .and(predicate::str::contains("the server name could not be resolved")),
        );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "a file was left");
}

#[test]
fn refused_arguments_exit_2_without_opening_the_port() {
    // The device does not exist: had the tool opened it, it would have failed with 5.
    for (url, says) in [
        ("ftp://h/a%22b", "file name: holds a quote or a control byte"),
        ("ftp://h/a%0D%0AAT%23FTPPW", "file name: holds a quote or a control byte"),
        ("ftp://u%01:p@h/f", "holds a quote or a control byte"),
        ("ftp://h/", "names no file"),
        ("http://h/f", "not an ftp:// URL"),
    ] {
        at_ftp()
            .args(["get", "--device", "/dev/no-such-port", url])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says).and(predicate::str::contains("panicked").not()));
    }
    at_ftp()
        .args(["put", "--device", "/dev/no-such-port", "/etc/hostname", "ftp://h/a%22b"])
        .assert()
        .code(2);
    at_ftp()
        .args(["get", "--device", "/dev/no-such-port", "--apn", "a\"b", "ftp://h/f"])
        .assert()
        .code(2);
    // Usage errors of the command line itself.
    at_ftp().args(["get", "ftp://h/f"]).assert().code(2);
    at_ftp()
        .args(["get", "--device", "x", "--command-timeout", "soon", "ftp://h/f"])
        .assert()
        .code(2);
    // A port that cannot be opened is a port failure (5), in words; AT_FTP_DEVICE names it.
    let dir = tempfile::tempdir().unwrap();
    at_ftp()
        .current_dir(dir.path())
        .env("AT_FTP_DEVICE", "/dev/no-such-port")
        .args(["get", "ftp://h/f"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("could not open the serial port /dev/no-such-port"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a temporary file was left");
}

#[test]
fn the_trace_has_both_directions_and_no_password() {
    let bed = bed();
    std::fs::write(bed.file("f"), b"x\x03y").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.txt");
    at_ftp()
        .args(["get", "-q", "--device", &device(&bed), "--legacy-read", "--trace"])
        .arg(&trace)
        .arg(url(&bed, "f"))
        .args(["-o", "-"])
        .assert()
        .success()
        .stdout(predicate::eq(&b"x\x03y"[..]));
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(!text.contains(Testbed::PASSWORD), "{text}");
    assert!(text.contains("> AT#FTPPW=\"***\"\\x0d"), "{text}");
    // The modem's echo, redacted too.
    assert!(text.contains("< AT#FTPPW=\"***\""), "{text}");
    // --legacy-read: the S000333D form, without '?'.
    assert!(text.contains("> AT#FTPFILESIZE\\x0d"), "{text}");
    assert!(text.contains("> AT#FTPGET\\x0d"), "{text}");
    // The first operation on the port begins with a resynchronisation: `AT` before anything.
    let probe = text.find("> AT\\x0d\n").unwrap_or(usize::MAX);
    assert!(probe < text.find("> AT#FTPSERV").unwrap(), "{text}");
    assert!(text.contains("Ok_Info_DataBegin"), "{text}");
    // Every line is timestamped: `[    seconds] ` then the direction.
    for line in text.lines() {
        let (stamp, rest) = line.split_at(13);
        assert!(stamp.starts_with('[') && stamp.ends_with("] "), "{line}");
        assert!(stamp[1..11].trim().parse::<f64>().is_ok(), "{line}");
        assert!(rest.starts_with("> ") || rest.starts_with("< "), "{line}");
    }
    // The stuffed data, whatever reads it came in.
    let received: String = text.lines().filter_map(|l| l[13..].strip_prefix("< ")).collect();
    assert!(received.contains("x\\x10\\x03y\\x03"), "the stuffed data: {text}");
    // -v and --trace -: the same, on standard error; -v shortens long reads.
    let out = at_ftp()
        .args(["get", "-q", "-v", "--device", &device(&bed), "--trace", "-", &url(&bed, "f")])
        .args(["-o", "-"])
        .assert()
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains(Testbed::PASSWORD), "{err}");
    let sent = err.lines().filter(|l| l.ends_with("> AT#FTPGET\\x0d")).count();
    assert_eq!(sent, 2, "once per transcript: {err}");
}

#[test]
fn ascii_mode_and_apn_and_ftp_mode() {
    let bed = bed();
    std::fs::write(bed.file("t"), [b'a', 0xe9, b'b']).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.txt");
    at_ftp()
        .args(["get", "-q", "--ascii", "--ftp-mode", "1", "--apn", "internet", "--apn-password"])
        .args(["pppw", "--device", &device(&bed), "--trace"])
        .arg(&trace)
        .arg(url(&bed, "t"))
        .args(["-o", "-"])
        .assert()
        .success()
        .stdout(predicate::eq(&[b'a', 0x69, b'b'][..]));
    let text = std::fs::read_to_string(&trace).unwrap();
    for sent in ["AT#FTPTYPE=A", "AT#FTPMODE=1", "AT#APNSERV=\"internet\"", "AT#CONNECTIONSTART"] {
        assert!(text.contains(&format!("> {sent}\\x0d")), "{sent}: {text}");
    }
    assert!(!text.contains("pppw"), "{text}");
    assert!(text.contains("Ok_Info_GprsActivation"));
}

#[test]
fn a_silent_modem_is_a_timeout_in_words() {
    let bed = Testbed::new(Options {
        faults: Faults { silence_after: Some(10), ..Faults::default() },
        ..Options::default()
    })
    .unwrap();
    std::fs::write(bed.file("f"), sample(100, 4)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    at_ftp()
        .args(["get", "--idle-timeout", "0.3", "--device", &device(&bed), &url(&bed, "f"), "-o"])
        .arg(dir.path().join("f"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("timed out waiting for data"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn stuff_and_unstuff_round_trip_with_their_exit_codes() {
    let input = sample(100_000, 5);
    let stuffed = at_ftp()
        .arg("stuff")
        .write_stdin(input.clone())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(stuffed.last(), Some(&0x03));
    let mut wire = stuffed.clone();
    wire.extend_from_slice(b"\r\nOK\r\n ignored");
    at_ftp()
        .arg("unstuff")
        .write_stdin(wire)
        .assert()
        .success()
        .stdout(predicate::eq(input.clone()));
    // Other special bytes, decimal and hex.
    let custom = at_ftp()
        .args(["stuff", "--dle", "27", "--etx", "0x04"])
        .write_stdin(&b"a\x1bb\x04c\x10\x03"[..])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(custom, b"a\x1b\x1bb\x1b\x04c\x10\x03\x04");
    at_ftp()
        .args(["unstuff", "--dle", "0x1b", "--etx", "4"])
        .write_stdin(custom)
        .assert()
        .success()
        .stdout(predicate::eq(&b"a\x1bb\x04c\x10\x03"[..]));
    // No terminator: 1, the payload so far written all the same.
    at_ftp()
        .arg("unstuff")
        .write_stdin(&b"abc"[..])
        .assert()
        .code(1)
        .stdout(predicate::eq(&b"abc"[..]))
        .stderr(predicate::str::contains("ended before its terminator"));
    // A bad escape: 1 in strict mode, passed through with --lenient.
    at_ftp().arg("unstuff").write_stdin(&b"a\x10zb\x03"[..]).assert().code(1);
    at_ftp()
        .args(["unstuff", "--lenient"])
        .write_stdin(&b"a\x10zb\x03"[..])
        .assert()
        .success()
        .stdout(predicate::eq(&b"a\x10zb"[..]));
    at_ftp().args(["stuff", "--dle", "3", "--etx", "3"]).assert().code(2);
    at_ftp().args(["stuff", "--dle", "256"]).assert().code(2);
}

#[test]
fn emulate_prints_its_pty_and_serves_a_directory() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("hello.txt"), b"hello from emulate").unwrap();
    let link_dir = tempfile::tempdir().unwrap();
    let link = link_dir.path().join("modem");
    let link_arg = link.to_str().unwrap();
    let (mut child, pty) = common::emulate(root.path(), &["--link", link_arg], Stdio::piped());
    assert!(pty.starts_with("/dev/pts/"), "{pty:?}");
    // Any host and any login reach the served directory; the link works as the device.
    for dev in [Path::new(&pty), link.as_path()] {
        at_ftp()
            .args(["get", "-q", "--device"])
            .arg(dev)
            .args(["ftp://anyone:any@anywhere.example/hello.txt", "-o", "-"])
            .assert()
            .success()
            .stdout(predicate::eq(&b"hello from emulate"[..]));
    }
    child.kill().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    child.wait().unwrap();
    assert!(err.contains("emulated modem"), "{err}");
}

#[test]
fn demo_moves_and_verifies_a_file_both_ways() {
    at_ftp().arg("demo").assert().success().stdout(
        predicate::str::contains("identical to the server's file")
            .and(predicate::str::contains("identical on the server"))
            .and(predicate::str::contains(Testbed::PASSWORD).not()),
    );
}

#[test]
fn help_reads_well_for_every_subcommand() {
    at_ftp().arg("--help").assert().success().stdout(
        predicate::str::contains("at-ftp demo").and(predicate::str::contains("Exit status")),
    );
    for sub in ["get", "put", "link", "stuff", "unstuff", "emulate", "demo", "ports"] {
        at_ftp()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage: at-ftp"));
    }
    at_ftp().arg("--version").assert().success();
    at_ftp().assert().code(2);
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let bed = bed();
    std::fs::write(bed.file("f"), sample(300_000, 6)).unwrap();
    let out = at_ftp()
        .args(["get", "--device", &device(&bed), &url(&bed, "f"), "-o", "-"])
        .assert()
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    // Only the summary line: no bar, no cursor movement.
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains('\x1b') && !err.contains('\r'), "{err:?}");
}

#[test]
fn a_progress_bar_is_drawn_when_stderr_is_a_terminal() {
    use serialport::SerialPort;
    // Paced to 200 kB/s, 300 kB take 1.5 s: several ticks of the bar.
    let bed = Testbed::new(Options { baud: Some(2_000_000), ..Options::default() }).unwrap();
    std::fs::write(bed.file("f"), sample(300_000, 7)).unwrap();
    // A pseudo-terminal as the tool's standard error: what a person's terminal is.
    let (mut terminal, far) = serialport::TTYPort::pair().unwrap();
    terminal.set_timeout(Duration::from_millis(100)).unwrap();
    let stderr = std::fs::OpenOptions::new().write(true).open(far.name().unwrap()).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("at-ftp"))
        .args(["get", "--apn", "internet", "--device", &device(&bed), &url(&bed, "f"), "-o", "-"])
        .env_remove("AT_FTP_PASSWORD")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut screen = Vec::new();
    let mut buf = [0u8; 4096];
    let status = loop {
        match terminal.read(&mut buf) {
            Ok(n) => screen.extend_from_slice(&buf[..n]),
            Err(_) => {
                if let Some(status) = child.try_wait().unwrap() {
                    break status;
                }
            }
        }
    };
    assert!(status.success());
    let text = String::from_utf8_lossy(&screen);
    // The bar redraws in place: its label, the bytes so far and the rate, more than once.
    assert!(text.matches("get f").count() >= 2, "{text:?}");
    // Before the file, the link's phase (with the new engine's resynchronisation in it: a
    // second at least).
    assert!(text.contains("bringing the link up (internet)"), "{text:?}");
    // One unit system: decimal, as the summary's kB/s.
    assert!(text.contains(" kB/s") && !text.contains("KiB"), "{text:?}");
    assert!(text.contains("got f into standard output"), "{text:?}");
    drop(far);
}

#[test]
fn no_message_shows_the_password_and_the_demo_ignores_at_ftp_password() {
    for url in ["ftp://u:hunter2@h/", "http://u:hunter2@h/f", "ftp://u:hunter2@h/a%22b"] {
        at_ftp()
            .args(["get", "--device", "/dev/no-such-port", url])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("hunter2").not());
    }
    at_ftp().env("AT_FTP_PASSWORD", "another").arg("demo").assert().success();
}

#[test]
fn a_trace_that_cannot_be_written_fails_the_command() {
    let bed = bed();
    std::fs::write(bed.file("f"), b"data").unwrap();
    at_ftp()
        .args(["get", "-q", "--device", &device(&bed), "--trace", "/dev/full", &url(&bed, "f")])
        .args(["-o", "-"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("could not write the trace file"));
}

#[test]
fn link_up_status_and_down_through_the_modem() {
    let bed = bed();
    let link = |args: &[&str]| {
        let out = at_ftp().arg("link").args(args).args(["-d", &device(&bed)]).assert();
        let out = out.get_output().clone();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    assert_eq!(link(&["status", "-q"]), (Some(0), "IDLE\n".into(), String::new()));
    let (code, out, err) = link(&["up", "--apn", "internet"]);
    assert_eq!((code, out.as_str()), (Some(0), "10.64.3.17\n"), "{err}");
    assert!(err.contains("the link is up, with the address 10.64.3.17"), "{err}");
    // Up already: success, no address.
    let (code, out, err) = link(&["up", "--apn", "internet"]);
    assert_eq!((code, out.as_str()), (Some(0), ""), "{err}");
    assert!(err.contains("it was up already"), "{err}");
    assert_eq!(link(&["status", "-q"]), (Some(0), "CONNECTED\n".into(), String::new()));
    let (code, out, err) = link(&["down"]);
    assert_eq!((code, out.as_str()), (Some(0), ""), "{err}");
    assert!(err.contains("the link is down"), "{err}");
    assert_eq!(link(&["status", "-q"]), (Some(0), "IDLE\n".into(), String::new()));
    // `up` without an APN, or with one that could inject a command: refused, nothing sent.
    let (code, _, err) = link(&["up"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--apn"), "{err}");
    // Refused before the port is opened: a device that does not exist is never reached (that
    // would be exit 5).
    at_ftp()
        .args(["link", "up", "--apn", "x\"\rAT#CONNECTIONSTOP", "-d", "/nonexistent/tty"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refused before opening the port"));
}

#[test]
fn emulate_logs_with_v_and_paces_the_hosts_upload() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("hello.txt"), b"hello from emulate").unwrap();
    let (mut child, pty) =
        common::emulate(root.path(), &["-v", "--baud", "115200"], Stdio::piped());
    at_ftp()
        .args(["get", "-q", "--device", &pty, "ftp://bob:sekrit-pw@h/hello.txt", "-o", "-"])
        .assert()
        .success()
        .stdout(predicate::eq(&b"hello from emulate"[..]));
    // 40,000 bytes at 115,200 bit/s (10 bits a byte) take 3.47 s of line time at least: the
    // emulator reads the host's bytes no faster than the line would carry them.
    let local = root.path().join("up.bin");
    let payload = sample(40_000, 9);
    std::fs::write(&local, &payload).unwrap();
    let start = std::time::Instant::now();
    at_ftp()
        .args(["put", "-q", "--device", &pty])
        .arg(&local)
        .arg("ftp://bob:sekrit-pw@h/copy.bin")
        .assert()
        .success();
    let took = start.elapsed();
    // (Unpaced, it takes about 1.6 s, the resynchronisation included.)
    assert!(took >= Duration::from_millis(3400), "the upload took {took:?}: not paced");
    assert!(std::fs::read(root.path().join("copy.bin")).unwrap() == payload);
    child.kill().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    child.wait().unwrap();
    for line in [
        "modem: > AT#FTPGETFILENAME=\"hello.txt\"",
        "modem: > AT#FTPPW=***",
        "modem: < Ok_Info_DataBegin",
        "modem: (18 bytes of download data, then the ETX)",
        "modem: < Ok_Info_WaitingForData",
        "modem: (40000 bytes of upload data, then the ETX)",
    ] {
        assert!(err.contains(line), "{line}: {err}");
    }
    // Timestamped, and never the password.
    assert!(err.lines().any(|l| l.starts_with('[') && l.contains("] modem: > AT#FTPGET")), "{err}");
    assert!(!err.contains("sekrit"), "{err}");
}
