//! What the firmware needs of the board (QEMU's `mps2-an386`): UART0 as an `embedded-io` port,
//! SysTick as the client's clock, and the stack's high-water mark.
//!
//! The one place with `unsafe` code: reading and writing the UART's registers and the painted
//! stack are raw memory accesses (a peripheral access crate would hide the same lines; there is
//! none for this board). Everything else is safe.

use at_ftp_embedded::{Clock, Instant};
use core::convert::Infallible;
use core::time::Duration;
use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;

/// Raw accesses to memory-mapped registers and RAM.
#[allow(unsafe_code)]
mod mmio {
    /// Reads the word at `addr`, a register or RAM of this board.
    pub(super) fn read(addr: usize) -> u32 {
        // SAFETY: every caller passes a register address of UART0 or a word-aligned address
        // inside the RAM region (the painted stack); both are always readable on this board.
        unsafe { core::ptr::read_volatile(addr as *const u32) }
    }

    /// Writes the word at `addr`, a register of UART0.
    pub(super) fn write(addr: usize, value: u32) {
        // SAFETY: every caller passes a register address of UART0, which is always writable
        // and has no effect on memory the program uses.
        unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
    }

    unsafe extern "C" {
        /// The stack's bottom (the end of the statics), from cortex-m-rt's linker script.
        static _stack_end: u32;
        /// The stack's top (the end of RAM).
        static _stack_start: u32;
    }

    /// The addresses of the stack's bottom and top.
    pub(super) fn stack() -> (usize, usize) {
        (&raw const _stack_end as usize, &raw const _stack_start as usize)
    }
}

/// UART0 of the MPS2 (an Arm CMSDK APB UART): a one-byte receive buffer, polled.
pub struct Uart(());

/// The CMSDK UART's registers.
const UART0: usize = 0x4000_4000;
const DATA: usize = UART0;
const STATE: usize = UART0 + 0x04;
const CTRL: usize = UART0 + 0x08;
const BAUDDIV: usize = UART0 + 0x10;
/// `STATE`: the transmit buffer is full; the receive buffer holds a byte.
const TX_FULL: u32 = 1 << 0;
const RX_FULL: u32 = 1 << 1;

impl Uart {
    /// UART0, its transmitter and receiver enabled (the divider must be 16 or more).
    pub fn new() -> Self {
        mmio::write(BAUDDIV, 16);
        mmio::write(CTRL, 0b11);
        Uart(())
    }

    fn rx_full() -> bool {
        mmio::read(STATE) & RX_FULL != 0
    }
}

impl embedded_io::ErrorType for Uart {
    type Error = Infallible;
}

impl embedded_io::Read for Uart {
    /// Blocks until a byte came, then takes what the receive buffer holds (one byte).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let Some(first) = buf.first_mut() else { return Ok(0) };
        while !Uart::rx_full() {}
        *first = mmio::read(DATA) as u8;
        Ok(1)
    }
}

impl embedded_io::ReadReady for Uart {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        Ok(Uart::rx_full())
    }
}

impl embedded_io::Write for Uart {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, Infallible> {
        for &b in bytes {
            while mmio::read(STATE) & TX_FULL != 0 {}
            mmio::write(DATA, b.into());
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// SysTick as a monotonic clock: the 24-bit down-counter at the core clock (25 MHz), its
/// wraps counted as long as it is read at least once per wrap (0.67 s; the client reads it
/// while it waits).
pub struct Ticks {
    syst: SYST,
    last: u32,
    /// Whole seconds, and the ticks of the second in progress: no 64-bit division.
    seconds: u64,
    ticks: u32,
}

/// The core clock of the MPS2 FPGA images: 25 MHz, 40 ns a tick.
const HZ: u32 = 25_000_000;
const NANOS_PER_TICK: u32 = 40;
const RELOAD: u32 = 0x00ff_ffff;

impl Ticks {
    pub fn new(mut syst: SYST) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(RELOAD);
        syst.clear_current();
        syst.enable_counter();
        Ticks { syst, last: RELOAD, seconds: 0, ticks: 0 }
    }
}

impl Clock for Ticks {
    fn now(&mut self) -> Instant {
        let current = SYST::get_current();
        // A down-counter: what passed since the last read, modulo one wrap.
        let passed = self.last.wrapping_sub(current) & RELOAD;
        let _ = self.syst.has_wrapped();
        self.last = current;
        self.ticks += passed;
        while self.ticks >= HZ {
            self.ticks -= HZ;
            self.seconds += 1;
        }
        Instant::from_elapsed(Duration::new(self.seconds, self.ticks * NANOS_PER_TICK))
    }
}

/// The most stack the program used so far, in bytes: the paint (cortex-m-rt's `paint-stack`,
/// 0xCCCC_CCCC from the statics' end to the top of RAM) scrubbed off, counted from the top.
pub fn stack_used() -> usize {
    let (bottom, top) = mmio::stack();
    let mut at = bottom;
    while at < top && mmio::read(at) == cortex_m_rt::STACK_PAINT_VALUE {
        at += 4;
    }
    top - at
}
