//! Answering nudges: the first answer counts and steers that track through
//! the spacing engine, in the same statement that records it.
//!
//! Unlike the other changes here this is not a transaction block. Answers
//! arriving together are batched ([`crate::batch`]): one snapshot read of
//! every nudge in the batch, the engine's steps in Rust ([`plan`]), and one
//! write statement fenced on each track row's version (see
//! [`store::answering`]), retried from the read if anything moved in
//! between. Two statements for a whole batch, instead of thirteen round
//! trips per answer, is what lets a list answer its morning mail at
//! thousands of answers a second.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::batch::Batcher;
use crate::domain::Scheduling;
use crate::domain::{Action, LinkGeneration, TimeZone, Track};
use crate::store;
use crate::store::answering::AnswerContext;

mod plan;

pub use plan::{Asked, Refused};

/// Reads that went stale this many times in a row are reported as an error:
/// only tracks changing continuously under the batch could cause it.
const ATTEMPTS: u32 = 8;

/// The most answers (or pages) one statement carries.
const MAX_BATCH: usize = 64;

/// Page reads in the database at once.
const READS_IN_FLIGHT: usize = 2;

/// Answer batches in the database at once. Two batches racing on one track
/// are what the fence is for, as with two instances. Measured on 2 cores:
/// with one, each answer also waited out the batch before it (p99 10.3 ms);
/// with four, batches got so small that PostgreSQL's work per answer grew
/// and the rate fell (4,271/s against 4,849/s with two).
const WRITES_IN_FLIGHT: usize = 2;

/// What an answer came to: recorded now or earlier, or refused.
pub type Answered = Result<AnswerOutcome, Refused>;

#[derive(Debug, Clone)]
pub struct AnswerOutcome {
    /// False when the nudge already had an answer; `action` is that earlier one.
    pub recorded_now: bool,
    pub action: Action,
    pub answered_at: DateTime<Utc>,
    pub track: Track,
    /// When this track comes next, or `None` if it is paused or off.
    pub next_due: Option<DateTime<Utc>>,
    pub zone: TimeZone,
    pub subscriber_id: i64,
    /// The catalog variant the nudge showed.
    pub variant: String,
}

/// Where handlers send answers, and read the nudges their pages show and
/// the link generations their links are checked against: a handle on three
/// tasks that do these in batches, over a few connections of their own
/// that keep generic plans ([`store::generic_plans`]). Cloning is cheap;
/// the tasks end with the last handle.
#[derive(Clone)]
pub struct Answers {
    writes: Batcher<Asked, Answered>,
    reads: Batcher<i64, Option<AnswerContext>>,
    generations: Batcher<i64, Option<LinkGeneration>>,
}

impl Answers {
    /// Starts the tasks (inside a Tokio runtime).
    pub fn start(pool: &PgPool, scheduling: Scheduling) -> Self {
        let own = store::generic_plans(pool, (WRITES_IN_FLIGHT + 2 * READS_IN_FLIGHT) as u32);
        let for_writes = own.clone();
        let for_generations = own.clone();
        let writes = Batcher::start("answers", MAX_BATCH, WRITES_IN_FLIGHT, move |asked: Vec<Asked>| {
            let pool = for_writes.clone();
            async move { answer_all(&pool, &asked, scheduling).await }
        });
        let reads = Batcher::start("nudge pages", MAX_BATCH, READS_IN_FLIGHT, move |ids: Vec<i64>| {
            let pool = own.clone();
            async move { read_all(&pool, &ids).await }
        });
        let generations = Batcher::start("link generations", MAX_BATCH, READS_IN_FLIGHT, move |ids: Vec<i64>| {
            let pool = for_generations.clone();
            async move { generations_of(&pool, &ids).await }
        });
        Self { writes, reads, generations }
    }

    /// Records `action` for a nudge, asked through a link of generation
    /// `link` (`None`: checked by the caller, or not revocable), which must
    /// still be the subscriber's. Checked in the batch's read, so a POST
    /// makes no read of its own.
    pub async fn answer(
        &self,
        delivery_id: i64,
        action: Action,
        link: Option<LinkGeneration>,
    ) -> anyhow::Result<Answered> {
        self.writes.submit(Asked { delivery_id, action, link }).await
    }

    /// A nudge with its subscriber, track and any answer, for its page.
    pub async fn read(&self, delivery_id: i64) -> anyhow::Result<Option<AnswerContext>> {
        self.reads.submit(delivery_id).await
    }

    /// A subscriber's current link generation (`None` if they are gone),
    /// read with other pages' in one indexed statement.
    pub async fn generation(&self, subscriber_id: i64) -> anyhow::Result<Option<LinkGeneration>> {
        self.generations.submit(subscriber_id).await
    }
}

/// One read for a batch of generations, one result per id in order.
async fn generations_of(pool: &PgPool, ids: &[i64]) -> anyhow::Result<Vec<Option<LinkGeneration>>> {
    let found: std::collections::HashMap<i64, LinkGeneration> =
        store::links::generations(pool, ids).await?.into_iter().collect();
    Ok(ids.iter().map(|id| found.get(id).copied()).collect())
}

/// One read for a batch of pages, one result per id in order.
async fn read_all(pool: &PgPool, ids: &[i64]) -> anyhow::Result<Vec<Option<AnswerContext>>> {
    let found = store::answering::read_many(pool, ids).await?;
    Ok(ids.iter().map(|id| found.iter().find(|c| c.delivery_id == *id).cloned()).collect())
}

/// Records a batch of answers, one result per answer in order. The batch
/// is read and written again whenever the write finds its read stale.
#[tracing::instrument(skip_all, fields(answers = asked.len()))]
pub async fn answer_all(pool: &PgPool, asked: &[Asked], scheduling: Scheduling) -> anyhow::Result<Vec<Answered>> {
    let mut attempt = 1;
    loop {
        match try_answer_all(pool, asked, scheduling).await {
            Err(e) if attempt < ATTEMPTS && store::answering::is_retryable(&e) => attempt += 1,
            result => return result,
        }
    }
}

async fn try_answer_all(pool: &PgPool, asked: &[Asked], scheduling: Scheduling) -> anyhow::Result<Vec<Answered>> {
    let ids: Vec<i64> = asked.iter().map(|a| a.delivery_id).collect();
    let found = store::answering::read_many(pool, &ids).await?;
    let plan = plan::plan(asked, &found, scheduling);
    // Replies for answers recorded here take the write's time; the others
    // carry their own, so without a write any database instant will do.
    let written_at = match plan.batch.answers.is_empty() {
        true => found.first().map_or(DateTime::UNIX_EPOCH, |c| c.now),
        false => store::answering::write(pool, &plan.batch).await?,
    };
    let outcomes = plan
        .replies
        .iter()
        .map(|reply| {
            reply.clone().map(|r| {
                let next_due = plan::next_due(&plan, &found, &r);
                r.outcome(written_at, next_due)
            })
        })
        .collect();
    Ok(outcomes)
}
