//! Failed sign-ins slow down whoever fails, without locking out the account's owner.
//!
//! Failures are counted three ways, and each count past its free failures makes the next try
//! wait, the wait doubling with each further failure (1 s up to 60 s, `429` with
//! `Retry-After`, even for the right password):
//! - per username *and* address: 5 free. This is what holds a guesser at one address: about
//!   one guess a minute once past the free ones;
//! - per address, whatever the usernames: 20 free (an address may be shared, e.g. behind
//!   NAT). This holds a guesser trying one password on many accounts;
//! - per username, all addresses together: 20 free. This holds a guesser spread over many
//!   addresses, but only at the addresses that have failed as that username: an address
//!   with no failure as that username in the last 24 hours is not held by it, so failures
//!   from elsewhere never keep the owner out.
//!
//! An address from which the username signed in during the last 7 days is the owner's: it
//! is held only by its own per-username-and-address count, and its hash goes first.
//!
//! What a guesser gains from this: the owner cannot be locked out from their own address,
//! and so a guesser with many addresses gets, per username, one guess from each address new
//! to that username per 24 hours, on top of the username's 20 free failures and, once past
//! them, a guess about every minute from the addresses already held. Each address still has
//! only its own 20 free failures and then about one a minute, whatever the usernames.
//! Counting per username alone would deny that one guess per new address, but would let
//! anyone, from anywhere, keep any user out. An IPv6 client is counted by its /64 network
//! (what one subscriber usually gets whole), so that one machine does not count as 2^64
//! addresses. A right password clears its own username-and-address count only: neither the
//! address's count (an attacker with one account of their own must not reset their address
//! that way) nor the username's (signing in must not grant a spread guesser 20 more free
//! failures).
//!
//! Everything is kept in memory, bounded: when a table is full, what is forgotten goes
//! first, then the half not heard of for longest, so a flood of made-up usernames or
//! addresses cannot push out the entries of an attack in progress.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use super::permits::Precedence;
use crate::error::{ServerError, ServerResult};

/// Failures a username may have from one address before each further one makes it wait.
const FREE_FAILURES_PER_PAIR: u32 = 5;
/// Failures a client address may have (it may be shared, e.g. behind NAT) before waits start.
const FREE_FAILURES_PER_ADDRESS: u32 = 20;
/// Failures a username may have from all addresses together before the addresses that
/// failed as it wait.
const FREE_FAILURES_PER_USERNAME: u32 = 20;
/// The first wait; each further failure doubles it, up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(60);
/// Failures are forgotten this long after the last one.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// How long an address that failed as a username stays held by that username's wait.
const FAILED_FROM_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// How long an address that a username signed in from stays that user's own.
const SIGNED_IN_FROM_FOR: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// How many entries each table keeps.
const MAX_TRACKED: usize = 10_000;

/// A username as tracked: hashed, so that a long one costs no more than a short one.
type UsernameKey = [u8; 32];
/// A username at an address.
type PairKey = (UsernameKey, IpAddr);

/// Failed sign-ins of one username, one address, or one username at one address.
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

    /// One more failure at `now`; the count starts again after a quiet [`FORGET_AFTER`].
    fn and_one_more(earlier: Option<Strikes>, now: Instant) -> Strikes {
        let count = earlier
            .filter(|earlier| now.saturating_duration_since(earlier.last) < FORGET_AFTER)
            .map_or(0, |earlier| earlier.count);
        Strikes {
            count: count.saturating_add(1),
            last: now,
        }
    }
}

/// When an entry was last heard of.
trait Dated {
    fn last(&self) -> Instant;
}

impl Dated for Strikes {
    fn last(&self) -> Instant {
        self.last
    }
}

impl Dated for Instant {
    fn last(&self) -> Instant {
        *self
    }
}

/// What is remembered per key, for `remember` after it was last heard of, in at most
/// [`MAX_TRACKED`] entries.
struct Table<K, V> {
    entries: Mutex<HashMap<K, V>>,
    remember: Duration,
}

