//! SIGINT and SIGTERM during `get` and `put`: the transfer is aborted through the library, and
//! the tool exits 130 or 143 within a few seconds, leaving no temporary file.
//!
//! This module owns what an interruption does, by where the transfer is:
//!
//! - Before the data, or in an upload: the operation is aborted ([`AbortHandle`]): nothing
//!   more of the file is sent, an upload is ended with its terminator and its verdict awaited,
//!   the modem is left in command mode. That is waited for [`GRACE`] at most.
//! - In a download's data (from `Ok_Info_DataBegin` on): a modem cannot be told to stop one,
//!   so the tool exits at once; the next run's resynchronisation drains what is still coming.
//! - A second signal exits at once, whatever the first was waiting for.
//!
//! Exiting "at once" happens on this module's thread, so it removes the download's temporary
//! file itself (the main thread's destructors do not run).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use at_ftp_blocking::AbortHandle;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::Failure;

/// How long an aborted operation may take to leave the modem in command mode.
const GRACE: Duration = Duration::from_secs(5);

/// The exit status for `signal`: 128 + its number.
pub(crate) fn status(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(128)
}

/// What the tool says when `signal` stopped it.
pub(crate) fn message(signal: i32) -> &'static str {
    if signal == SIGTERM { "terminated" } else { "interrupted" }
}

/// The state the signal thread and the transfer share.
#[derive(Debug, Default)]
struct Shared {
    /// The first signal that came (0: none).
    signal: AtomicI32,
    /// The abort handle of the client in flight.
    abort: Mutex<Option<AbortHandle>>,
    /// The download's temporary file, to remove when exiting at once.
    part: Mutex<Option<PathBuf>>,
    /// A download's data is coming: a signal exits at once.
    in_data: AtomicBool,
}

impl Shared {
    /// Removes the temporary file, says why, and exits.
    fn exit_now(&self, signal: i32) -> ! {
        if let Ok(part) = self.part.lock()
            && let Some(path) = part.as_ref()
        {
            let _ = std::fs::remove_file(path);
        }
        eprintln!("\nat-ftp: {}", message(signal));
        std::process::exit(i32::from(status(signal)))
    }
}

/// The signal handling of one `get` or `put`.
#[derive(Clone, Debug)]
pub(crate) struct Interrupt(Arc<Shared>);

impl Interrupt {
    /// Catches SIGINT and SIGTERM from now on (once per process: every attempt of a
    /// `--retry` shares it), for a new attempt: no download's data, no temporary file yet.
    pub(crate) fn install() -> Result<Interrupt, Failure> {
        static ONCE: OnceLock<Interrupt> = OnceLock::new();
        if let Some(i) = ONCE.get() {
            i.0.in_data.store(false, Ordering::SeqCst);
            i.part(None);
            return Ok(i.clone());
        }
        let i = Interrupt::catch()?;
        Ok(ONCE.get_or_init(|| i).clone())
    }

    fn catch() -> Result<Interrupt, Failure> {
        let mut signals = Signals::new([SIGINT, SIGTERM])
            .map_err(|e| Failure::Local(format!("could not catch Ctrl-C: {e}")))?;
        let shared = Arc::new(Shared::default());
        let on_signal = shared.clone();
        thread::spawn(move || {
            for signal in signals.forever() {
                let first = on_signal.signal.compare_exchange(
                    0,
                    signal,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                );
                if first.is_err() || on_signal.in_data.load(Ordering::SeqCst) {
                    on_signal.exit_now(first.err().unwrap_or(signal));
                }
                if let Ok(abort) = on_signal.abort.lock()
                    && let Some(abort) = abort.as_ref()
                {
                    abort.abort();
                }
                let watchdog = on_signal.clone();
                thread::spawn(move || {
                    thread::sleep(GRACE);
                    watchdog.exit_now(signal);
                });
            }
        });
        Ok(Interrupt(shared))
    }

    /// The client in flight, to abort on a signal.
    pub(crate) fn watch(&self, abort: AbortHandle) {
        if let Ok(mut slot) = self.0.abort.lock() {
            *slot = Some(abort);
        }
    }

    /// The temporary file of the download in flight, if any.
    pub(crate) fn part(&self, path: Option<PathBuf>) {
        if let Ok(mut slot) = self.0.part.lock() {
            *slot = path;
        }
    }

    /// A download's data started: from now on a signal exits at once.
    pub(crate) fn in_data(&self) {
        self.0.in_data.store(true, Ordering::SeqCst);
    }

    /// Waits `delay`, or less if a signal comes: then that signal.
    pub(crate) fn sleep(&self, delay: Duration) -> Option<i32> {
        let end = std::time::Instant::now() + delay;
        while std::time::Instant::now() < end {
            if let Some(signal) = self.signal() {
                return Some(signal);
            }
            thread::sleep(Duration::from_millis(50));
        }
        self.signal()
    }

    /// The signal that came, if one did.
    pub(crate) fn signal(&self) -> Option<i32> {
        match self.0.signal.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }
}
