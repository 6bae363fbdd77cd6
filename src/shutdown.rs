//! Shutdown: one cancellation token, cancelled by the first SIGTERM or
//! SIGINT. Everything long-running takes a clone and drains when it fires;
//! a second signal exits at once for an operator who cannot wait.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Exit status for "stopped by a second signal" (128 + SIGINT, by convention).
const FORCED_EXIT: i32 = 130;

/// Installs the signal handlers and returns the token they cancel.
pub fn on_signals() -> anyhow::Result<CancellationToken> {
    let token = CancellationToken::new();
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        tracing::info!("shutting down: finishing in-flight work; signal again to stop at once");
        cancel.cancel();
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        tracing::warn!("second signal: exiting now");
        std::process::exit(FORCED_EXIT);
    });
    Ok(token)
}
