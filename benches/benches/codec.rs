//! The codec benches: decoder and encoder throughput beside `memcpy` of the same bytes.
//!
//! Group and id names are how performance is tracked; keep them. `scripts/bench-ratios` turns a
//! run into the table of ratios to `memcpy`.

use std::hint::black_box;

use at_ftp_benches::{DENSITIES, PAYLOAD_LEN, byte_loop, payload, wire};
use at_ftp_proto::{Escaper, Unescaper};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn unescape(c: &mut Criterion) {
    let mut g = c.benchmark_group("unescape");
    for (d, density) in DENSITIES {
        let wire = wire(&payload(PAYLOAD_LEN, density));
        let mut out = vec![0u8; wire.len()];
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function(BenchmarkId::new("memcpy", d), |b| {
            b.iter(|| out.copy_from_slice(black_box(&wire)))
        });
        g.bench_function(BenchmarkId::new("decoder", d), |b| {
            b.iter(|| Unescaper::new().unescape(black_box(&wire), &mut out))
        });
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
        g.bench_function(BenchmarkId::new("encoder", d), |b| {
            b.iter(|| {
                let mut enc = Escaper::new();
                let p = enc.escape(black_box(&payload), &mut out);
                enc.finish(&mut out[p.written..])
            })
        });
    }
    g.finish();
}

/// Decodes `wire` fed in `chunk`-byte reads, as from a serial port.
fn decode_chunked(wire: &[u8], out: &mut [u8], chunk: usize) -> usize {
    let mut dec = Unescaper::new();
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
        assert_eq!(decode_chunked(&wire, &mut out, 64), PAYLOAD_LEN);
        g.throughput(Throughput::Bytes(wire.len() as u64));
        for (id, chunk) in [("decoder_4k", 4096), ("decoder_64", 64)] {
            g.bench_function(BenchmarkId::new(id, d), |b| {
                b.iter(|| decode_chunked(black_box(&wire), &mut out, chunk))
            });
        }
    }
    g.finish();
}

criterion_group!(codec, unescape, escape, unescape_chunked);
criterion_main!(codec);
