//! Quiescence tracking for the dispatcher: which of its tasks are working
//! and which sleep on the clock (until when), so that
//! [`crate::Alertmanager::settled`] can wait until every piece of work the
//! current clock time makes due is done, without wall-clock windows.
//!
//! A task holds a [`Busy`] token while it runs; it parks the token with
//! [`Busy::idle_until`] while it waits for a clock deadline. Taking a token,
//! parking and resuming it are single steps under one lock, so a waiter
//! never sees a gap between one piece of work and the next. The dispatcher's
//! wake-ups by a state change are recorded as a pending kick until it
//! processes them.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use outpost_clock::Clock;
use tokio::sync::Notify;

#[derive(Default)]
struct Counts {
    /// Tokens not parked.
    busy: usize,
    /// Parked tokens: `(deadline_ms, id)`.
    sleepers: BTreeSet<(i64, u64)>,
    next_id: u64,
    /// A change the dispatcher was told about and has not processed yet.
    kicked: bool,
    /// The dispatcher has stopped; kicks no longer count.
    closed: bool,
}

impl Counts {
    fn settled_at(&self, now_ms: i64) -> bool {
        self.busy == 0
            && (!self.kicked || self.closed)
            && self.sleepers.first().is_none_or(|&(d, _)| d > now_ms)
    }
}

#[derive(Default)]
struct Shared {
    counts: Mutex<Counts>,
    /// Signalled whenever the tracker may have become settled.
    changed: Notify,
}

/// The tracker. Cheap to clone; clones share the counts.
#[derive(Clone, Default)]
pub(crate) struct Activity {
    shared: Arc<Shared>,
}

impl Activity {
    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.shared.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A token for a piece of work that starts now; take it before spawning
    /// the task that does the work, so there is no gap.
    pub(crate) fn busy(&self) -> Busy {
        self.counts().busy += 1;
        Busy {
            activity: self.clone(),
        }
    }

    /// Records a state change the dispatcher must process (call before
    /// waking it).
    pub(crate) fn kick(&self) {
        self.counts().kicked = true;
    }

    /// The dispatcher is about to read the state: every kick so far is
    /// covered by that read. Called while it holds a [`Busy`].
    pub(crate) fn take_kick(&self) {
        self.counts().kicked = false;
    }

    /// The dispatcher has stopped: pending and later kicks are ignored.
    pub(crate) fn close(&self) {
        self.counts().closed = true;
        self.shared.changed.notify_waiters();
    }

    /// Whether nothing is working, no kick is pending and no sleeper's
    /// deadline is at or before `now_ms`.
    pub(crate) fn is_settled_at(&self, now_ms: i64) -> bool {
        self.counts().settled_at(now_ms)
    }

    /// Returns once [`Activity::is_settled_at`] holds for `now_ms`.
    pub(crate) async fn settled_at(&self, now_ms: i64) {
        loop {
            let changed = self.shared.changed.notified();
            let mut changed = std::pin::pin!(changed);
            // Registered before the check, so no signal after it is missed.
            changed.as_mut().enable();
            if self.is_settled_at(now_ms) {
                return;
            }
            changed.await;
        }
    }

    fn release(&self, counts: &mut Counts) {
        counts.busy = counts.busy.saturating_sub(1);
        if counts.busy == 0 {
            self.shared.changed.notify_waiters();
        }
    }
}

/// A running piece of work; dropping it ends the work.
pub(crate) struct Busy {
    activity: Activity,
}

impl Busy {
    /// Awaits `fut` with this work parked until `deadline_ms` of clock time:
    /// meanwhile it does not keep [`Activity::settled_at`] waiting for times
    /// before the deadline. `fut` must finish by the deadline (or earlier,
    /// on some event); the work resumes when it does, or is dropped.
    pub(crate) async fn idle_until<F: Future>(&mut self, deadline_ms: i64, fut: F) -> F::Output {
        let id = {
            let mut c = self.activity.counts();
            let id = c.next_id;
            c.next_id = c.next_id.wrapping_add(1);
            c.sleepers.insert((deadline_ms, id));
            self.activity.release(&mut c);
            id
        };
        // Resumes on completion and on cancellation alike.
        let _resume = Resume {
            activity: &self.activity,
            key: (deadline_ms, id),
        };
        fut.await
    }

    /// Sleeps on `clock` until `deadline_ms`, parked meanwhile.
    pub(crate) async fn sleep_until(&mut self, clock: &Clock, deadline_ms: i64) {
        self.idle_until(deadline_ms, clock.sleep_until(deadline_ms))
            .await;
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut c = self.activity.counts();
        self.activity.release(&mut c);
    }
}

struct Resume<'a> {
    activity: &'a Activity,
    key: (i64, u64),
}

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        let mut c = self.activity.counts();
        c.sleepers.remove(&self.key);
        c.busy += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// Polls once: whether the future is done.
    fn ready<F: Future>(f: std::pin::Pin<&mut F>) -> bool {
        matches!(
            f.poll(&mut Context::from_waker(Waker::noop())),
            Poll::Ready(_)
        )
    }

    #[test]
    fn settled_when_nothing_was_ever_started() {
        let a = Activity::default();
        assert!(a.is_settled_at(i64::MAX));
        assert!(ready(pin!(a.settled_at(0))));
    }

    #[test]
    fn busy_work_holds_settled_until_dropped() {
        let a = Activity::default();
        let b = a.busy();
        let mut s = pin!(a.settled_at(0));
        assert!(!ready(s.as_mut()));
        drop(b);
        assert!(ready(s.as_mut()));
    }

    #[tokio::test]
    async fn a_sleeper_counts_only_once_its_deadline_is_due() {
        let a = Activity::default();
        let clock = Clock::manual(1_000);
        let mut b = a.busy();
        {
            let mut sleep = pin!(b.sleep_until(&clock, 5_000));
            assert!(!ready(sleep.as_mut()), "the clock is before the deadline");
            assert!(a.is_settled_at(4_999), "parked until 5000");
            assert!(!a.is_settled_at(5_000), "due at 5000");
            clock.set(5_000).unwrap();
            // Woken: the work is running again.
            assert!(ready(sleep.as_mut()));
        }
        assert!(!a.is_settled_at(4_999));
        drop(b);
        assert!(a.is_settled_at(5_000));
    }

    #[test]
    fn a_cancelled_sleep_resumes_the_work() {
        let a = Activity::default();
        let clock = Clock::manual(0);
        let mut b = a.busy();
        {
            let mut sleep = pin!(b.sleep_until(&clock, 10));
            assert!(!ready(sleep.as_mut()));
            assert!(a.is_settled_at(5));
        }
        assert!(!a.is_settled_at(5), "resumed when the sleep was dropped");
        drop(b);
        assert!(a.is_settled_at(100));
    }

    #[test]
    fn a_pending_kick_holds_settled_until_taken_or_closed() {
        let a = Activity::default();
        a.kick();
        assert!(!a.is_settled_at(0));
        a.take_kick();
        assert!(a.is_settled_at(0));
        a.kick();
        let mut s = pin!(a.settled_at(0));
        assert!(!ready(s.as_mut()));
        a.close();
        assert!(ready(s.as_mut()), "no dispatcher left to take the kick");
    }
}
