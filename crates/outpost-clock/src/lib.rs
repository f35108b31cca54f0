//! The single source of time for Outpost.
//!
//! Every time-dependent part of Outpost (scrape loops, rule evaluation, alert
//! dispatch, retention) reads time and sleeps through a [`Clock`]. In `system`
//! mode it follows the wall clock; in `manual` mode time stands still until a
//! test moves it with [`Clock::advance`] or [`Clock::set`], and every sleeper
//! whose deadline has passed wakes at once. This is what lets CI fast-forward
//! a `for: 5m` alert in milliseconds.
//!
//! Times are Unix milliseconds (`i64`), the unit Prometheus uses throughout;
//! [`text`] writes and reads them as text.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

pub mod text;

/// Errors from moving the clock and from reading times.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The clock follows system time and cannot be moved.
    #[error("clock is in system mode; start outpost with --clock manual to move it")]
    NotManual,
    /// A manual clock only moves forward.
    #[error("clock cannot move backwards: now {now_ms} ms, requested {requested_ms} ms")]
    Backwards {
        /// Current clock time in Unix milliseconds.
        now_ms: i64,
        /// The requested time in Unix milliseconds.
        requested_ms: i64,
    },
    /// A manual clock stays before the end of year 9999 (the latest time
    /// RFC 3339 text can show), so every
    /// deadline computed from it (now plus a duration of at most 292 years)
    /// fits an `i64` of milliseconds.
    #[error("clock time out of range: {requested_ms} ms is after 9999-12-30T22:00:00Z")]
    OutOfRange {
        /// The requested time in Unix milliseconds.
        requested_ms: i64,
    },
    /// Text that is not a time.
    #[error("cannot parse {text:?} to a valid timestamp")]
    BadTime {
        /// The text as given.
        text: String,
    },
    /// A number of seconds beyond the times Unix milliseconds hold, NaN or
    /// an infinity.
    #[error("timestamp {text:?} is out of range")]
    TimeOutOfRange {
        /// The text as given.
        text: String,
    },
}

/// The latest time a manual clock may show: 9999-12-30T22:00:00Z, the latest
/// instant every RFC 3339 formatter and parser Outpost uses accepts.
pub const MAX_MANUAL_MS: i64 = 253_402_207_200_000;

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Which kind of clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Follows the operating system's wall clock.
    System,
    /// Moves only when told to.
    Manual,
}

impl ClockMode {
    /// The mode's name as used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockMode::System => "system",
            ClockMode::Manual => "manual",
        }
    }
}

#[derive(Debug)]
enum Inner {
    System,
    Manual(watch::Sender<i64>),
}

/// A cheap, cloneable handle to the process clock.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

/// Reads the operating system clock; the only place Outpost does so.
fn system_now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

impl Clock {
    /// A clock that follows system time.
    pub fn system() -> Self {
        Clock {
            inner: Arc::new(Inner::System),
        }
    }

    /// A manual clock starting at `start_ms` (Unix milliseconds).
    pub fn manual(start_ms: i64) -> Self {
        let (tx, _rx) = watch::channel(start_ms);
        Clock {
            inner: Arc::new(Inner::Manual(tx)),
        }
    }

    /// A manual clock starting at the current system time.
    pub fn manual_from_now() -> Self {
        Self::manual(system_now_ms())
    }

    /// The clock's mode.
    pub fn mode(&self) -> ClockMode {
        match &*self.inner {
            Inner::System => ClockMode::System,
            Inner::Manual(_) => ClockMode::Manual,
        }
    }

    /// Current time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &*self.inner {
            Inner::System => system_now_ms(),
            Inner::Manual(tx) => *tx.borrow(),
        }
    }

    /// Moves a manual clock forward by `by`; returns the new time.
    pub fn advance(&self, by: Duration) -> Result<i64> {
        let by_ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let Inner::Manual(tx) = &*self.inner else {
            return Err(Error::NotManual);
        };
        let mut outcome = Ok(0);
        tx.send_if_modified(|now| match now.checked_add(by_ms) {
            Some(t) if t <= MAX_MANUAL_MS => {
                *now = t;
                outcome = Ok(t);
                by_ms != 0
            }
            _ => {
                outcome = Err(Error::OutOfRange {
                    requested_ms: now.saturating_add(by_ms),
                });
                false
            }
        });
        outcome
    }

    /// Sets a manual clock to `ms`, which must not be earlier than now.
    pub fn set(&self, ms: i64) -> Result<i64> {
        let Inner::Manual(tx) = &*self.inner else {
            return Err(Error::NotManual);
        };
        if ms > MAX_MANUAL_MS {
            return Err(Error::OutOfRange { requested_ms: ms });
        }
        // Compared and written under the channel's lock, so an `advance`
        // that interleaves cannot be undone by a stale comparison.
        let mut outcome = Ok(ms);
        tx.send_if_modified(|now| {
            if ms < *now {
                outcome = Err(Error::Backwards {
                    now_ms: *now,
                    requested_ms: ms,
                });
                false
            } else {
                let changed = ms != *now;
                *now = ms;
                changed
            }
        });
        outcome
    }

    /// Sleeps until the clock reads at least `deadline_ms`.
    ///
    /// With a manual clock this returns as soon as the clock is moved past
    /// the deadline; it never returns earlier.
    pub async fn sleep_until(&self, deadline_ms: i64) {
        match &*self.inner {
            Inner::System => loop {
                let now = system_now_ms();
                if now >= deadline_ms {
                    return;
                }
                // Re-check after waking: the wall clock may have been stepped.
                let wait = u64::try_from(deadline_ms - now).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(wait)).await;
            },
            Inner::Manual(tx) => {
                let mut rx = tx.subscribe();
                // `wait_for` checks the current value first, then each change.
                let _ = rx.wait_for(|now| *now >= deadline_ms).await;
            }
        }
    }

    /// Sleeps for `d` of clock time.
    pub async fn sleep(&self, d: Duration) {
        let d_ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.sleep_until(self.now_ms().saturating_add(d_ms)).await;
    }
}

