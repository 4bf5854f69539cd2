//! The reconnect loop the watchers share: open a stream, hand each message to the watcher,
//! queue what it makes of them, and when the stream breaks either end (a cancelled call, an
//! answer a retry would not change) or open it again — at once after a healthy stream, after a
//! backoff delay after a failed one. What a watcher resumes *from* (a bookmark, a snapshot to
//! compare) is the watcher's own business.

use std::collections::VecDeque;

use futures::stream::LocalBoxStream;
use futures::StreamExt as _;

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

struct Driver<W: Resumable> {
    w: W,
    opts: CallOptions,
    clock: crate::transport::runtime::SharedClock,
    stream: Option<LocalBoxStream<'static, Result<W::Msg>>>,
    ready: VecDeque<W::Out>,
    backoff: Backoff,
    /// Whether the current stream delivered anything: the first reopen after a healthy stream
    /// is immediate, backoff applies to consecutive failures.
    healthy: bool,
}

/// The watcher's output as a stream that ends after its first error.
pub(super) fn drive<W: Resumable>(
    w: W,
    backoff: Backoff,
    opts: CallOptions,
    clock: crate::transport::runtime::SharedClock,
) -> LocalBoxStream<'static, Result<W::Out>> {
    let d = Driver {
        w,
        opts,
        clock,
        stream: None,
        ready: VecDeque::new(),
        backoff,
        healthy: false,
    };
    futures::stream::unfold(Some(d), |d| async move {
        let mut d = d?;
        match d.next().await {
            Ok(out) => Some((Ok(out), Some(d))),
            Err(e) => Some((Err(e), None)),
        }
    })
    .boxed_local()
}

impl<W: Resumable> Driver<W> {
    async fn next(&mut self) -> Result<W::Out> {
        loop {
            if let Some(out) = self.ready.pop_front() {
                return Ok(out);
            }
            let stream = match self.stream.as_mut() {
                Some(s) => s,
                None => {
                    self.healthy = false;
                    self.stream.insert(self.w.open()?)
                }
            };
            match stream.next().await {
                Some(Ok(msg)) => {
                    self.backoff.reset();
                    self.healthy = true;
                    self.w.accept(msg, &mut self.ready)?;
                }
                Some(Err(e)) => self.broken(e).await?,
                None => {
                    self.broken(Error::status(Code::Unavailable, "watch stream ended"))
                        .await?;
                }
            }
        }
    }

    async fn broken(&mut self, e: Error) -> Result<()> {
        self.stream = None;
        if self.w.recover(&e, &mut self.ready) {
            return Ok(());
        }
        if fatal(&e) {
            return Err(e);
        }
        self.w.reconnecting();
        if self.healthy {
            return Ok(());
        }
        match self.backoff.next_delay() {
            Some(d) => self.clock.sleep(d, &self.opts).await,
            None => Err(e),
        }
    }
}
