//! The reconnect loop the watchers share: open a stream, hand each message to the watcher,
//! queue what it makes of them, and when the stream breaks either end (a cancelled call, an
//! answer a retry would not change) or open it again — at once after a healthy stream, after a
//! backoff delay after a failed one. What a watcher resumes *from* (a bookmark, a snapshot to
//! compare) is the watcher's own business.

use std::collections::VecDeque;

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;

use crate::transport::runtime::SharedClock;
use crate::transport::{Backoff, CallOptions};
use crate::{Code, Error, Result};

/// A watcher driven by [`drive`].
pub(super) trait Resumable: 'static {
    /// A message of the stream.
    type Msg: 'static;
    /// What the watcher hands out.
    type Out: 'static;

    /// Opens the stream (again).
    fn open(&mut self) -> Result<LocalBoxStream<'static, Result<Self::Msg>>>;

    /// Takes one message, queueing what is ready to hand out.
    fn accept(&mut self, msg: Self::Msg, ready: &mut VecDeque<Self::Out>) -> Result<()>;

    /// The stream broke with `e`: `true` when the watcher recovers on its own (queueing what
    /// the caller must know) and the stream is opened again at once.
    fn recover(&mut self, _e: &Error, _ready: &mut VecDeque<Self::Out>) -> bool {
        false
    }

    /// The stream broke and is about to be opened again.
    fn reconnecting(&mut self) {}
}

/// The watchers' reconnect policy unless the caller sets one: 500 ms × 1.5ⁿ up to 30 s, 50
/// attempts, reset by every delivered event.
pub(super) fn default_backoff() -> Backoff {
    let mut b = Backoff::new(
        std::time::Duration::from_millis(500),
        std::time::Duration::from_secs(30),
        50,
    );
    b.factor = 1.5;
    b
}

/// Whether a stream that broke with `e` must end rather than be opened again: a cancelled
/// call, or an answer a retry would not change.
pub(super) fn fatal(e: &Error) -> bool {
    matches!(e, Error::Cancelled(_))
        || matches!(
            e.code(),
            Code::Cancelled
                | Code::InvalidArgument
                | Code::PermissionDenied
                | Code::Unauthenticated
                | Code::Unimplemented
                | Code::NotFound
                | Code::FailedPrecondition
        )
}

/// The raw watcher: the watcher's output as it comes; when the stream breaks, the error is
/// yielded and the stream is opened again on the next poll (kube-rs's `watcher`: it never ends
/// on an error, and it never waits — pacing is [`with_backoff`]'s). It ends only when the
/// call's token fires.
pub(super) fn steps<W: Resumable>(
    w: W,
    opts: CallOptions,
) -> LocalBoxStream<'static, Result<W::Out>> {
    step_stream(w, opts)
        .map(|step| match step {
            Step::Out(out) => Ok(out),
            Step::Broke { error, .. } => Err(error),
        })
        .boxed_local()
}

/// One item of [`step_stream`].
enum Step<O> {
    /// What the watcher made of the messages.
    Out(O),
    /// The stream broke; `progressed`: it had delivered messages since it was opened (a
    /// healthy stream, reopened at once).
    Broke { error: Error, progressed: bool },
}

fn step_stream<W: Resumable>(w: W, opts: CallOptions) -> LocalBoxStream<'static, Step<W::Out>> {
    let s = Steps {
        w,
        stream: None,
        ready: VecDeque::new(),
        progressed: false,
    };
    futures::stream::unfold((s, opts, false), |(mut s, opts, ended)| async move {
        if ended || opts.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return None;
        }
        let step = s.next().await;
        // a cancelled call ends with its error
        let ended = matches!(
            &step,
            Step::Broke {
                error: Error::Cancelled(_),
                ..
            }
        );
        Some((step, (s, opts, ended)))
    })
    .boxed_local()
}

struct Steps<W: Resumable> {
    w: W,
    stream: Option<LocalBoxStream<'static, Result<W::Msg>>>,
    ready: VecDeque<W::Out>,
    /// The current stream delivered a message.
    progressed: bool,
}

