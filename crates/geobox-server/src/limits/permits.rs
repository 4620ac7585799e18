//! A few permits, handed to those waiting by precedence and then by arrival, so that a right
//! password from a clean address is not queued behind a flood of failing ones.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

/// How soon a request's turn comes when permits are short: lower goes first, and equals go
/// in the order they arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Precedence(u32);

impl Precedence {
    /// Before everyone else: a sign-in from where that user signed in before.
    pub const OWN_ADDRESS: Precedence = Precedence(0);
    /// A signed-in caller's hash, or a sign-in from an address with no recent failure: these
    /// go in the order they came, so that neither keeps the other waiting.
    pub const CLEAN: Precedence = Precedence(1);

    /// After [`Precedence::CLEAN`] once an address has failed, and after fewer failures.
    pub fn after_failures(failures: u32) -> Precedence {
        Precedence(failures.saturating_add(1))
    }
}

/// A place in the line: its precedence, then its arrival.
type Ticket = (Precedence, u64);

/// A permit on its way from the one who released it to the first one waiting. Plain data: if
/// it is never received, the waiter's guard gives it back.
struct Grant;

pub struct PermitQueue {
    line: Mutex<Line>,
    max_waiting: usize,
}

struct Line {
    free: usize,
    waiting: BTreeMap<Ticket, oneshot::Sender<Grant>>,
    arrivals: u64,
}

impl Line {
    /// Hands a released permit to the first one waiting, or keeps it.
    fn hand_on(&mut self) {
        while let Some((_, waiter)) = self.waiting.pop_first() {
            if waiter.send(Grant).is_ok() {
                return;
            }
        }
        self.free += 1;
    }
}

/// The right to one of the permits, given back when dropped.
pub struct Permit<'queue> {
    queue: &'queue PermitQueue,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.queue.line().hand_on();
    }
}

/// One waiting: leaves the line when dropped (given up, timed out or its request gone), and
/// passes on a permit that reached it too late.
struct Waiting<'queue> {
    queue: &'queue PermitQueue,
    ticket: Ticket,
    grant: oneshot::Receiver<Grant>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut line = self.queue.line();
        if line.waiting.remove(&self.ticket).is_none() && self.grant.try_recv().is_ok() {
            line.hand_on();
        }
    }
}

impl PermitQueue {
    /// `permits` at once; past `max_waiting` in line, whoever comes last in it is turned away.
    pub fn new(permits: usize, max_waiting: usize) -> PermitQueue {
        PermitQueue {
            line: Mutex::new(Line {
                free: permits,
                waiting: BTreeMap::new(),
                arrivals: 0,
            }),
            max_waiting,
        }
    }

    /// A permit, or `None` when none comes within `patience`, or when the line is full and
    /// this one would come last in it, or when one with precedence turned it away.
    pub async fn acquire(&self, precedence: Precedence, patience: Duration) -> Option<Permit<'_>> {
        let mut waiting = {
            let mut line = self.line();
            if line.free > 0 {
                line.free -= 1;
                return Some(Permit { queue: self });
            }
            if line.waiting.len() >= self.max_waiting {
                let (&last, _) = line.waiting.last_key_value()?;
                if last.0 <= precedence {
                    return None;
                }
                // Dropping its sender tells the last in line that it is turned away.
                line.waiting.remove(&last);
            }
            let ticket = (precedence, line.arrivals);
            line.arrivals += 1;
            let (sender, grant) = oneshot::channel();
            line.waiting.insert(ticket, sender);
            Waiting {
                queue: self,
                ticket,
                grant,
            }
        };
        match tokio::time::timeout(patience, &mut waiting.grant).await {
            Ok(Ok(Grant)) => Some(Permit { queue: self }),
            _ => None,
        }
    }

    /// The line stays usable if a holder panicked: its state is a count and a map, each
    /// change made whole under the lock.
    fn line(&self) -> MutexGuard<'_, Line> {
        self.line.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.line().waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const PATIENT: Duration = Duration::from_secs(60);

    /// Waits (yielding, never sleeping) until `count` are in line.
    async fn until_waiting(queue: &PermitQueue, count: usize) {
        while queue.waiting() < count {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn permits_go_by_precedence_then_by_arrival() {
        let queue: &'static PermitQueue = Box::leak(Box::new(PermitQueue::new(1, 10)));
        let held = queue.acquire(Precedence::OWN_ADDRESS, PATIENT).await;
        assert!(held.is_some());
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, failures) in [("a", 3), ("b", 3), ("c", 0), ("d", 1)] {
            let order = Arc::clone(&order);
            tasks.push(tokio::spawn(async move {
                let permit = queue
                    .acquire(Precedence::after_failures(failures), PATIENT)
                    .await;
                assert!(permit.is_some(), "{name} gets a permit");
                order.lock().expect("order").push(name);
            }));
            until_waiting(queue, tasks.len()).await;
        }
        drop(held);
        for task in tasks {
            task.await.expect("the waiter finishes");
        }
        assert_eq!(*order.lock().expect("order"), ["c", "d", "a", "b"]);
        assert!(
            queue
                .acquire(Precedence::OWN_ADDRESS, PATIENT)
                .await
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_full_line_turns_away_whoever_would_come_last() {
        let queue: &'static PermitQueue = Box::leak(Box::new(PermitQueue::new(1, 2)));
        let held = queue.acquire(Precedence::OWN_ADDRESS, PATIENT).await;
        let failing = Precedence::after_failures(5);
        let first = tokio::spawn(queue.acquire(failing, PATIENT));
        until_waiting(queue, 1).await;
        let second = tokio::spawn(queue.acquire(failing, PATIENT));
        until_waiting(queue, 2).await;
        assert!(
            queue.acquire(failing, PATIENT).await.is_none(),
            "an equal comes last: turned away at once"
        );
        let clean = tokio::spawn(queue.acquire(Precedence::CLEAN, PATIENT));
        let second = second.await.expect("the second waiter finishes");
        assert!(second.is_none(), "the last in line made room");
        until_waiting(queue, 2).await;
        drop(held);
        assert!(clean.await.expect("the clean one finishes").is_some());
        assert!(first.await.expect("the first waiter finishes").is_some());
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_or_goes_away_takes_no_permit_with_it() {
        let queue: &'static PermitQueue = Box::leak(Box::new(PermitQueue::new(1, 10)));
        let held = queue.acquire(Precedence::OWN_ADDRESS, PATIENT).await;
        let impatient = queue
            .acquire(Precedence::OWN_ADDRESS, Duration::from_millis(20))
            .await;
        assert!(impatient.is_none(), "no permit came in time");
        let gone = tokio::spawn(queue.acquire(Precedence::OWN_ADDRESS, PATIENT));
        until_waiting(queue, 1).await;
        gone.abort();
        assert!(gone.await.is_err(), "the waiter was cancelled");
        assert_eq!(queue.waiting(), 0);
        drop(held);
        let again = queue.acquire(Precedence::OWN_ADDRESS, PATIENT).await;
        assert!(again.is_some(), "the permit came back");
        assert!(
            queue
                .acquire(Precedence::OWN_ADDRESS, Duration::from_millis(1))
                .await
                .is_none(),
            "and there was only ever one"
        );
    }
}
