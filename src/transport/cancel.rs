//! Cancellation in the core: a token that any holder can fire and that every part of a call
//! watches (its request, the reads of its body, the sleeps between retries, a wait). It is
//! plain Rust, the same on every target; the wasm facade adapts a caller's `AbortSignal` to it,
//! and native callers fire it themselves.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

/// A registered callback and its id.
type Hook = (u64, Box<dyn FnOnce()>);

#[derive(Default)]
struct Inner {
    cancelled: Cell<bool>,
    next_id: Cell<u64>,
    hooks: RefCell<Vec<Hook>>,
    /// Things that live as long as the token (an adapter's event listener, removed on drop).
    kept: RefCell<Vec<Box<dyn Any>>>,
}

/// A cancellation shared by everything one call does. Cheap to clone; clones are the same
/// token. Firing it is final.
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Rc<Inner>,
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    /// A token not yet fired.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Fires the token: every hook runs once and every [`cancelled`](Self::cancelled) future
    /// resolves. Firing again does nothing.
    pub fn cancel(&self) {
        if self.inner.cancelled.replace(true) {
            return;
        }
        let hooks = std::mem::take(&mut *self.inner.hooks.borrow_mut());
        for (_, hook) in hooks {
            hook();
        }
    }

    /// Whether the token has fired.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.get()
    }

    /// Resolves once the token fires (at once if it has).
    pub fn cancelled(&self) -> Cancelled {
        Cancelled {
            token: self.clone(),
            waker: Rc::new(RefCell::new(None)),
            hook: None,
        }
    }

    /// Runs `f` when the token fires (now, if it has). Dropping the returned hook before that
    /// unregisters `f`.
    pub fn on_cancel(&self, f: impl FnOnce() + 'static) -> CancelHook {
        if self.is_cancelled() {
            f();
            return CancelHook {
                token: Weak::new(),
                id: 0,
            };
        }
        let id = self.inner.next_id.get() + 1;
        self.inner.next_id.set(id);
        self.inner.hooks.borrow_mut().push((id, Box::new(f)));
        CancelHook {
            token: Rc::downgrade(&self.inner),
            id,
        }
    }

    /// A handle that fires this token while it exists, without keeping it alive.
    pub fn downgrade(&self) -> WeakCancelToken {
        WeakCancelToken(Rc::downgrade(&self.inner))
    }

    /// Keeps `thing` alive as long as the token (an adapter that feeds it, dropped with it).
    pub fn keep(&self, thing: Box<dyn Any>) {
        self.inner.kept.borrow_mut().push(thing);
    }
}

/// A [`CancelToken`] that does not keep it alive (for callbacks the token itself keeps).
#[derive(Clone, Debug, Default)]
pub struct WeakCancelToken(Weak<Inner>);

impl WeakCancelToken {
    /// Fires the token if it still exists.
    pub fn cancel(&self) {
        if let Some(inner) = self.0.upgrade() {
            CancelToken { inner }.cancel();
        }
    }
}

/// A registration of [`CancelToken::on_cancel`]; dropping it unregisters the callback.
#[must_use = "dropping the hook unregisters it"]
pub struct CancelHook {
    token: Weak<Inner>,
    id: u64,
}

impl fmt::Debug for CancelHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHook").field("id", &self.id).finish()
    }
}

impl Drop for CancelHook {
    fn drop(&mut self) {
        if let Some(inner) = self.token.upgrade() {
            if let Ok(mut hooks) = inner.hooks.try_borrow_mut() {
                hooks.retain(|(id, _)| *id != self.id);
            }
        }
    }
}

/// The future of [`CancelToken::cancelled`].
pub struct Cancelled {
    token: CancelToken,
    waker: Rc<RefCell<Option<Waker>>>,
    hook: Option<CancelHook>,
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancelled")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Future for Cancelled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.token.is_cancelled() {
            return Poll::Ready(());
        }
        {
            let mut slot = self.waker.borrow_mut();
            if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *slot = Some(cx.waker().clone());
            }
        }
        if self.hook.is_none() {
            let slot = self.waker.clone();
            let hook = self.token.on_cancel(move || {
                if let Some(w) = slot.borrow_mut().take() {
                    w.wake();
                }
            });
            self.hook = Some(hook);
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use futures::FutureExt as _;

    #[test]
    fn hooks_run_once_and_dropped_hooks_never() {
        let t = CancelToken::new();
        let runs = Rc::new(Cell::new(0));
        let r = runs.clone();
        let _kept = t.on_cancel(move || r.set(r.get() + 1));
        let r = runs.clone();
        drop(t.on_cancel(move || r.set(r.get() + 100)));
        assert!(!t.is_cancelled());
        t.clone().cancel();
        t.cancel();
        assert!(t.is_cancelled());
        assert_eq!(runs.get(), 1);
        // a hook added after the fact runs at once
        let r = runs.clone();
        let _late = t.on_cancel(move || r.set(r.get() + 10));
        assert_eq!(runs.get(), 11);
    }

    #[test]
    fn cancelled_resolves_when_fired_and_weak_handles_do_not_keep_it() {
        let t = CancelToken::new();
        let mut f = t.cancelled();
        assert!((&mut f).now_or_never().is_none());
        assert!((&mut f).now_or_never().is_none(), "polled twice: one hook");
        assert_eq!(t.inner.hooks.borrow().len(), 1);
        let weak = t.downgrade();
        weak.cancel();
        assert!(f.now_or_never().is_some());
        let gone = CancelToken::new().downgrade();
        gone.cancel(); // nothing to fire: no panic
                       // kept things live as long as the token
        let t = CancelToken::new();
        let alive = Rc::new(());
        t.keep(Box::new(alive.clone()));
        assert_eq!(Rc::strong_count(&alive), 2);
        drop(t);
        assert_eq!(Rc::strong_count(&alive), 1);
    }
}
