//! The core's notion of time: a monotonic instant the caller passes in.
//!
//! The core never reads a clock (it is `no_std` and deterministic), so every call that depends on
//! time takes an [`Instant`], and every wait is a deadline the caller gets from
//! `Action::Read`, the engine's one way of waiting. An adapter makes instants from whatever clock it has, relative
//! to any fixed origin of its choosing, for example the moment it created the session.

use core::time::Duration;

/// A point in time: the time elapsed since an origin the caller chose.
///
/// Only differences matter, so any origin works as long as one session always uses the same one.
/// Arithmetic saturates: a deadline far in the future never wraps around.
///
/// ```
/// use at_ftp_proto::Instant;
/// use core::time::Duration;
///
/// let start = Instant::ZERO;
/// let later = start + Duration::from_secs(5);
/// assert_eq!(later.duration_since(start), Duration::from_secs(5));
/// assert_eq!(start.duration_since(later), Duration::ZERO);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant(Duration::ZERO);

    /// The instant `elapsed` after the origin.
    pub const fn from_elapsed(elapsed: Duration) -> Self {
        Instant(elapsed)
    }

    /// The instant `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Self {
        Instant(Duration::from_millis(millis))
    }

    /// The time elapsed since the origin.
    pub const fn elapsed(self) -> Duration {
        self.0
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl core::ops::Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs))
    }
}
