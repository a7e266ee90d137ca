//! The at-ftp example firmware, for QEMU's `mps2-an386` (a Cortex-M4): UART0 is the modem line,
//! served on the host by `at-ftp emulate` with its in-process FTP server (`scripts/embedded-demo`).
//!
//! It brings the link up, downloads `random.bin` while computing its length and CRC-32 as the
//! bytes stream (nothing is stored), uploads 16 KiB generated as they are sent as
//! `upload.bin` (their CRC-32 computed on the way), and reports through semihosting, one
//! `key=value` line each, for the script to compare with the host's side:
//!
//! ```text
//! link address=10.64.3.17
//! download bytes=65536 crc32=0x1c291ca3
//! upload bytes=16384 crc32=0x9ae0daaf
//! stack bytes=1234
//! ```
//!
//! The engine is the microcontroller preset in a `static` (in `.bss`, so that its 2.2 KB cost
//! no flash for an initial image: it is built on the stack at the start and moved there, which
//! costs 2.2 KB of stack once); the clock is SysTick; the
//! client is the blocking one. A failure is reported as `error <what> <code>` and the exit
//! status is 1. The report is written without `core::fmt` (about 3 KB of flash less).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

mod board;

use at_ftp_embedded::Error;
use at_ftp_embedded::blocking::Client;
use at_ftp_proto::{Config, LinkRequest, ModemError, Request, SmallEngine};
use cortex_m_rt::entry;
use cortex_m_semihosting::debug;
use static_cell::StaticCell;

/// The engine: the state the firmware owns.
static ENGINE: StaticCell<SmallEngine> = StaticCell::new();

/// Its config, checked against the preset's buffers at compile time.
const ENGINE_CHECKED: () = assert!(SmallEngine::new(Config::DEFAULT).is_ok());

/// The size of the generated upload.
const UPLOAD: usize = 16 * 1024;

#[entry]
fn main() -> ! {
    let status = match run() {
        Ok(()) => debug::EXIT_SUCCESS,
        Err(e) => {
            let (what, code) = describe(&e);
            let mut n = [0; 20];
            report(&[b"error ", what.as_bytes(), b" ", digits(&mut n, code, 10, 1)]);
            debug::EXIT_FAILURE
        }
    };
    let mut n = [0; 20];
    report(&[b"stack bytes=", digits(&mut n, board::stack_used() as u32, 10, 1)]);
    debug::exit(status);
    loop {
        cortex_m::asm::wfi();
    }
}

fn run() -> Result<(), at_ftp_embedded::Error> {
    let peripherals = cortex_m::Peripherals::take();
    let Some(peripherals) = peripherals else {
        return Err(at_ftp_embedded::Error::Port(embedded_io::ErrorKind::Other));
    };
    let clock = board::Ticks::new(peripherals.SYST);
    let () = ENGINE_CHECKED;
    let engine = ENGINE.init_with(|| match SmallEngine::new(Config::DEFAULT) {
        Ok(engine) => engine,
        // Checked at compile time (`ENGINE_CHECKED`).
        Err(_) => unreachable!(),
    });
    let mut client = Client::new(engine, board::Uart::new(), clock);

    let link = LinkRequest { apn: "internet", user: "", password: "" };
    match client.link_up(&link)? {
        Some(address) => {
            let [a, b, c, d] = address.octets().map(u32::from);
            let mut n = [[0; 20]; 4];
            let [w, x, y, z] = &mut n;
            let (a, b, c, d) = (
                digits(w, a, 10, 1),
                digits(x, b, 10, 1),
                digits(y, c, 10, 1),
                digits(z, d, 10, 1),
            );
            report(&[b"link address=", a, b".", b, b".", c, b".", d]);
        }
        None => report(&[b"link address=up-already"]),
    }

    let request =
        Request::new("ftp.example.com", "random.bin").with_login("demo", "demo-pw").with_dir("/");
    let mut crc = Crc32::new();
    let bytes = client.get(&request, &mut crc)?;
    let (mut n, mut c) = ([0; 20], [0; 20]);
    let (n, c) = (digits(&mut n, bytes as u32, 10, 1), digits(&mut c, crc.value(), 16, 8));
    report(&[b"download bytes=", n, b" crc32=0x", c]);

    let request =
        Request::new("ftp.example.com", "upload.bin").with_login("demo", "demo-pw").with_dir("/");
    let mut source = Generated::new(UPLOAD);
    let bytes = client.put(&request, &mut source)?;
    let (mut n, mut c) = ([0; 20], [0; 20]);
    let (n, c) = (digits(&mut n, bytes as u32, 10, 1), digits(&mut c, source.crc.value(), 16, 8));
    report(&[b"upload bytes=", n, b" crc32=0x", c]);
    Ok(())
}

