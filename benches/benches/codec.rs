//! The codec benches: decoder and encoder throughput beside `memcpy` of the same bytes.
//!
//! Group and id names are how performance is tracked; keep them. `scripts/bench-ratios` turns a
//! run into the table of ratios to `memcpy`. Ids without a suffix run the best kernel of the CPU
//! (`Kernel::AUTO`); `_avx2` and `_portable` force one, so each path is measured on one machine.

use std::hint::black_box;
use std::time::Duration;

use at_ftp_benches::{DENSITIES, PAYLOAD_LEN, byte_loop, payload, wire};
use at_ftp_proto::{Escaper, Kernel, Unescaper};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// The kernels benched, by id suffix: the CPU's best, then the ones below it that it has.
fn kernels() -> Vec<(&'static str, Kernel)> {
    let mut all = vec![("", Kernel::AUTO)];
    if let Some(avx2) = Kernel::avx2() {
        all.push(("_avx2", avx2));
    }
    all.push(("_portable", Kernel::PORTABLE));
    all
}

fn decoder(kernel: Kernel) -> Unescaper {
    let mut dec = Unescaper::new();
    dec.set_kernel(kernel);
    dec
}

fn unescape(c: &mut Criterion) {
    let mut g = c.benchmark_group("unescape");
    for (d, density) in DENSITIES {
        let wire = wire(&payload(PAYLOAD_LEN, density));
        let mut out = vec![0u8; wire.len()];
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function(BenchmarkId::new("memcpy", d), |b| {
            b.iter(|| out.copy_from_slice(black_box(&wire)))
        });
        for (suffix, kernel) in kernels() {
            g.bench_function(BenchmarkId::new(format!("decoder{suffix}"), d), |b| {
                b.iter(|| decoder(kernel).unescape(black_box(&wire), &mut out))
            });
        }
        // The floor the decoder must stay above at high densities.
        g.bench_function(BenchmarkId::new("byte_loop", d), |b| {
            b.iter(|| byte_loop(black_box(&wire), &mut out))
        });
    }
    g.finish();
}

fn escape(c: &mut Criterion) {
    let mut g = c.benchmark_group("escape");
    for (d, density) in DENSITIES {
        let payload = payload(PAYLOAD_LEN, density);
        let mut out = vec![0u8; at_ftp_proto::max_escaped_len(payload.len())];
        g.throughput(Throughput::Bytes(payload.len() as u64));
        g.bench_function(BenchmarkId::new("memcpy", d), |b| {
            b.iter(|| out[..payload.len()].copy_from_slice(black_box(&payload)))
        });
        for (suffix, kernel) in kernels() {
            g.bench_function(BenchmarkId::new(format!("encoder{suffix}"), d), |b| {
                b.iter(|| {
                    let mut enc = Escaper::new();
                    enc.set_kernel(kernel);
                    let p = enc.escape(black_box(&payload), &mut out);
                    enc.finish(&mut out[p.written..])
                })
            });
        }
    }
    g.finish();
}

/// Decodes `wire` fed in `chunk`-byte reads, as from a serial port.
fn decode_chunked(wire: &[u8], out: &mut [u8], chunk: usize, kernel: Kernel) -> usize {
    let mut dec = decoder(kernel);
    let mut written = 0;
    for read in wire.chunks(chunk) {
        match dec.unescape(read, &mut out[written..]) {
            Ok(p) => written += p.written,
            Err(_) => unreachable!("the bench input is well formed"),
        }
    }
    written
}

fn unescape_chunked(c: &mut Criterion) {
    let mut g = c.benchmark_group("unescape_chunked");
    for (d, density) in DENSITIES {
        let wire = wire(&payload(PAYLOAD_LEN, density));
        let mut out = vec![0u8; wire.len()];
        g.throughput(Throughput::Bytes(wire.len() as u64));
        for (suffix, kernel) in kernels() {
            assert_eq!(decode_chunked(&wire, &mut out, 64, kernel), PAYLOAD_LEN);
            for (id, chunk) in [("decoder_4k", 4096), ("decoder_64", 64)] {
                g.bench_function(BenchmarkId::new(format!("{id}{suffix}"), d), |b| {
                    b.iter(|| decode_chunked(black_box(&wire), &mut out, chunk, kernel))
                });
            }
        }
    }
    g.finish();
}

criterion_group! {
    name = codec;
    // Shorter than criterion's defaults (3 s + 5 s, 100 samples): a full run of every kernel
    // and density stays near ten minutes, and each ratio compares figures of the same run.
    config = Criterion::default().warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2)).sample_size(30);
    targets = unescape, escape, unescape_chunked
}
criterion_main!(codec);