impl<K: Hash + Eq, V: Dated + Copy> Table<K, V> {
    fn new(remember: Duration) -> Self {
        Table {
            entries: Mutex::new(HashMap::new()),
            remember,
        }
    }

    /// The table stays usable if a holder panicked: each change is one map operation.
    fn entries(&self) -> MutexGuard<'_, HashMap<K, V>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fresh(&self, value: &V, now: Instant) -> bool {
        now.saturating_duration_since(value.last()) < self.remember
    }

    /// The entry of `key`, unless it is forgotten.
    fn get(&self, key: &K, now: Instant) -> Option<V> {
        let value = *self.entries().get(key)?;
        self.fresh(&value, now).then_some(value)
    }

    /// Replaces the entry of `key` with `change` of what is remembered of it.
    fn update(&self, key: K, now: Instant, change: impl FnOnce(Option<V>) -> V) {
        let mut entries = self.entries();
        if entries.len() >= MAX_TRACKED && !entries.contains_key(&key) {
            entries.retain(|_, value| self.fresh(value, now));
            if entries.len() >= MAX_TRACKED {
                let mut lasts: Vec<Instant> = entries.values().map(Dated::last).collect();
                let (_, &mut median, _) = lasts.select_nth_unstable(MAX_TRACKED / 2);
                entries.retain(|_, value| value.last() > median);
            }
        }
        let earlier = entries.get(&key).filter(|value| self.fresh(value, now));
        let value = change(earlier.copied());
        entries.insert(key, value);
    }

    fn remove(&self, key: &K) {
        self.entries().remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }
}

/// Failed sign-ins per username, per address, and per username at an address; and where
/// each username signed in from.
pub struct SignInLimits {
    usernames: Table<UsernameKey, Strikes>,
    addresses: Table<IpAddr, Strikes>,
    pairs: Table<PairKey, Strikes>,
    signed_in_from: Table<PairKey, Instant>,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            usernames: Table::new(FORGET_AFTER),
            addresses: Table::new(FORGET_AFTER),
            pairs: Table::new(FAILED_FROM_FOR),
            signed_in_from: Table::new(SIGNED_IN_FROM_FOR),
        }
    }
}

impl SignInLimits {
    /// A 429 saying how long to wait if this username at this address must wait; else the
    /// precedence of its hash.
    pub fn check(&self, username: &str, address: IpAddr) -> ServerResult<Precedence> {
        self.check_at(username, address, Instant::now())
    }

    pub fn failed(&self, username: &str, address: IpAddr) {
        self.failed_at(username, address, Instant::now());
    }

    pub fn succeeded(&self, username: &str, address: IpAddr) {
        self.succeeded_at(username, address, Instant::now());
    }

    fn check_at(&self, username: &str, address: IpAddr, now: Instant) -> ServerResult<Precedence> {
        let (name, place) = (username_key(username), address_key(address));
        let pair = (name, place);
        let failed_here = self.pairs.get(&pair, now);
        let mut until = failed_here.and_then(|strikes| strikes.wait_until(FREE_FAILURES_PER_PAIR));
        let precedence = if self.signed_in_from.get(&pair, now).is_some() {
            Precedence::OWN_ADDRESS
        } else {
            let by_address = self.addresses.get(&place, now);
            until = until.max(by_address.and_then(|s| s.wait_until(FREE_FAILURES_PER_ADDRESS)));
            if failed_here.is_some() {
                let by_username = self.usernames.get(&name, now);
                until =
                    until.max(by_username.and_then(|s| s.wait_until(FREE_FAILURES_PER_USERNAME)));
            }
            Precedence::after_failures(by_address.map_or(0, |strikes| strikes.count))
        };
        match until {
            Some(until) if until > now => Err(ServerError::Throttled {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: "too many failed sign-ins: wait before trying again".into(),
                retry_after: until - now,
            }),
            _ => Ok(precedence),
        }
    }

    fn failed_at(&self, username: &str, address: IpAddr, now: Instant) {
        let (name, place) = (username_key(username), address_key(address));
        let one_more = |earlier| Strikes::and_one_more(earlier, now);
        self.pairs.update((name, place), now, one_more);
        self.addresses.update(place, now, one_more);
        self.usernames.update(name, now, one_more);
    }

