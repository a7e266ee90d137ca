//! What verifying a download costs: each digest of `at-ftp-host`'s `Verify`, fed the payload
//! in 4 KiB pieces as a download delivers it, beside the decoder fed the same wire in 4 KiB
//! reads (a 1 % density of special bytes, as in a binary file). `scripts/bench-ratios`
//! prints each as a ratio to the decoder of the same run: the share of a download's CPU the
//! check adds.

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use at_ftp_benches::{PAYLOAD_LEN, payload, wire};
use at_ftp_host::{Algorithm, Verify};
use at_ftp_proto::Unescaper;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The read size of a download.
const READ: usize = 4096;

fn digest(c: &mut Criterion) {
    let payload = payload(PAYLOAD_LEN, 0.01);
    let wire = wire(&payload);
    let mut out = vec![0u8; wire.len()];
    let mut g = c.benchmark_group("digest");
    g.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    g.bench_function("decoder_4k", |b| {
        b.iter(|| {
            let mut dec = Unescaper::new();
            let mut written = 0;
            for read in black_box(&wire).chunks(READ) {
                if let Ok(p) = dec.unescape(read, &mut out[written..]) {
                    written += p.written;
                }
            }
            written
        })
    });
    for algorithm in Algorithm::ALL {
        let verify = Verify::new().compute(algorithm);
        g.bench_function(format!("{}_4k", algorithm.name()), |b| {
            b.iter(|| {
                let mut checked = verify.checked(std::io::sink());
                for piece in black_box(&payload).chunks(READ) {
                    let _ = checked.write_all(piece);
                }
                checked.finish().map(|(_, d)| d.len())
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = digests;
    config = Criterion::default().warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2)).sample_size(20);
    targets = digest
}
criterion_main!(digests);
