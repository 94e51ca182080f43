//! [`KillSwitch`] and [`KillSignal`]: ending a session's open response streams.
//!
//! The switch fires once; every signal cloned from it observes that, either by
//! [`KillSignal::killed`], by awaiting [`KillSignal::wait`], or by
//! [`KillSignal::poll_killed`] from inside a body's `poll_frame`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

#[derive(Debug, Default)]
struct Shared {
    killed: AtomicBool,
    next_id: AtomicU64,
    /// The waker of every signal currently polled, by signal id.
    wakers: Mutex<HashMap<u64, Waker>>,
}

/// Fires the kill of one session.
///
/// ```
/// use tollgate::session::KillSwitch;
///
/// let switch = KillSwitch::new();
/// let signal = switch.signal();
/// assert!(!signal.killed());
/// switch.kill();
/// assert!(signal.killed());
/// ```
#[derive(Debug, Clone, Default)]
pub struct KillSwitch {
    shared: Arc<Shared>,
}

impl KillSwitch {
    /// A switch that has not fired.
    pub fn new() -> KillSwitch {
        KillSwitch::default()
    }

    /// A signal that observes this switch.
    pub fn signal(&self) -> KillSignal {
        KillSignal {
            id: self.shared.next_id.fetch_add(1, Ordering::Relaxed),
            shared: Arc::clone(&self.shared),
        }
    }

    /// Fires: every signal reports killed and every waiting task is woken. Idempotent.
    pub fn kill(&self) {
        self.shared.killed.store(true, Ordering::SeqCst);
        let wakers: Vec<Waker> = self
            .shared
            .wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, w)| w)
            .collect();
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether the switch has fired.
    pub fn is_killed(&self) -> bool {
        self.shared.killed.load(Ordering::SeqCst)
    }
}

/// Observes a [`KillSwitch`]. Hold one per open response stream.
#[derive(Debug)]
pub struct KillSignal {
    id: u64,
    shared: Arc<Shared>,
}

impl Clone for KillSignal {
    fn clone(&self) -> Self {
        KillSignal {
            id: self.shared.next_id.fetch_add(1, Ordering::Relaxed),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl KillSignal {
    /// Whether the session was killed.
    pub fn killed(&self) -> bool {
        self.shared.killed.load(Ordering::SeqCst)
    }

    /// `Ready` once the session is killed; otherwise registers the task to be woken
    /// when it is. For use inside `http_body::Body::poll_frame`: poll this first and
    /// end the stream when it is ready.
    pub fn poll_killed(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.killed() {
            return Poll::Ready(());
        }
        {
            let mut wakers = self
                .shared
                .wakers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match wakers.get_mut(&self.id) {
                Some(w) if w.will_wake(cx.waker()) => {}
                Some(w) => w.clone_from(cx.waker()),
                None => {
                    wakers.insert(self.id, cx.waker().clone());
                }
            }
        }
        // A kill between the first check and the registration drained the map before
        // this waker was in it; check again.
        if self.killed() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Completes when the session is killed.
    pub fn wait(&self) -> Killed<'_> {
        Killed { signal: self }
    }
}

impl Drop for KillSignal {
    fn drop(&mut self) {
        self.shared
            .wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// The future of [`KillSignal::wait`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Killed<'a> {
    signal: &'a KillSignal,
}

impl Future for Killed<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.signal.poll_killed(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_kill_wakes_every_waiting_signal() {
        let switch = KillSwitch::new();
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let signal = switch.signal();
                tokio::spawn(async move { signal.wait().await })
            })
            .collect();
        tokio::task::yield_now().await;
        switch.kill();
        for w in waiters {
            w.await.unwrap();
        }
        assert!(switch.signal().killed());
        assert!(switch.shared.wakers.lock().unwrap().is_empty());
    }

    #[test]
    fn dropped_signals_leave_no_waker_behind() {
        let switch = KillSwitch::new();
        let signal = switch.signal();
        let waker = futures_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(signal.poll_killed(&mut cx).is_pending());
        assert_eq!(switch.shared.wakers.lock().unwrap().len(), 1);
        drop(signal);
        assert!(switch.shared.wakers.lock().unwrap().is_empty());
    }

    fn futures_waker() -> Waker {
        Waker::noop().clone()
    }
}