/// Writes one line of the report, from its pieces, to the host's standard output.
fn report(pieces: &[&[u8]]) {
    if let Ok(mut out) = cortex_m_semihosting::hio::hstdout() {
        for piece in pieces.iter().chain([&&b"\n"[..]]) {
            let _ = out.write_all(piece);
        }
    }
}

/// What ended the run, as a word and a number (the modem's error code, when it gave one).
fn describe(e: &Error) -> (&'static str, u32) {
    use at_ftp_proto::Error as Failed;
    match e {
        Error::Failed(Failed::Modem(ModemError::Cme(n) | ModemError::PlusCme(n))) => ("cme", *n),
        Error::Failed(Failed::Modem(_)) => ("modem", 0),
        Error::Failed(Failed::Timeout(timer)) => ("timeout", *timer as u32),
        Error::Failed(Failed::Protocol(_) | Failed::LineTooLong) => ("protocol", 0),
        Error::Failed(Failed::Aborted) => ("aborted", 0),
        Error::Failed(_) => ("unsynchronised", 0),
        Error::Start(_) => ("refused", 0),
        Error::Config(_) => ("config", 0),
        Error::Port(_) => ("port", 0),
        _ => ("local", 0),
    }
}

/// `n` in `base` (10 or 16), at least `width` digits, at the end of `buf`: without
/// `core::fmt` (and in 32 bits: the core divides them in hardware).
fn digits(buf: &mut [u8; 20], mut n: u32, base: u32, width: usize) -> &[u8] {
    let mut start = buf.len();
    while start > 0 && (n > 0 || buf.len() - start < width) {
        start -= 1;
        buf[start] = b"0123456789abcdef"[(n % base) as usize];
        n /= base;
    }
    &buf[start..]
}

/// CRC-32 (IEEE, as zlib's), bit by bit: no table in flash.
struct Crc32(u32);

impl Crc32 {
    const fn new() -> Self {
        Crc32(!0)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u32::from(b);
            for _ in 0..8 {
                self.0 = (self.0 >> 1) ^ (0xedb8_8320 & (self.0 & 1).wrapping_neg());
            }
        }
    }

    const fn value(&self) -> u32 {
        !self.0
    }
}

impl embedded_io::ErrorType for Crc32 {
    type Error = core::convert::Infallible;
}

/// The download's sink: it keeps only the CRC (the length is the client's count).
impl embedded_io::Write for Crc32 {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, Self::Error> {
        self.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The upload's source: `left` bytes of xorshift32 output, with a DLE or an ETX every few
/// dozen bytes so that the stuffing is exercised; their CRC as they are read.
struct Generated {
    state: u32,
    at: usize,
    left: usize,
    crc: Crc32,
}

impl Generated {
    const fn new(len: usize) -> Self {
        Generated { state: 0x2545_f491, at: 0, left: len, crc: Crc32::new() }
    }

    fn next(&mut self) -> u8 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        self.at += 1;
        match self.at % 61 {
            0 => at_ftp_proto::DLE,
            30 => at_ftp_proto::ETX,
            _ => self.state.to_le_bytes()[0],
        }
    }
}

impl embedded_io::ErrorType for Generated {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.left);
        for slot in &mut buf[..n] {
            *slot = self.next();
        }
        self.left -= n;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    report(&[b"error panic 0"]);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
