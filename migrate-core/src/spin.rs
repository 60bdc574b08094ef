//! Waiting on a thread that answers quickly, without putting the waiting thread to sleep.
//!
//! sqlx runs an SQLite connection on a worker thread and sends each statement's result back
//! over a channel. A runtime with nothing else to do parks its thread while it waits, so
//! every result wakes a sleeping thread on another core: tens of microseconds in a virtual
//! machine, more than most DDL statements take. `Spin` keeps polling a future that is woken
//! within a short window, as an adaptive mutex spins before it sleeps, and leaves the wait
//! to the runtime (its timers, IO and other tasks) once the window passes without a wake.
//! Before it spins it does the caller's idle work, pieces of work needed later anyway.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// How long to wait for a wake before handing the wait to the runtime.
const WINDOW: Duration = Duration::from_micros(500);

const POLLING: u8 = 0;
const WOKEN: u8 = 1;
/// The runtime waits: a wake must reach its waker.
const HANDED_OVER: u8 = 2;

/// `inner`, spinning for a wake after each pending poll when a second core can run the
/// thread that wakes it (on one core, spinning would only keep that thread from running).
/// `idle` does a piece of work and says whether it did any.
pub(crate) fn spin<F: Future, I: FnMut() -> bool>(inner: F, idle: I) -> Spin<F, I> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Spin {
        inner: Box::pin(inner),
        idle,
        window: if cores > 1 { WINDOW } else { Duration::ZERO },
        flag: None,
    }
}

pub(crate) struct Spin<F, I> {
    inner: Pin<Box<F>>,
    idle: I,
    window: Duration,
    flag: Option<(Arc<Flag>, Waker)>,
}

struct Flag {
    state: AtomicU8,
    runtime: Mutex<Waker>,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.state.swap(WOKEN, Ordering::AcqRel) == HANDED_OVER {
            self.runtime.lock().expect("never poisoned").wake_by_ref();
        }
    }
}

impl<F: Future, I: FnMut() -> bool + Unpin> Future for Spin<F, I> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let (flag, waker) = this.flag.get_or_insert_with(|| {
            let flag = Arc::new(Flag {
                state: AtomicU8::new(POLLING),
                runtime: Mutex::new(cx.waker().clone()),
            });
            let waker = Waker::from(flag.clone());
            (flag, waker)
        });
        {
            let mut runtime = flag.runtime.lock().expect("never poisoned");
            if !runtime.will_wake(cx.waker()) {
                *runtime = cx.waker().clone();
            }
        }
        loop {
            flag.state.store(POLLING, Ordering::Release);
            if let Poll::Ready(out) = this.inner.as_mut().poll(&mut Context::from_waker(waker)) {
                return Poll::Ready(out);
            }
            while flag.state.load(Ordering::Acquire) != WOKEN && (this.idle)() {}
            let started = Instant::now();
            while flag.state.load(Ordering::Acquire) != WOKEN && started.elapsed() < this.window {
                std::hint::spin_loop();
            }
            // Woken while spinning, or between the last look and this: poll again.
            if flag
                .state
                .compare_exchange(POLLING, HANDED_OVER, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Poll::Pending;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Resolves when another thread says so, the way sqlx's worker answers.
    struct Answer {
        value: Arc<Mutex<Option<u32>>>,
        waker: mpsc::Sender<Waker>,
    }

    impl Future for Answer {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            match self.value.lock().unwrap().take() {
                Some(v) => Poll::Ready(v),
                None => {
                    let _ = self.waker.send(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    fn answered_after(delay: Duration) -> Answer {
        let value = Arc::new(Mutex::new(None));
        let (tx, rx) = mpsc::channel::<Waker>();
        let shared = value.clone();
        std::thread::spawn(move || {
            let waker = rx.recv().unwrap();
            std::thread::sleep(delay);
            *shared.lock().unwrap() = Some(7);
            waker.wake();
        });
        Answer { value, waker: tx }
    }

    /// A waker that counts the wakes reaching the runtime.
    struct Count(std::sync::atomic::AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll_until_ready<F: Future>(f: F, count: &Arc<Count>) -> (F::Output, usize) {
        let waker = Waker::from(count.clone());
        let mut f = std::pin::pin!(f);
        let mut polls = 0;
        loop {
            polls += 1;
            if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(&waker)) {
                return (v, polls);
            }
            while count.0.load(Ordering::SeqCst) < polls {
                std::hint::spin_loop();
            }
        }
    }

    #[test]
    fn a_quick_answer_is_taken_within_the_same_poll() {
        let count = Arc::new(Count(Default::default()));
        let mut s = spin(answered_after(Duration::ZERO), || false);
        s.window = Duration::from_secs(5);
        let (v, polls) = poll_until_ready(s, &count);
        assert_eq!((v, polls), (7, 1));
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            0,
            "the runtime was never woken"
        );
    }

    #[test]
    fn idle_work_is_done_while_waiting_until_there_is_none() {
        let count = Arc::new(Count(Default::default()));
        let mut pieces = 0;
        let idle = || {
            pieces += 1;
            pieces <= 3
        };
        let mut s = spin(answered_after(Duration::from_millis(20)), idle);
        s.window = Duration::from_secs(5);
        let (v, polls) = poll_until_ready(s, &count);
        assert_eq!((v, polls), (7, 1));
        assert_eq!(pieces, 4, "three pieces done, then asked once more");
    }

    #[test]
    fn a_slow_answer_is_left_to_the_runtime_which_is_woken() {
        let count = Arc::new(Count(Default::default()));
        let mut s = spin(answered_after(Duration::from_millis(50)), || false);
        s.window = Duration::from_micros(10);
        let (v, polls) = poll_until_ready(s, &count);
        assert_eq!((v, polls), (7, 2));
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }
}
