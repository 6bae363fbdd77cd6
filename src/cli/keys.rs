//! `tend keys reseal [--batch N]`: after a new promise key was put first in
//! `security.promise_keys`, move every promise text to it (and to the bound
//! format). Each batch is one transaction and is logged when committed; the
//! command can be killed at any moment and run again, and a second run
//! after a complete one changes nothing. Then the old key can be removed.

use clap::Subcommand;

use super::UsageError;
use crate::config::Settings;
use crate::sealing::Sealer;
use crate::store;
use crate::subscriptions::reseal_batch;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Reseal every promise text with the first of security.promise_keys.
    Reseal {
        /// Promises per transaction.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(i64).range(1..=100_000))]
        batch: i64,
    },
}

pub async fn run(settings: &Settings, command: KeysCommand) -> anyhow::Result<()> {
    let KeysCommand::Reseal { batch } = command;
    let sealer = Sealer::new(&settings.security.promise_keys()?).map_err(|e| UsageError(format!("{e:#}")))?;
    let pool = store::connect_lazy(&settings.database)?;
    let before = store::promises::count_to_reseal(&pool, sealer.sealing_key_id()).await?;
    eprintln!("{before} promises to reseal");
    let (mut after, mut resealed, mut unreadable) = (0, 0, Vec::new());
    loop {
        let done = reseal_batch(&pool, &sealer, after, batch).await?;
        resealed += done.resealed;
        unreadable.extend(done.unreadable);
        let Some(last_id) = done.last_id else { break };
        tracing::info!(resealed, up_to_id = last_id, "resealed a batch");
        after = last_id;
    }
    println!("resealed {resealed} promises; {} did not open", unreadable.len());
    if !unreadable.is_empty() {
        let ids: Vec<String> = unreadable.iter().map(i64::to_string).collect();
        anyhow::bail!(
            "{} promises did not open with any of security.promise_keys and were left as they were: ids {}",
            ids.len(),
            ids.join(", ")
        );
    }
    Ok(())
}
