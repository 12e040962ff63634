//! The one ordered executor: items numbered in input order go to worker
//! threads, and their results come back to one consumer in input order.
//!
//! Three parties, each on its own thread: a [`Submitter`] numbers items
//! and queues them (bounded, so memory stays flat), the [`Workers`] run
//! one function over them, and a [`Collector`] hands the results out in
//! input order. Every result waits in the reorder buffer for its turn,
//! errors included: the consumer meets the earliest error in input order,
//! whichever worker failed first in time. Used by the dump pipeline, the
//! parallel compressor, the zstd frame decoder and the tables of a pg_dump
//! archive.

use std::collections::BTreeMap;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};

/// Queues items for the workers, numbered in the order given.
pub struct Submitter<I> {
    jobs: Sender<(u64, I)>,
    next: u64,
}

impl<I> Submitter<I> {
    /// Queues `item`, waiting while the queue is full. Gives the item back
    /// when the workers are gone (the consumer stopped).
    pub fn submit(&mut self, item: I) -> Result<(), I> {
        match self.jobs.send((self.next, item)) {
            Ok(()) => {
                self.next += 1;
                Ok(())
            }
            Err(e) => Err(e.into_inner().1),
        }
    }
}

/// Hands out the workers' results in input order.
pub struct Collector<O> {
    done: Receiver<(u64, O)>,
    pending: BTreeMap<u64, O>,
    next: u64,
}

impl<O> Collector<O> {
    /// Did every result that arrived go out (no gap left by a worker that
    /// died)?
    pub fn is_complete(&self) -> bool {
        self.pending.is_empty()
    }
}

impl<O> Iterator for Collector<O> {
    type Item = O;

    /// The next result in input order, waiting for it; `None` once the
    /// submitter is dropped and every result is out.
    fn next(&mut self) -> Option<O> {
        loop {
            if let Some(o) = self.pending.remove(&self.next) {
                self.next += 1;
                return Some(o);
            }
            let (seq, o) = self.done.recv().ok()?;
            self.pending.insert(seq, o);
        }
    }
}

/// The worker threads.
pub struct Workers {
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Waits for every worker; `false` if one panicked.
    pub fn join(self) -> bool {
        self.threads.into_iter().all(|t| t.join().is_ok())
    }
}

/// Starts `threads` workers, each with its own state from `init` (reusable
/// buffers), running `work` over the items. At most `depth` items wait to
/// be taken, and `depth` results to be collected.
pub fn ordered<I, O, S>(
    threads: usize,
    depth: usize,
    init: impl Fn() -> S + Send + Sync + 'static,
    work: impl Fn(&mut S, I) -> O + Send + Sync + 'static,
) -> (Submitter<I>, Collector<O>, Workers)
where
    I: Send + 'static,
    O: Send + 'static,
{
    let (job_tx, job_rx) = bounded::<(u64, I)>(depth.max(1));
    let (done_tx, done_rx) = bounded::<(u64, O)>(depth.max(1));
    let init = std::sync::Arc::new(init);
    let work = std::sync::Arc::new(work);
    let threads = (0..threads.max(1))
        .map(|_| {
            let (job_rx, done_tx) = (job_rx.clone(), done_tx.clone());
            let (init, work) = (init.clone(), work.clone());
            std::thread::spawn(move || {
                let mut state = init();
                for (seq, item) in job_rx {
                    if done_tx.send((seq, work(&mut state, item))).is_err() {
                        return; // the collector is gone
                    }
                }
            })
        })
        .collect();
    (
        Submitter {
            jobs: job_tx,
            next: 0,
        },
        Collector {
            done: done_rx,
            pending: BTreeMap::new(),
            next: 0,
        },
        Workers { threads },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order() {
        let (mut sub, col, workers) = ordered(
            4,
            8,
            || (),
            |_, i: u64| {
                // Later items finish first.
                std::thread::sleep(std::time::Duration::from_micros((100 - i) * 20));
                i * 2
            },
        );
        let consumer = std::thread::spawn(move || col.collect::<Vec<u64>>());
        for i in 0..100 {
            sub.submit(i).unwrap();
        }
        drop(sub);
        let got = consumer.join().unwrap();
        assert_eq!(got, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        assert!(workers.join());
    }

    #[test]
    fn the_earliest_error_in_input_order_comes_first() {
        // Item 3 fails slowly, item 7 fails at once: 3's error is met first.
        let (mut sub, col, workers) = ordered(
            4,
            16,
            || (),
            |_, i: u64| match i {
                3 => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    Err(i)
                }
                7 => Err(i),
                _ => Ok(i),
            },
        );
        for i in 0..10 {
            sub.submit(i).unwrap();
        }
        drop(sub);
        let first_error = col.into_iter().find_map(Result::err);
        assert_eq!(first_error, Some(3));
        assert!(workers.join());
    }
}
