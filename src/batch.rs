//! Group commit for request handlers: concurrent callers hand their items
//! to one task, which processes whatever has queued up as one batch.
//!
//! On this hardware a round trip to PostgreSQL and a commit cost more than
//! the work inside them, so many small statements from many handlers are
//! slower than one statement carrying all their rows. A [`Batcher`] gets
//! that without a timer: while batches are in the database (at most
//! `in_flight` at once) the next one gathers, so batches are one item when
//! tend is idle (no added latency) and grow with the load. The task is
//! spawned by [`Batcher::start`] and ends when the last handle is dropped,
//! after answering every item it took, so a server draining its requests on
//! shutdown drains the batcher too.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

/// Items waiting for the task, beyond which callers wait to queue.
const QUEUE: usize = 4096;

type Reply<R> = oneshot::Sender<anyhow::Result<R>>;

pub struct Batcher<T, R> {
    queue: mpsc::Sender<(T, Reply<R>)>,
}

impl<T, R> Clone for Batcher<T, R> {
    fn clone(&self) -> Self {
        Self { queue: self.queue.clone() }
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Spawns the task (call inside a Tokio runtime). `process` gets up to
    /// `max` items and returns one result per item, in order; if it fails,
    /// every caller in the batch gets that error. At most `in_flight`
    /// batches run at once (1 keeps them strictly one after another).
    pub fn start<F, Fut>(name: &'static str, max: usize, in_flight: usize, process: F) -> Self
    where
        F: Fn(Vec<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Vec<R>>> + Send + 'static,
    {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(name, max.max(1), in_flight.max(1), receiver, Arc::new(process)));
        Self { queue }
    }

    /// Queues `item` and waits for its result.
    pub async fn submit(&self, item: T) -> anyhow::Result<R> {
        let (reply, result) = oneshot::channel();
        self.queue.send((item, reply)).await.map_err(|_| anyhow::anyhow!("the batcher has stopped"))?;
        result.await.map_err(|_| anyhow::anyhow!("the batcher dropped a request"))?
    }
}

async fn run<T, R, F, Fut>(
    name: &'static str,
    max: usize,
    in_flight: usize,
    mut receiver: mpsc::Receiver<(T, Reply<R>)>,
    process: Arc<F>,
) where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(Vec<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<Vec<R>>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(in_flight));
    loop {
        // Wait for a free slot first: meanwhile the next batch gathers.
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let mut waiting = Vec::with_capacity(max);
        if receiver.recv_many(&mut waiting, max).await == 0 {
            break;
        }
        let process = process.clone();
        tokio::spawn(async move {
            process_batch(name, waiting, &*process).await;
            drop(slot);
        });
    }
    // Every handle is gone; let the batches still running finish.
    let _ = slots.acquire_many(in_flight as u32).await;
}

async fn process_batch<T, R, F, Fut>(name: &'static str, waiting: Vec<(T, Reply<R>)>, process: &F)
where
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = anyhow::Result<Vec<R>>>,
{
    let (items, replies): (Vec<T>, Vec<Reply<R>>) = waiting.into_iter().unzip();
    let count = items.len();
    match process(items).await {
        Ok(results) if results.len() == count => {
            for (reply, result) in replies.into_iter().zip(results) {
                // A caller that went away no longer needs its result.
                let _ = reply.send(Ok(result));
            }
        }
        Ok(results) => {
            tracing::error!(batcher = name, count, returned = results.len(), "a batch returned the wrong count");
            for reply in replies {
                let _ = reply.send(Err(anyhow::anyhow!("{name}: a batch returned the wrong count")));
            }
        }
        Err(err) => {
            for reply in replies {
                let _ = reply.send(Err(anyhow::anyhow!("{name}: {err:#}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_items_are_processed_together_and_each_caller_gets_its_own_result() {
        let (sizes, seen) = mpsc::unbounded_channel::<usize>();
        let batcher = Batcher::start("test", 8, 1, move |items: Vec<u32>| {
            let sizes = sizes.clone();
            async move {
                let _ = sizes.send(items.len());
                tokio::task::yield_now().await;
                Ok(items.into_iter().map(|i| i * 10).collect())
            }
        });
        let calls = (0..20).map(|i| {
            let batcher = batcher.clone();
            async move { batcher.submit(i).await.unwrap() }
        });
        let results = futures_util::future::join_all(calls).await;
        assert_eq!(results, (0..20).map(|i| i * 10).collect::<Vec<_>>());
        drop(batcher);
        let mut seen = seen;
        let mut sizes = Vec::new();
        while let Some(size) = seen.recv().await {
            sizes.push(size);
        }
        assert_eq!(sizes.iter().sum::<usize>(), 20);
        assert!(sizes.iter().all(|&s| s <= 8), "{sizes:?}");
        assert!(sizes.len() < 20, "no batching happened: {sizes:?}");
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_caller_in_it_and_the_next_batch_still_runs() {
        let batcher = Batcher::start("test", 4, 2, |items: Vec<u32>| async move {
            if items.contains(&0) { anyhow::bail!("zero is not allowed") } else { Ok(items) }
        });
        let err = batcher.submit(0).await.unwrap_err();
        assert!(format!("{err:#}").contains("zero is not allowed"));
        assert_eq!(batcher.submit(7).await.unwrap(), 7);
    }
}
