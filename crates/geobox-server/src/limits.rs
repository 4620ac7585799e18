//! What an unauthenticated caller can make the server spend. Every password hash (argon2,
//! about 19 MiB and tens of milliseconds of one core) waits for one of a few permits, so a flood
//! of sign-ins costs a bounded amount of memory and leaves cores for everyone else; and failed
//! sign-ins slow down per username and per client address, each failure past a few free ones
//! doubling the wait before the next try.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, SemaphorePermit, oneshot};

use super::error::{ServerError, ServerResult};

/// How long a hash waits for a permit before the request is turned away (503).
const HASH_WAIT: Duration = Duration::from_secs(5);
/// How many requests may wait for a permit at once; more are turned away at once (503).
const MAX_WAITING: usize = 256;
/// Failures a username may have before each further one makes it wait.
const FREE_FAILURES_PER_USERNAME: u32 = 5;
/// Failures a client address may have (it may be shared, e.g. behind NAT) before waits start.
const FREE_FAILURES_PER_ADDRESS: u32 = 20;
/// The first wait; each further failure doubles it, up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(60);
/// Failures are forgotten this long after the last one.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// How many usernames and addresses are tracked; past it the forgotten ones are dropped, and
/// if none is, all of them.
const MAX_TRACKED: usize = 10_000;

/// Password hashes run on a few threads of their own, one per core but one: a hash keeps a
/// core busy, more at once only add memory, and one core stays for every other request. They
/// also run at a lower priority, so that during a flood of sign-ins a list still answers at
/// once.
struct Hashing {
    permits: Semaphore,
    waiting: AtomicUsize,
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
            permits: Semaphore::new(threads),
            waiting: AtomicUsize::new(0),
            jobs,
        }
    })
}

/// The right to run one password hash now.
pub struct HashPermit {
    _permit: SemaphorePermit<'static>,
}

impl HashPermit {
    /// Runs `work` (a hash) on a hashing thread and waits for it.
    pub async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ServerResult<T> {
        let (done, result) = oneshot::channel();
        hashing()
            .jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| ServerError::Internal("the password-hashing threads are gone".into()))?;
        result
            .await
            .map_err(|_| ServerError::Internal("a password hash failed".into()))
    }
}

