//! The engine's own log, behind the `log` and `defmt` features: each event and each
//! operation's end, as [`Engine::poll`](crate::Engine::poll) hands them out. Nothing here
//! decides anything; without either feature it compiles to nothing.
//!
//! A password never reaches the log: the engine's command lines are not logged (the adapters
//! log their transmits through `Transmit`'s redacting `Display`), and an unsolicited line that
//! holds the value of the operation's secret (a modem that echoes `#FTPPW: "..."`) is logged
//! by its length only.

use crate::engine::{Event, Outcome};
use crate::error::Error;

/// Whether `line` holds `secret` (an empty secret is none).
#[cfg_attr(not(any(feature = "log", feature = "defmt")), allow(dead_code))]
fn holds(line: &[u8], secret: &[u8]) -> bool {
    !secret.is_empty() && line.windows(secret.len()).any(|w| w == secret)
}

/// Logs `event`; `secret` is the password of the operation in flight (empty if none).
#[allow(unused_variables)]
pub(crate) fn event(event: &Event<'_>, secret: &[u8]) {
    if let Event::Unsolicited(line) = event
        && holds(line, secret)
    {
        #[cfg(feature = "log")]
        log::debug!("at-ftp: an unsolicited line of {} bytes (holds the password)", line.len());
        #[cfg(feature = "defmt")]
        defmt::debug!("at-ftp: an unsolicited line of {} bytes (holds the password)", line.len());
        return;
    }
    if let Event::Progress(bytes) = event {
        #[cfg(feature = "log")]
        log::trace!("at-ftp: {} bytes", bytes);
        #[cfg(feature = "defmt")]
        defmt::trace!("at-ftp: {} bytes", bytes);
    } else {
        #[cfg(feature = "log")]
        log::debug!("at-ftp: {:?}", event);
        #[cfg(feature = "defmt")]
        defmt::debug!("at-ftp: {}", event);
    }
}

/// Logs an operation's end.
#[allow(unused_variables)]
pub(crate) fn end(result: &Result<Outcome<'_>, Error>) {
    match result {
        Ok(outcome) => {
            #[cfg(feature = "log")]
            log::info!("at-ftp: done: {:?}", outcome);
            #[cfg(feature = "defmt")]
            defmt::info!("at-ftp: done: {}", outcome);
        }
        Err(error) => {
            #[cfg(feature = "log")]
            log::warn!("at-ftp: failed: {}", error);
            #[cfg(feature = "defmt")]
            defmt::warn!("at-ftp: failed: {}", error);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_holding_the_secret_is_found() {
        assert!(super::holds(b"#FTPPW: \"hunter2\"", b"hunter2"));
        assert!(!super::holds(b"#FTPPW: \"hunter\"", b"hunter2"));
        assert!(!super::holds(b"RING", b""));
    }
}