impl<W: Resumable> Steps<W> {
    async fn next(&mut self) -> Step<W::Out> {
        loop {
            if let Some(out) = self.ready.pop_front() {
                return Step::Out(out);
            }
            let stream = match self.stream.as_mut() {
                Some(s) => s,
                None => match self.w.open() {
                    Ok(opened) => {
                        self.progressed = false;
                        self.stream.insert(opened)
                    }
                    Err(error) => {
                        return Step::Broke {
                            error,
                            progressed: false,
                        }
                    }
                },
            };
            let broke = match stream.next().await {
                Some(Ok(msg)) => {
                    self.progressed = true;
                    match self.w.accept(msg, &mut self.ready) {
                        Ok(()) => continue,
                        Err(e) => e,
                    }
                }
                Some(Err(e)) => e,
                None => Error::status(Code::Unavailable, "watch stream ended"),
            };
            self.stream = None;
            if self.w.recover(&broke, &mut self.ready) {
                continue;
            }
            self.w.reconnecting();
            return Step::Broke {
                error: broke,
                progressed: std::mem::take(&mut self.progressed),
            };
        }
    }
}

/// kube-rs's `StreamBackoff` for any stream of results: after an error it waits the policy's
/// next delay (exponential, jittered) before polling again, and ends — with that error — when
/// the policy is used up. The policy starts over once `quiet` has passed since the last error.
/// Items pass through unchanged, errors included.
pub fn with_backoff<T: 'static>(
    inner: LocalBoxStream<'static, Result<T>>,
    backoff: Backoff,
    quiet: std::time::Duration,
    clock: SharedClock,
    opts: CallOptions,
) -> LocalBoxStream<'static, Result<T>> {
    struct St<T> {
        inner: LocalBoxStream<'static, Result<T>>,
        backoff: Backoff,
        last_error: Option<f64>,
        pending_delay: Option<std::time::Duration>,
        done: bool,
    }
    let st = St {
        inner,
        backoff,
        last_error: None,
        pending_delay: None,
        done: false,
    };
    futures::stream::unfold(st, move |mut st| {
        let clock = clock.clone();
        let opts = opts.clone();
        async move {
            if st.done {
                return None;
            }
            if let Some(d) = st.pending_delay.take() {
                if let Err(e) = clock.sleep(d, &opts).await {
                    st.done = true;
                    return Some((Err(e), st));
                }
            }
            let item = st.inner.next().await?;
            if let Err(e) = &item {
                let now = clock.now_millis();
                let quiet_ms = quiet.as_secs_f64() * 1000.0;
                if st.last_error.is_some_and(|t| now - t >= quiet_ms) {
                    st.backoff.reset();
                }
                st.last_error = Some(now);
                if matches!(e, Error::Cancelled(_)) {
                    st.done = true;
                } else {
                    match st.backoff.next_delay() {
                        Some(d) => st.pending_delay = Some(d),
                        None => st.done = true,
                    }
                }
            }
            Some((item, st))
        }
    })
    .boxed_local()
}

/// The watcher as the library's watches hand it out: [`steps`] with the reconnect policy
/// applied inside — a broken stream is opened again at once after a healthy stretch and after
/// a backoff delay otherwise, without the caller seeing the error; the stream ends with the
/// first error a retry would not change ([`fatal`]), or when the policy is used up.
pub(super) fn drive<W: Resumable>(
    w: W,
    backoff: Backoff,
    opts: CallOptions,
    clock: SharedClock,
) -> LocalBoxStream<'static, Result<W::Out>> {
    struct St<O> {
        steps: LocalBoxStream<'static, Step<O>>,
        backoff: Backoff,
        done: bool,
    }
    let st = St {
        steps: step_stream(w, opts.clone()),
        backoff,
        done: false,
    };
    futures::stream::unfold(st, move |mut st| {
        let clock = clock.clone();
        let opts = opts.clone();
        async move {
            if st.done {
                return None;
            }
            loop {
                match st.steps.next().await? {
                    Step::Out(out) => {
                        st.backoff.reset();
                        return Some((Ok(out), st));
                    }
                    Step::Broke { error: e, .. } if fatal(&e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    Step::Broke {
                        error: e,
                        progressed,
                    } => {
                        // a healthy stream that broke is opened again at once
                        if progressed {
                            st.backoff.reset();
                            continue;
                        }
                        let slept = match st.backoff.next_delay() {
                            Some(d) => clock.sleep(d, &opts).await,
                            None => Err(e),
                        };
                        if let Err(e) = slept {
                            st.done = true;
                            return Some((Err(e), st));
                        }
                    }
                }
            }
        }
    })
    .boxed_local()
}
