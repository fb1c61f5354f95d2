//! The in-memory job budget: how many jobs the engine holds (handed over, queued or running)
//! at most; the rest wait in the table. A job carries its `Tickets`, so the count goes down
//! when the job is dropped, however it ends (attempted, overflowed, released, or a rolled-back
//! batch that never handed it over).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::deliveries::Job;

#[derive(Debug, Clone)]
pub struct Budget {
    held: Arc<AtomicUsize>,
    max: usize,
}

/// Slots taken from a `Budget`; every slot still in it is given back on drop.
#[derive(Debug)]
pub struct Tickets {
    held: Arc<AtomicUsize>,
    n: usize,
}

/// A job in memory, with the slot it occupies (given back when this is dropped).
#[derive(Debug)]
pub struct Held {
    pub job: Job,
    _slot: Tickets,
}

impl Held {
    pub fn new(job: Job, slot: Tickets) -> Held {
        Held { job, _slot: slot }
    }
}

impl Budget {
    pub fn new(max: usize) -> Budget {
        Budget {
            held: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// `n` slots, or none when fewer are free.
    pub fn take(&self, n: usize) -> Option<Tickets> {
        self.held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |q| {
                (q + n <= self.max).then_some(q + n)
            })
            .ok()
            .map(|_| self.tickets(n))
    }

    /// As many slots as are free, up to `n` (possibly none).
    pub fn take_up_to(&self, n: usize) -> Tickets {
        let mut got = 0;
        let _ = self
            .held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |q| {
                got = self.max.saturating_sub(q).min(n);
                (got > 0).then_some(q + got)
            });
        self.tickets(got)
    }

    fn tickets(&self, n: usize) -> Tickets {
        Tickets {
            held: self.held.clone(),
            n,
        }
    }

    #[cfg(test)]
    fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }
}

impl Tickets {
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// One slot for one job. Past the reservation it takes one more: a claim may return a few
    /// more rows than asked (its per-endpoint share rounds up), and those are held too.
    pub fn split_one(&mut self) -> Tickets {
        if self.n > 0 {
            self.n -= 1;
        } else {
            self.held.fetch_add(1, Ordering::SeqCst);
        }
        Tickets {
            held: self.held.clone(),
            n: 1,
        }
    }
}

impl Drop for Tickets {
    fn drop(&mut self) {
        if self.n > 0 {
            self.held.fetch_sub(self.n, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_is_all_or_nothing_and_drop_gives_back() {
        let budget = Budget::new(10);
        let a = budget.take(7).unwrap();
        assert!(budget.take(4).is_none());
        let b = budget.take(3).unwrap();
        assert_eq!(budget.held(), 10);
        drop(a);
        assert_eq!(budget.held(), 3);
        drop(b);
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn take_up_to_takes_what_is_free() {
        let budget = Budget::new(10);
        let _a = budget.take(8).unwrap();
        let two = budget.take_up_to(5);
        assert_eq!(two.len(), 2);
        let none = budget.take_up_to(5);
        assert!(none.is_empty());
        drop((two, none));
        assert_eq!(budget.held(), 8);
    }

    #[test]
    fn split_tickets_keep_the_count_until_each_is_dropped() {
        let budget = Budget::new(10);
        let mut claim = budget.take_up_to(2);
        let one = claim.split_one();
        let two = claim.split_one();
        let extra = claim.split_one();
        drop(claim);
        assert_eq!(budget.held(), 3);
        drop((one, two));
        assert_eq!(budget.held(), 1);
        drop(extra);
        assert_eq!(budget.held(), 0);
    }
}
