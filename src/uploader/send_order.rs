//! Send slots handed out in part order.
//!
//! Parts are read and hashed ahead of sending, several at once, and finish that in any order;
//! they still go on the wire in part order, at most `concurrency` at a time. In-order sending
//! keeps a failed upload's progress a prefix of the file (what a resume finds on the server)
//! and the journal readable.

use std::sync::Mutex;
use tokio::sync::{Notify, Semaphore, SemaphorePermit};

/// `concurrency` send slots, taken in turn by part position (0, 1, 2, ...).
#[derive(Debug)]
pub struct SendSlots {
    semaphore: Semaphore,
    turn: Mutex<usize>,
    advanced: Notify,
}

impl SendSlots {
    /// Slots for `concurrency` parts on the wire at once (at least one).
    pub fn new(concurrency: usize) -> Self {
        SendSlots {
            semaphore: Semaphore::new(concurrency.max(1)),
            turn: Mutex::new(0),
            advanced: Notify::new(),
        }
    }

    /// Waits until every part before `position` has taken its slot (or passed), then for a
    /// free slot. `None` once the slots are closed: nothing more is to be sent.
    pub async fn acquire(&self, position: usize) -> Option<SemaphorePermit<'_>> {
        self.wait_turn(position).await;
        let permit = self.semaphore.acquire().await.ok();
        self.advance(position);
        permit
    }

    /// Stops handing out slots (a part failed for good): parts waiting for one, and parts that
    /// ask later, get `None` at once. Slots already taken stay valid.
    pub fn close(&self) {
        self.semaphore.close();
        self.advanced.notify_waiters();
    }

    /// Gives up the turn of a part that needs no slot (it is already on the server), once
    /// the parts before it have had theirs.
    pub async fn pass(&self, position: usize) {
        self.wait_turn(position).await;
        self.advance(position);
    }

    fn current(&self) -> usize {
        *self.turn.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn wait_turn(&self, position: usize) {
        loop {
            let advanced = self.advanced.notified();
            tokio::pin!(advanced);
            // Registered before the check, so an advance in between is not missed.
            advanced.as_mut().enable();
            if self.current() >= position || self.semaphore.is_closed() {
                return;
            }
            advanced.await;
        }
    }

    fn advance(&self, position: usize) {
        {
            let mut turn = self.turn.lock().unwrap_or_else(|p| p.into_inner());
            if *turn == position {
                *turn += 1;
            }
        }
        self.advanced.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slots_are_taken_in_position_order_whatever_the_arrival_order() {
        let slots = Arc::new(SendSlots::new(1));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        // Later positions arrive first.
        for position in (0..6usize).rev() {
            let (slots, order) = (slots.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                if position == 3 {
                    slots.pass(position).await;
                    order.lock().unwrap().push((position, "passed"));
                    return;
                }
                let _permit = slots.acquire(position).await.expect("open");
                order.lock().unwrap().push((position, "sent"));
                tokio::task::yield_now().await;
            }));
            tokio::task::yield_now().await;
        }
        for t in tasks {
            t.await.unwrap();
        }
        let log = order.lock().unwrap().clone();
        let sent: Vec<usize> = log
            .iter()
            .filter(|(_, what)| *what == "sent")
            .map(|(p, _)| *p)
            .collect();
        // Position 4 could only go after 3 passed.
        assert_eq!(sent, vec![0, 1, 2, 4, 5]);
        assert!(log.contains(&(3, "passed")));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_releases_every_waiter_empty_handed() {
        let slots = Arc::new(SendSlots::new(1));
        let held = slots.acquire(0).await.unwrap();
        let mut waiters = Vec::new();
        for position in [2usize, 1] {
            let slots = slots.clone();
            waiters.push(tokio::spawn(async move {
                slots.acquire(position).await.is_none()
            }));
        }
        tokio::task::yield_now().await;
        slots.close();
        for w in waiters {
            assert!(w.await.unwrap(), "a waiter got a slot after close");
        }
        assert!(slots.acquire(3).await.is_none());
        drop(held);
    }

    #[tokio::test]
    async fn at_most_concurrency_slots_are_held() {
        let slots = SendSlots::new(2);
        let a = slots.acquire(0).await.unwrap();
        let _b = slots.acquire(1).await.unwrap();
        // The third waits for a slot, not for its turn.
        let third = slots.acquire(2);
        tokio::pin!(third);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), third.as_mut())
                .await
                .is_err(),
            "a third slot was handed out"
        );
        drop(a);
        assert!(third.await.is_some());
    }
}
