//! A fixed-input decode for `valgrind --tool=callgrind`, whose instruction count is a stable
//! regression figure where timings are noise: `scripts/callgrind` runs it and reports
//! instructions per decoded byte.
//!
//! `cargo run --release -p at-ftp-benches --example instructions -- <kernel> <density>` decodes
//! the bench payload of that density (1 MiB, the same seeded bytes as the criterion benches)
//! in 4 KiB reads with the kernel named (`avx2`, `portable`, or `auto`), inside
//! `decode_all`, the one function callgrind is told to count. Valgrind hides AVX-512 from
//! the program, so under it `auto` is AVX2.

use std::hint::black_box;
use std::process::ExitCode;

use at_ftp_benches::{DENSITIES, payload, wire};
use at_ftp_proto::{Kernel, Unescaper};

/// The payload decoded: 1 MiB.
const LEN: usize = 1 << 20;

/// Decodes `wire` in 4 KiB reads into `out`; returns the payload length. Not inlined, so
/// callgrind can count it alone (`--toggle-collect`).
#[inline(never)]
fn decode_all(kernel: Kernel, wire: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut dec = Unescaper::new();
    dec.set_kernel(kernel);
    let mut written = 0;
    for read in wire.chunks(4096) {
        written += dec.unescape(read, &mut out[written..]).ok()?.written;
    }
    dec.is_ended().then_some(written)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kernel, density] = args.as_slice() else {
        eprintln!("usage: instructions <avx2|portable|auto> <density: {}>", names());
        return ExitCode::from(2);
    };
    let kernel = match kernel.as_str() {
        "auto" => Some(Kernel::AUTO),
        "portable" => Some(Kernel::PORTABLE),
        "avx2" => Kernel::avx2(),
        "avx512" => Kernel::avx512(),
        other => {
            eprintln!("unknown kernel {other}: avx2, avx512, portable or auto");
            return ExitCode::from(2);
        }
    };
    let Some(kernel) = kernel else {
        eprintln!("this CPU (or valgrind's view of it) lacks that kernel");
        return ExitCode::from(2);
    };
    let Some(&(_, fraction)) = DENSITIES.iter().find(|(name, _)| name == density) else {
        eprintln!("unknown density {density}: {}", names());
        return ExitCode::from(2);
    };
    let payload = payload(LEN, fraction);
    let wire = wire(&payload);
    let mut out = vec![0u8; wire.len()];
    match decode_all(kernel, black_box(&wire), &mut out) {
        Some(n) if out[..n] == payload[..] => {
            eprintln!("kernel {}: {n} payload bytes from {} wire bytes", kernel.name(), wire.len());
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("the decode went wrong");
            ExitCode::FAILURE
        }
    }
}

fn names() -> String {
    DENSITIES.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}