/// A permit to hash one password, or a 503 if none comes soon.
pub async fn hash_permit() -> ServerResult<HashPermit> {
    let Hashing {
        permits, waiting, ..
    } = hashing();
    if let Ok(permit) = permits.try_acquire() {
        return Ok(HashPermit { _permit: permit });
    }
    if waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
        waiting.fetch_sub(1, Ordering::SeqCst);
        return Err(busy());
    }
    let permit = tokio::time::timeout(HASH_WAIT, permits.acquire()).await;
    waiting.fetch_sub(1, Ordering::SeqCst);
    match permit {
        Ok(Ok(permit)) => Ok(HashPermit { _permit: permit }),
        _ => Err(busy()),
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

/// Failed sign-ins of one username or one address.
#[derive(Clone, Copy, Debug)]
struct Strikes {
    count: u32,
    last: Instant,
}

impl Strikes {
    /// Until when the next try must wait, once past `free` failures.
    fn wait_until(&self, free: u32) -> Option<Instant> {
        let past = self.count.checked_sub(free)?.checked_sub(1)?;
        let delay = FIRST_DELAY
            .checked_mul(1u32 << past.min(16))
            .map_or(MAX_DELAY, |delay| delay.min(MAX_DELAY));
        Some(self.last + delay)
    }
}

/// Failed sign-ins, per username (hashed: a username can be long) and per client address.
#[derive(Default)]
pub struct SignInLimits {
    usernames: Mutex<HashMap<[u8; 32], Strikes>>,
    addresses: Mutex<HashMap<IpAddr, Strikes>>,
}

impl SignInLimits {
    /// A 429 saying how long to wait if this username or this address must wait.
    pub fn check(&self, username: &str, address: IpAddr) -> ServerResult<()> {
        let now = Instant::now();
        let key = username_key(username);
        let by_username = waiting_until(&self.usernames, &key, FREE_FAILURES_PER_USERNAME);
        let by_address = waiting_until(&self.addresses, &address, FREE_FAILURES_PER_ADDRESS);
        match by_username.max(by_address) {
            Some(until) if until > now => Err(ServerError::Throttled {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: "too many failed sign-ins: wait before trying again".into(),
                retry_after: until - now,
            }),
            _ => Ok(()),
        }
    }

    pub fn failed(&self, username: &str, address: IpAddr) {
        strike(&self.usernames, username_key(username));
        strike(&self.addresses, address);
    }

    /// A right password clears its username's failures (not its address's: an attacker
    /// with one account of their own must not reset their address that way).
    pub fn succeeded(&self, username: &str) {
        if let Ok(mut usernames) = self.usernames.lock() {
            usernames.remove(&username_key(username));
        }
    }
}

/// A username as tracked: hashed, so that a long one costs no more than a short one.
fn username_key(username: &str) -> [u8; 32] {
    Sha256::digest(username.trim().to_lowercase().as_bytes()).into()
}

fn waiting_until<K: std::hash::Hash + Eq>(
    table: &Mutex<HashMap<K, Strikes>>,
    key: &K,
    free: u32,
) -> Option<Instant> {
    let table = table.lock().ok()?;
    table.get(key)?.wait_until(free)
}

fn strike<K: std::hash::Hash + Eq>(table: &Mutex<HashMap<K, Strikes>>, key: K) {
    let Ok(mut table) = table.lock() else {
        return;
    };
    let now = Instant::now();
    if table.len() >= MAX_TRACKED && !table.contains_key(&key) {
        table.retain(|_, strikes| now.duration_since(strikes.last) < FORGET_AFTER);
        if table.len() >= MAX_TRACKED {
            // A flood of made-up usernames: their own waits go, the per-address ones stay.
            table.clear();
        }
    }
    let strikes = table.entry(key).or_insert(Strikes {
        count: 0,
        last: now,
    });
    if now.duration_since(strikes.last) >= FORGET_AFTER {
        strikes.count = 0;
    }
    strikes.count = strikes.count.saturating_add(1);
    strikes.last = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const AWAY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 9));

    fn retry_after(result: ServerResult<()>) -> Option<Duration> {
        match result {
            Ok(()) => None,
            Err(ServerError::Throttled { retry_after, .. }) => Some(retry_after),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_username_waits_longer_after_each_failure_past_the_free_ones() {
        let limits = SignInLimits::default();
        for _ in 0..FREE_FAILURES_PER_USERNAME {
            assert_eq!(retry_after(limits.check("Reza", HOME)), None);
            limits.failed("reza", HOME);
        }
        assert_eq!(retry_after(limits.check("reza", AWAY)), None);
        limits.failed("reza", AWAY);
        let first = retry_after(limits.check("REZA ", AWAY)).expect("waits");
        assert!(first <= FIRST_DELAY);
        limits.failed("reza", AWAY);
        let second = retry_after(limits.check("reza", AWAY)).expect("waits");
        assert!(second > FIRST_DELAY && second <= FIRST_DELAY * 2);
        assert_eq!(retry_after(limits.check("sara", AWAY)), None);
        limits.succeeded("reza");
        assert_eq!(retry_after(limits.check("reza", AWAY)), None);
    }

    #[test]
    fn an_address_waits_after_its_free_failures_whatever_the_usernames() {
        let limits = SignInLimits::default();
        for n in 0..=FREE_FAILURES_PER_ADDRESS {
            limits.failed(&format!("user{n}"), AWAY);
        }
        assert!(retry_after(limits.check("someone-new", AWAY)).is_some());
        assert_eq!(retry_after(limits.check("someone-new", HOME)), None);
    }

    #[test]
    fn waits_are_capped() {
        let strikes = Strikes {
            count: 500,
            last: Instant::now(),
        };
        let until = strikes.wait_until(5).expect("waits");
        assert!(until - strikes.last == MAX_DELAY);
    }

    #[test]
    fn tracking_many_usernames_stays_bounded() {
        let limits = SignInLimits::default();
        for n in 0..MAX_TRACKED + 50 {
            limits.failed(&format!("user{n}"), HOME);
        }
        let tracked = limits
            .usernames
            .lock()
            .map(|table| table.len())
            .unwrap_or(0);
        assert!(tracked <= MAX_TRACKED, "{tracked} tracked");
    }
}
