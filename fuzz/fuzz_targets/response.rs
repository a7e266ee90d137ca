//! One response line, as raw bytes (seeds are real modem lines): `parse` classifies anything
//! without a panic, and what it recognises survives being written back with other spacing and
//! letter case.
#![no_main]

use at_ftp_proto::{Response, Value};

fn parse(line: &[u8]) -> Response<'_> {
    Response::parse(line)
}
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    let response = parse(line);
    // Re-spelled the way a modem could also send it: the same meaning.
    let respelled: Option<Vec<u8>> = match response {
        Response::CmeError(n) => Some(format!("  #cme error:{n} ").into_bytes()),
        Response::PlusCmeError(n) => Some(format!("+CME ERROR: {n}\t").into_bytes()),
        Response::Ok => Some(b" ok ".to_vec()),
        Response::DataBegin => Some(b"OK_INFO_DATABEGIN".to_vec()),
        Response::Param { name, value: Value::Quoted(v) } => {
            Some([b"#", name, b": \"", v, b"\""].concat())
        }
        Response::Address(ip) => Some(ip.to_string().into_bytes()),
        _ => None,
    };
    if let Some(again) = respelled {
        assert_eq!(parse(&again), response, "{:?}", String::from_utf8_lossy(&again));
    }
    // A value or name handed back is a piece of the line, never more.
    if let Response::Param { name, value: Value::Quoted(v) | Value::Bare(v) } = response {
        assert!(name.len() + v.len() < line.len());
    }
});
