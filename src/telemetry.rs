//! Logging: readable lines locally, JSON in production. `RUST_LOG` overrides
//! the level. Tokens and secrets are never recorded: spans carry routes and
//! ids, not URIs or bodies.

use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tokio_cron_scheduler=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests) is harmless; the first subscriber stays.
    let _ = if json { builder.json().flatten_event(true).try_init() } else { builder.compact().try_init() };
}
