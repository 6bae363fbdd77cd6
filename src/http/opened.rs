//! Opening an emailed link: its signature, purpose and expiry
//! (`domain::token`), then its generation against the subscriber's current
//! one, which is the only state a link has. A genuine link of an earlier
//! generation is `AppError::RevokedLink` (410); unsubscribe links skip the
//! generation (`Purpose::is_revocable`). Answer links are checked in
//! `nudge.rs`, through the batched read their page already makes.

use chrono::Utc;

use super::AppState;
use super::error::AppError;
use crate::domain::{Claims, Purpose};
use crate::store::{self, subscribers::Subscriber};

/// A link whose subject is a subscriber, checked: one indexed read.
pub async fn verify_current(state: &AppState, token: &str, purpose: Purpose) -> Result<Claims, AppError> {
    let claims = state.links.signer().verify(token, purpose, Utc::now())?;
    if !purpose.is_revocable() {
        return Ok(claims);
    }
    let current = store::links::generation(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)?;
    Ok(claims.current(current)?)
}

/// A link whose subject is a subscriber, checked, with the subscriber.
pub async fn subscriber_link(
    state: &AppState,
    token: &str,
    purpose: Purpose,
) -> Result<(Claims, Subscriber), AppError> {
    let claims = state.links.signer().verify(token, purpose, Utc::now())?;
    let subscriber = store::subscribers::get(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)?;
    Ok((claims.current(subscriber.link_generation)?, subscriber))
}
