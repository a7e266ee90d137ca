//! What the embedded clients' tests share: the pty as a blocking UART, a wall clock.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::{Read as _, Write as _};
use std::time::Duration;

use at_ftp_embedded::Clock;
use at_ftp_modem::Testbed;
use at_ftp_proto::Instant;
use serialport::{SerialPort, TTYPort};

/// The pty as a blocking `embedded-io` UART: reads are made only when the tty holds bytes.
pub struct Uart(TTYPort);

impl Uart {
    pub fn open(bed: &Testbed) -> Self {
        let mut port =
            serialport::new(bed.line().to_string_lossy(), 115_200).open_native().unwrap();
        port.set_timeout(Duration::from_secs(5)).unwrap();
        Uart(port)
    }
}

impl embedded_io::ErrorType for Uart {
    type Error = std::io::Error;
}

impl embedded_io::Read for Uart {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.0.read(buf)
    }
}

impl embedded_io::Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.0.flush()
    }
}

impl embedded_io::ReadReady for Uart {
    fn read_ready(&mut self) -> Result<bool, Self::Error> {
        Ok(self.0.bytes_to_read().map_err(std::io::Error::from)? > 0)
    }
}

/// Wall-clock time since it was made.
pub struct StdClock(pub std::time::Instant);

impl Clock for StdClock {
    fn now(&mut self) -> Instant {
        Instant::from_elapsed(self.0.elapsed())
    }
}
