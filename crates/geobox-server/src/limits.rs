//! What an unauthenticated caller can make the server spend. Every password hash (argon2,
//! about 19 MiB and tens of milliseconds of one core) waits for one of a few permits, so a flood
//! of sign-ins costs a bounded amount of memory and leaves cores for everyone else; a permit
//! goes first to a sign-in from where that user signed in before, then to signed-in callers
//! and addresses with no recent failure, then to addresses with fewer failures (`permits`), so
//! a right password is not queued behind a flood of wrong ones. Failed sign-ins slow down whoever fails, per username at an address,
//! per address and per username, without letting failures from elsewhere lock the account's
//! owner out (`sign_ins`).

mod permits;
mod sign_ins;

use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::oneshot;

use super::error::{ServerError, ServerResult};
pub use permits::Precedence;
use permits::{Permit, PermitQueue};
pub use sign_ins::SignInLimits;

/// How long a hash waits for a permit before the request is turned away (503).
const HASH_WAIT: Duration = Duration::from_secs(5);
/// How many requests may wait for a permit at once; past it, whoever would come last in line
/// is turned away at once (503).
const MAX_WAITING: usize = 256;

/// Password hashes run on a few threads of their own, one per core but one: a hash keeps a
/// core busy, more at once only add memory, and one core stays for every other request. They
/// also run at a lower priority, so that during a flood of sign-ins a list still answers at
/// once.
struct Hashing {
    permits: PermitQueue,
    jobs: mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

fn hashing() -> &'static Hashing {
    static HASHING: OnceLock<Hashing> = OnceLock::new();
    HASHING.get_or_init(|| {
        release_large_blocks_to_the_system();
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let threads = cores.saturating_sub(1).max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for number in 0..threads {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{number}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password-hashing thread");
            }
        }
        Hashing {
            permits: PermitQueue::new(threads, MAX_WAITING),
            jobs,
        }
    })
}

/// The right to run one password hash now.
pub struct HashPermit {
    permit: Permit<'static>,
}

impl HashPermit {
    /// Runs `work` (a hash) on a hashing thread and waits for it. The permit is given back
    /// when the hash ends, even if the request is gone by then.
    pub async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ServerResult<T> {
        let (done, result) = oneshot::channel();
        let permit = self.permit;
        hashing()
            .jobs
            .send(Box::new(move || {
                let _ = done.send(work());
                drop(permit);
            }))
            .map_err(|_| ServerError::Internal("the password-hashing threads are gone".into()))?;
        result
            .await
            .map_err(|_| ServerError::Internal("a password hash failed".into()))
    }
}

/// A permit to hash one password, or a 503 if none comes soon.
pub async fn hash_permit(precedence: Precedence) -> ServerResult<HashPermit> {
    match hashing().permits.acquire(precedence, HASH_WAIT).await {
        Some(permit) => Ok(HashPermit { permit }),
        None => Err(busy()),
    }
}

/// Nice 10: the scheduler gives the thread about a tenth of a core when others want it. Only
/// Linux sets one thread's priority this way (elsewhere `setpriority` would lower the whole
/// process, requests included), so other systems hash at normal priority: the permits still
/// bound how many hashes run at once.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority only read and set this thread's scheduling priority.
        unsafe {
            let thread = libc::syscall(libc::SYS_gettid) as libc::id_t;
            let _ = libc::setpriority(libc::PRIO_PROCESS, thread, 10);
        }
    }
}

fn busy() -> ServerError {
    ServerError::Throttled {
        status: StatusCode::SERVICE_UNAVAILABLE,
        message: "the server is busy checking passwords: try again shortly".into(),
        retry_after: Duration::from_secs(1),
    }
}

/// glibc serves a freed 19 MiB hash buffer again from its heaps and keeps it there (one per
/// thread arena), so a burst of sign-ins used to leave gigabytes held when idle. A fixed
/// threshold makes every large block its own mapping, returned to the system when freed.
/// Other allocators (musl's, macOS's, Windows') already give blocks this large back.
fn release_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const LARGE_BLOCK: libc::c_int = 1 << 20;
        // SAFETY: mallopt only sets an allocator tunable; it is safe to call at any time.
        let _ = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK) };
    }
}
