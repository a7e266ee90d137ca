//! `at-ftp demo`: a download and an upload through the real serial path, with no hardware.
//!
//! An emulated modem on a new pseudo-terminal, an FTP server in this process, and a sample
//! file of random bytes: the demo gets it with the same code as `at-ftp get`, puts it back
//! with the same code as `at-ftp put`, and checks both copies byte for byte.

use std::time::{Duration, Instant};

use at_ftp_modem::{Options, Testbed, sample};

use crate::Failure;
use crate::transfer::{self, ModemArgs};

/// The sample file's size.
const SIZE: usize = 1 << 20;
/// The emulated modem's line speed: fast, yet slow enough to watch the progress bar.
const BAUD: u32 = 4_000_000;

pub(crate) fn run() -> Result<(), Failure> {
    let failed = |what: &str, e: std::io::Error| Failure::Local(format!("could not {what}: {e}"));
    let bed = Testbed::new(Options { baud: Some(BAUD), ..Options::default() })
        .map_err(|e| failed("start the emulated modem and its FTP server", e))?;
    let original = sample(SIZE, 2026);
    std::fs::write(bed.file("sample.bin"), &original)
        .map_err(|e| failed("write the sample file", e))?;
    let work = tempfile::Builder::new()
        .prefix("at-ftp-demo-")
        .tempdir()
        .map_err(|e| failed("make a temporary directory", e))?;
    let url = |file: &str| {
        format!(
            "ftp://{}:{}@{}:{}/{file}",
            Testbed::USER,
            Testbed::PASSWORD,
            Testbed::HOST,
            bed.server().addr().port()
        )
    };
    println!("at-ftp demo: no hardware needed.");
    println!(
        "  modem:      emulated, on the pseudo-terminal {} ({BAUD} bit/s)",
        bed.line().display()
    );
    println!(
        "  FTP server: in this process, on {}, serving {}",
        bed.server().addr(),
        bed.root().display()
    );
    println!("  sample:     sample.bin, {SIZE} random bytes");
    println!();

    let mut args = ModemArgs::for_device(bed.line());
    args.summary = false;
    args.password_from_env = false;
    let local = work.path().join("sample.bin");
    // Shown without the password, which the commands would take from AT_FTP_PASSWORD.
    let shown = |file: &str| url(file).replace(&format!(":{}@", Testbed::PASSWORD), "@");
    println!("$ export AT_FTP_PASSWORD=...");
    println!(
        "$ at-ftp get --device {} {} -o {}",
        bed.line().display(),
        shown("sample.bin"),
        local.display()
    );
    let start = Instant::now();
    let urls = [url("sample.bin")];
    transfer::get(&args, &Default::default(), &urls, Some(&local), Default::default())?;
    let got_time = start.elapsed();
    let back = std::fs::read(&local).map_err(|e| failed("read the downloaded file", e))?;
    check(&back, &original, "the downloaded file")?;
    let got = back.len() as u64;
    println!("  {got} bytes in {}, identical to the server's file", speed(got, got_time));

    println!(
        "$ at-ftp put --device {} {} {}",
        bed.line().display(),
        local.display(),
        shown("copy.bin")
    );
    let start = Instant::now();
    transfer::put(
        &args,
        std::slice::from_ref(&local),
        &url("copy.bin"),
        false,
        Default::default(),
    )?;
    let put_time = start.elapsed();
    let copy =
        std::fs::read(bed.file("copy.bin")).map_err(|e| failed("read the uploaded file", e))?;
    check(&copy, &original, "the uploaded file")?;
    let put = copy.len() as u64;
    println!("  {put} bytes in {}, identical on the server", speed(put, put_time));
    println!();
    println!("Both transfers went through the modem's AT commands and DLE/ETX stuffing, and were");
    println!(
        "verified byte for byte. With a real modem: at-ftp get --device /dev/ttyUSB0 ftp://..."
    );
    Ok(())
}

fn check(got: &[u8], want: &[u8], what: &str) -> Result<(), Failure> {
    if got == want {
        return Ok(());
    }
    let at = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
    Err(Failure::Failed(format!(
        "{what} differs from the original ({} bytes against {}, first difference at byte {at})",
        got.len(),
        want.len()
    )))
}

fn speed(bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-6);
    format!("{secs:.2} s ({:.0} kB/s)", bytes as f64 / secs / 1000.0)
}