/// Monotonic elapsed time for measuring work (request latency, uptime,
/// startup). It never yields timestamps: those come from [`Clock`].
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Starts measuring.
    pub fn start() -> Self {
        Stopwatch(Instant::now())
    }

    /// Time since start.
    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_refuses_times_past_year_9999() {
        let c = Clock::manual(0);
        assert_eq!(
            c.set(i64::MAX),
            Err(Error::OutOfRange {
                requested_ms: i64::MAX
            })
        );
        assert_eq!(c.set(MAX_MANUAL_MS), Ok(MAX_MANUAL_MS));
        assert!(matches!(
            c.advance(Duration::from_millis(1)),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            c.advance(Duration::MAX),
            Err(Error::OutOfRange { .. })
        ));
        assert_eq!(c.now_ms(), MAX_MANUAL_MS);
    }

    /// Regression (issue 16.6): `set` compared against a stale reading, so an
    /// `advance` between its read and its write could be undone.
    #[test]
    fn interleaved_set_and_advance_never_move_time_backwards() {
        let c = Clock::manual(0);
        let mut rx = match &*c.inner {
            Inner::Manual(tx) => tx.subscribe(),
            Inner::System => unreachable!(),
        };
        let threads: Vec<_> = (0..4)
            .map(|k| {
                let c = c.clone();
                std::thread::spawn(move || {
                    for i in 0..2_000i64 {
                        if k % 2 == 0 {
                            let _ = c.advance(Duration::from_millis(3));
                        } else {
                            let _ = c.set(c.now_ms() + i % 5);
                        }
                    }
                })
            })
            .collect();
        let mut last = 0;
        let mut seen = 0;
        while threads.iter().any(|t| !t.is_finished()) || seen == 0 {
            let now = *rx.borrow_and_update();
            assert!(now >= last, "time went back from {last} to {now}");
            last = now;
            seen += 1;
        }
        for t in threads {
            t.join().unwrap();
        }
        assert!(c.now_ms() >= last);
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = Clock::manual(1_000);
        assert_eq!(c.now_ms(), 1_000);
        assert_eq!(c.advance(Duration::from_secs(90)).unwrap(), 91_000);
        assert_eq!(c.now_ms(), 91_000);
        assert_eq!(c.set(100_000).unwrap(), 100_000);
        assert_eq!(
            c.set(5).unwrap_err(),
            Error::Backwards {
                now_ms: 100_000,
                requested_ms: 5
            }
        );
    }

    #[test]
    fn system_clock_cannot_be_moved() {
        let c = Clock::system();
        assert_eq!(c.advance(Duration::from_secs(1)), Err(Error::NotManual));
        assert_eq!(c.set(0), Err(Error::NotManual));
        assert!(c.now_ms() > 1_600_000_000_000);
    }

    #[tokio::test]
    async fn manual_sleeper_wakes_on_advance_past_deadline() {
        let c = Clock::manual(0);
        let sleeper = {
            let c = c.clone();
            tokio::spawn(async move {
                c.sleep(Duration::from_secs(300)).await;
                c.now_ms()
            })
        };
        tokio::task::yield_now().await;
        c.advance(Duration::from_secs(100)).unwrap();
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished(), "woke before its deadline");
        c.advance(Duration::from_secs(250)).unwrap();
        let woke_at = tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("sleeper did not wake")
            .unwrap();
        assert_eq!(woke_at, 350_000);
    }

    #[tokio::test]
    async fn manual_sleep_with_past_deadline_returns_at_once() {
        let c = Clock::manual(10_000);
        tokio::time::timeout(Duration::from_millis(100), c.sleep_until(5_000))
            .await
            .expect("past deadline must not block");
    }
}
