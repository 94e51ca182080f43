//! The time source of token validation and key caching, injectable for tests.

use std::time::SystemTime;

/// Tells the current time. [`SystemClock`] is the default; tests inject a fixed or
/// steppable clock so expiry, key max-age and refetch cooldowns can be checked
/// without sleeping. Any `Fn() -> SystemTime` closure is a clock.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tollgate::identity::jwt::Clock;
///
/// let fixed = || UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(fixed.now(), UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<F> Clock for F
where
    F: Fn() -> SystemTime + Send + Sync + 'static,
{
    fn now(&self) -> SystemTime {
        self()
    }
}