    fn succeeded_at(&self, username: &str, address: IpAddr, now: Instant) {
        let pair = (username_key(username), address_key(address));
        self.pairs.remove(&pair);
        self.signed_in_from.update(pair, now, |_| now);
    }
}

fn username_key(username: &str) -> UsernameKey {
    Sha256::digest(username.trim().to_lowercase().as_bytes()).into()
}

/// An address as counted: IPv4 (also when mapped into IPv6), or an IPv6 /64 network.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const AWAY: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));

    fn address(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a01_0000 + n))
    }

    fn retry_after(result: ServerResult<Precedence>) -> Option<Duration> {
        match result {
            Ok(_) => None,
            Err(ServerError::Throttled { retry_after, .. }) => Some(retry_after),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_username_at_an_address_waits_longer_after_each_failure_past_the_free_ones() {
        let limits = SignInLimits::default();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES_PER_PAIR {
            assert_eq!(retry_after(limits.check_at("Reza", AWAY, now)), None);
            limits.failed_at("reza", AWAY, now);
        }
        assert_eq!(retry_after(limits.check_at("reza", AWAY, now)), None);
        limits.failed_at("reza", AWAY, now);
        let first = retry_after(limits.check_at("REZA ", AWAY, now)).expect("waits");
        assert_eq!(first, FIRST_DELAY);
        limits.failed_at("reza", AWAY, now);
        let second = retry_after(limits.check_at("reza", AWAY, now)).expect("waits");
        assert_eq!(second, FIRST_DELAY * 2);
        assert_eq!(retry_after(limits.check_at("sara", AWAY, now)), None);
        assert_eq!(
            retry_after(limits.check_at("reza", HOME, now)),
            None,
            "failures elsewhere do not hold reza at home"
        );
        let later = now + FIRST_DELAY * 2;
        assert_eq!(retry_after(limits.check_at("reza", AWAY, later)), None);
    }

    #[test]
    fn an_address_waits_after_its_free_failures_whatever_the_usernames() {
        let limits = SignInLimits::default();
        let now = Instant::now();
        for n in 0..=FREE_FAILURES_PER_ADDRESS {
            limits.failed_at(&format!("user{n}"), AWAY, now);
        }
        assert!(retry_after(limits.check_at("someone-new", AWAY, now)).is_some());
        assert_eq!(retry_after(limits.check_at("someone-new", HOME, now)), None);
    }

    #[test]
    fn past_a_usernames_free_failures_only_the_addresses_that_failed_as_it_wait() {
        let limits = SignInLimits::default();
        let now = Instant::now();
        limits.succeeded_at("admin", HOME, now);
        limits.failed_at("admin", HOME, now);
        for n in 0..=FREE_FAILURES_PER_USERNAME {
            limits.failed_at("admin", address(n), now);
        }
        let held = retry_after(limits.check_at("admin", address(3), now)).expect("waits");
        assert!(held > Duration::ZERO && held <= MAX_DELAY);
        assert_eq!(retry_after(limits.check_at("admin", AWAY, now)), None);
        assert_eq!(retry_after(limits.check_at("admin", HOME, now)), None);
        assert_eq!(retry_after(limits.check_at("sara", address(3), now)), None);

        limits.failed_at("admin", AWAY, now);
        assert!(retry_after(limits.check_at("admin", AWAY, now)).is_some());
        let tomorrow = now + FAILED_FROM_FOR;
        limits.failed_at("admin", address(90), tomorrow);
        assert_eq!(
            retry_after(limits.check_at("admin", address(3), tomorrow + MAX_DELAY)),
            None,
            "the waits end; an address failed yesterday is new again"
        );
    }

    #[test]
    fn a_right_password_clears_only_its_own_username_at_its_address() {
        let limits = SignInLimits::default();
        let now = Instant::now();
        for n in 0..=FREE_FAILURES_PER_USERNAME {
            limits.failed_at("admin", address(n), now);
        }
        for _ in 0..=FREE_FAILURES_PER_PAIR {
            limits.failed_at("admin", AWAY, now);
        }
        let later = now + FIRST_DELAY;
        assert!(retry_after(limits.check_at("admin", AWAY, later)).is_some());
        limits.succeeded_at("admin", AWAY, later);
        assert_eq!(retry_after(limits.check_at("admin", AWAY, later)), None);
        assert!(
            retry_after(limits.check_at("admin", address(3), later)).is_some(),
            "the other addresses still wait"
        );
    }

    #[test]
    fn where_a_user_signed_in_before_only_their_own_failures_there_count() {
        let limits = SignInLimits::default();
        let now = Instant::now();
        limits.succeeded_at("reza", AWAY, now);
        for n in 0..=FREE_FAILURES_PER_ADDRESS {
            limits.failed_at(&format!("user{n}"), AWAY, now);
        }
        for n in 0..=FREE_FAILURES_PER_USERNAME {
            limits.failed_at("reza", address(n), now);
        }
        limits.failed_at("reza", AWAY, now);
        assert!(retry_after(limits.check_at("sara", AWAY, now)).is_some());
        assert_eq!(retry_after(limits.check_at("reza", AWAY, now)), None);
        for _ in 0..FREE_FAILURES_PER_PAIR {
            limits.failed_at("reza", AWAY, now);
        }
        assert!(
            retry_after(limits.check_at("reza", AWAY, now)).is_some(),
            "guessing from there still waits"
        );
        let next_week = now + SIGNED_IN_FROM_FOR;
        limits.failed_at("sara", AWAY, next_week);
        assert_eq!(
            limits.check_at("reza", AWAY, next_week).ok(),
            Some(Precedence::after_failures(1)),
            "an address signed in from long ago is like any other"
        );
    }

    #[test]
    fn a_right_password_goes_before_failing_ones() {
        let limits = SignInLimits::default();
        let now = Instant::now();
        limits.succeeded_at("admin", HOME, now);
        limits.failed_at("admin", HOME, now);
        for _ in 0..3 {
            limits.failed_at("nobody", AWAY, now);
        }
        let own = limits.check_at("admin", HOME, now).expect("admin");
        let clean = limits.check_at("sara", address(1), now).expect("sara");
        let failing = limits.check_at("nobody", AWAY, now).expect("nobody");
        assert_eq!(own, Precedence::OWN_ADDRESS);
        assert!(
            own < clean && clean < failing,
            "{own:?} {clean:?} {failing:?}"
        );
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
    fn an_ipv6_client_counts_by_its_network() {
        let one: Ipv6Addr = "2001:db8:1:2:aaaa::1".parse().expect("IPv6");
        let same_network: Ipv6Addr = "2001:db8:1:2:bbbb::7".parse().expect("IPv6");
        let next_network: Ipv6Addr = "2001:db8:1:3::1".parse().expect("IPv6");
        let key = |v6: Ipv6Addr| address_key(IpAddr::V6(v6));
        assert_eq!(key(one), key(same_network));
        assert_ne!(key(one), key(next_network));
        assert_eq!(key(Ipv4Addr::new(10, 0, 0, 9).to_ipv6_mapped()), AWAY);
    }

    #[test]
    fn tracking_stays_bounded_and_keeps_the_attack_in_progress() {
        let limits = SignInLimits::default();
        let start = Instant::now();
        for _ in 0..=FREE_FAILURES_PER_PAIR {
            limits.failed_at("admin", AWAY, start + Duration::from_secs(5));
        }
        for n in 0..MAX_TRACKED + 50 {
            let at = start + Duration::from_millis(u64::try_from(n % 5000).expect("small"));
            limits.failed_at(
                &format!("user{n}"),
                address(u32::try_from(n).expect("small")),
                at,
            );
        }
        for table in [
            limits.usernames.len(),
            limits.addresses.len(),
            limits.pairs.len(),
        ] {
            assert!(table <= MAX_TRACKED, "{table} tracked");
        }
        let later = start + Duration::from_secs(5);
        assert!(
            retry_after(limits.check_at("admin", AWAY, later)).is_some(),
            "the most recent failures stay"
        );
    }
}
