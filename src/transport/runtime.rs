//! Time and sleeping, the same API on wasm (JS timers, `Date.now`) and natively: a [`Clock`]
//! that the transport and the client's waits use, so that tests can run them on a manual clock.

use std::rc::Rc;
use std::time::Duration;

use futures::future::LocalBoxFuture;

use super::CallOptions;
use crate::Result;

/// Milliseconds since the Unix epoch (the system's clock).
pub fn now_millis() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    (now_millis() / 1000.0).floor() as i64
}

/// Time as the transport and the client's waits see it: the clock and sleeping. The default
/// is [`SystemClock`]; tests give a manual one (virtual time, recorded sleeps).
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> f64;

    /// Waits `d`; ends early with [`crate::Error::Cancelled`] when `opts`' signal fires.
    fn sleep<'a>(&'a self, d: Duration, opts: &'a CallOptions) -> LocalBoxFuture<'a, Result<()>>;
}

/// A shared [`Clock`].
pub type SharedClock = Rc<dyn Clock>;

/// The system's clock: JS timers in wasm, a timer thread natively; the call's
/// [`super::CancelToken`] ends a sleep early.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> f64 {
        now_millis()
    }

    fn sleep<'a>(&'a self, d: Duration, opts: &'a CallOptions) -> LocalBoxFuture<'a, Result<()>> {
        #[cfg(target_arch = "wasm32")]
        {
            Box::pin(super::fetch::sleep(d, opts.cancel.as_ref()))
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            Box::pin(async move {
                let timer = native::Timer::new(d);
                let Some(token) = &opts.cancel else {
                    return timer.await;
                };
                if token.is_cancelled() {
                    return Err(crate::Error::Cancelled("aborted".into()));
                }
                let fired = token.cancelled();
                futures::pin_mut!(timer, fired);
                match futures::future::select(timer, fired).await {
                    futures::future::Either::Left((done, _)) => done,
                    futures::future::Either::Right(_) => Err(crate::Error::Cancelled(
                        "aborted while waiting to retry".into(),
                    )),
                }
            })
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    //! A timer future without an async runtime: a thread sleeps, then wakes the task.

    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    use crate::Result;

    #[derive(Default)]
    struct Shared {
        done: bool,
        waker: Option<Waker>,
    }

    pub(super) struct Timer {
        d: Duration,
        shared: Option<Arc<Mutex<Shared>>>,
    }

    impl Timer {
        pub(super) fn new(d: Duration) -> Timer {
            Timer { d, shared: None }
        }
    }

    impl Future for Timer {
        type Output = Result<()>;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
            if self.d.is_zero() {
                return Poll::Ready(Ok(()));
            }
            let d = self.d;
            let shared = self
                .shared
                .get_or_insert_with(|| {
                    let shared = Arc::new(Mutex::new(Shared::default()));
                    let s = shared.clone();
                    std::thread::spawn(move || {
                        std::thread::sleep(d);
                        if let Ok(mut s) = s.lock() {
                            s.done = true;
                            if let Some(w) = s.waker.take() {
                                w.wake();
                            }
                        }
                    });
                    shared
                })
                .clone();
            let Ok(mut s) = shared.lock() else {
                return Poll::Ready(Ok(()));
            };
            if s.done {
                return Poll::Ready(Ok(()));
            }
            s.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_really_waits_natively() {
        let clock = SystemClock;
        let opts = CallOptions::default();
        let start = std::time::Instant::now();
        futures::executor::block_on(clock.sleep(Duration::from_millis(30), &opts)).unwrap();
        assert!(start.elapsed() >= Duration::from_millis(30));
        futures::executor::block_on(clock.sleep(Duration::ZERO, &opts)).unwrap();
        // the call's token ends a long sleep as soon as it fires
        let token = super::super::CancelToken::new();
        let cancelled = CallOptions::default().with_cancel(token.clone());
        let start = std::time::Instant::now();
        let (slept, ()) = futures::executor::block_on(futures::future::join(
            clock.sleep(Duration::from_secs(30), &cancelled),
            async {
                clock.sleep(Duration::from_millis(20), &opts).await.unwrap();
                token.cancel();
            },
        ));
        assert!(
            matches!(slept, Err(crate::Error::Cancelled(_))),
            "{slept:?}"
        );
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
