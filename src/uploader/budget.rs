//! The memory budget: a semaphore counted in bytes. A part's buffer is reserved before the part
//! is read from the file and released when the part's request has finished, so the bytes of
//! part data held at once never exceed the budget, whatever the concurrency.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Granularity of reservations: one semaphore permit stands for this many bytes. Reservations
/// round up, so the bytes actually reserved are never below the bytes used.
const UNIT: u64 = 1024;

/// A budget of bytes shared by all part tasks of an upload.
#[derive(Debug, Clone)]
pub struct ByteBudget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    semaphore: Arc<Semaphore>,
    capacity: u64,
    in_use: AtomicU64,
    peak: AtomicU64,
}

/// Bytes reserved from a [`ByteBudget`]; released on drop.
#[derive(Debug)]
pub struct BudgetPermit {
    _permit: OwnedSemaphorePermit,
    bytes: u64,
    inner: Arc<Inner>,
}

impl ByteBudget {
    /// A budget of `capacity` bytes (rounded down to whole KiB, at least 1 KiB).
    pub fn new(capacity: u64) -> Self {
        let units = (capacity / UNIT).clamp(1, Semaphore::MAX_PERMITS as u64);
        ByteBudget {
            inner: Arc::new(Inner {
                semaphore: Arc::new(Semaphore::new(units as usize)),
                capacity: units * UNIT,
                in_use: AtomicU64::new(0),
                peak: AtomicU64::new(0),
            }),
        }
    }

    /// The capacity in bytes as enforced.
    pub fn capacity(&self) -> u64 {
        self.inner.capacity
    }

    /// The bytes a reservation of `bytes` takes (rounded up to whole KiB).
    pub fn reservation(&self, bytes: u64) -> u64 {
        bytes.div_ceil(UNIT) * UNIT
    }

    /// Whether a reservation of `bytes` can ever be granted.
    pub fn fits(&self, bytes: u64) -> bool {
        self.reservation(bytes) <= self.inner.capacity
    }

    /// Waits until `bytes` can be reserved and reserves them. Returns `None` if the request can
    /// never fit (check [`ByteBudget::fits`] first).
    pub async fn acquire(&self, bytes: u64) -> Option<BudgetPermit> {
        if !self.fits(bytes) {
            return None;
        }
        let units = u32::try_from(bytes.div_ceil(UNIT)).ok()?;
        let permit = Arc::clone(&self.inner.semaphore)
            .acquire_many_owned(units)
            .await
            .ok()?;
        let reserved = u64::from(units) * UNIT;
        let now = self.inner.in_use.fetch_add(reserved, Ordering::AcqRel) + reserved;
        self.inner.peak.fetch_max(now, Ordering::AcqRel);
        Some(BudgetPermit {
            _permit: permit,
            bytes: reserved,
            inner: Arc::clone(&self.inner),
        })
    }

    /// Bytes reserved right now.
    pub fn in_use(&self) -> u64 {
        self.inner.in_use.load(Ordering::Acquire)
    }

    /// Most bytes ever reserved at once.
    pub fn peak(&self) -> u64 {
        self.inner.peak.load(Ordering::Acquire)
    }
}

impl BudgetPermit {
    /// Bytes this permit holds (rounded up to whole KiB).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Moves `bytes` (rounded up to whole KiB) of this reservation into a permit of their own,
    /// so one reservation for several parts can be released part by part. `None` if this
    /// permit holds fewer.
    pub fn split_off(&mut self, bytes: u64) -> Option<BudgetPermit> {
        let units = bytes.div_ceil(UNIT);
        let moved = units * UNIT;
        if moved > self.bytes {
            return None;
        }
        let permit = self._permit.split(usize::try_from(units).ok()?)?;
        self.bytes -= moved;
        Some(BudgetPermit {
            _permit: permit,
            bytes: moved,
            inner: Arc::clone(&self.inner),
        })
    }
}

impl Drop for BudgetPermit {
    fn drop(&mut self) {
        self.inner.in_use.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn reservations_never_exceed_capacity() {
        let budget = ByteBudget::new(10 * 1024);
        let a = budget.acquire(4 * 1024).await.unwrap();
        let b = budget.acquire(4 * 1024).await.unwrap();
        assert_eq!(budget.in_use(), 8 * 1024);
        // A third 4 KiB reservation must wait until one is released.
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.acquire(4 * 1024).await.map(|p| p.bytes()) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        drop(a);
        assert_eq!(waiter.await.unwrap(), Some(4 * 1024));
        drop(b);
        assert_eq!(budget.in_use(), 0);
        assert_eq!(budget.peak(), 8 * 1024);
    }

    #[tokio::test]
    async fn odd_sizes_round_up_and_oversized_requests_are_refused() {
        let budget = ByteBudget::new(3000); // 2 KiB usable
        assert_eq!(budget.capacity(), 2048);
        assert!(budget.fits(2048));
        assert!(!budget.fits(2049));
        assert!(budget.acquire(2049).await.is_none());
        let p = budget.acquire(1).await.unwrap();
        assert_eq!(p.bytes(), 1024);
        let z = budget.acquire(0).await.unwrap();
        assert_eq!(z.bytes(), 0);
    }

    #[tokio::test]
    async fn a_split_reservation_is_released_piece_by_piece() {
        let budget = ByteBudget::new(8 * 1024);
        let mut group = budget.acquire(6 * 1024).await.unwrap();
        let a = group.split_off(2 * 1024).unwrap();
        let b = group.split_off(1500).unwrap();
        assert_eq!((a.bytes(), b.bytes(), group.bytes()), (2048, 2048, 2048));
        assert!(group.split_off(4096).is_none(), "more than it holds");
        assert_eq!(budget.in_use(), 6 * 1024);
        drop(a);
        assert_eq!(budget.in_use(), 4 * 1024);
        // The freed bytes are available again while the rest stays reserved.
        let c = budget.acquire(4 * 1024).await.unwrap();
        assert_eq!(budget.in_use(), 8 * 1024);
        drop((b, c, group));
        assert_eq!(budget.in_use(), 0);
        assert_eq!(budget.peak(), 8 * 1024);
    }

    #[tokio::test]
    async fn many_tasks_share_the_budget_without_overshoot() {
        let budget = ByteBudget::new(64 * 1024);
        let mut tasks = Vec::new();
        for i in 0..40u64 {
            let budget = budget.clone();
            tasks.push(tokio::spawn(async move {
                let p = budget.acquire(1024 * (1 + i % 20)).await.unwrap();
                assert!(budget.in_use() <= budget.capacity());
                tokio::time::sleep(Duration::from_millis(2)).await;
                drop(p);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert!(budget.peak() <= 64 * 1024);
        assert!(budget.peak() >= 20 * 1024);
        assert_eq!(budget.in_use(), 0);
    }
}
