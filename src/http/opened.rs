//! Opening an emailed link: its signature, purpose and expiry
//! (`domain::token`), then its generation against the subscriber's current
//! one, which is the only state a link has. A genuine link of an earlier
//! generation is `AppError::RevokedLink` (410); unsubscribe links skip the
//! generation (`Purpose::is_revocable`). Answer links are checked in
//! `nudge.rs`, through the batched read their page already makes.

use chrono::Utc;

use super::AppState;
use super::error::AppError;
use crate::domain::{Claims, Locale, Purpose};
use crate::store::{self, subscribers::Subscriber};

/// A link whose subject is a subscriber, checked, with the language of the
/// subscriber's pages: one indexed read. An unsubscribe link outlives its
/// subscriber (who may have been forgotten); its page is then in `en`. A
/// switched-off link's 410 page is in the subscriber's language.
pub async fn verify_current(state: &AppState, token: &str, purpose: Purpose) -> Result<(Claims, Locale), AppError> {
    let claims = state.links.signer().verify(token, purpose, Utc::now())?;
    let current = store::links::generation(&state.pool, claims.subject).await?;
    match current {
        None if purpose.is_revocable() => Err(AppError::InvalidLink),
        None => Ok((claims, Locale::en())),
        Some((_, locale)) if !purpose.is_revocable() => Ok((claims, locale)),
        Some((generation, locale)) => match claims.current(generation) {
            Ok(claims) => Ok((claims, locale)),
            Err(err) => Err(AppError::from(err).in_locale(locale)),
        },
    }
}

/// A link whose subject is a subscriber, checked, with the subscriber.
pub async fn subscriber_link(
    state: &AppState,
    token: &str,
    purpose: Purpose,
) -> Result<(Claims, Subscriber), AppError> {
    let claims = state.links.signer().verify(token, purpose, Utc::now())?;
    let subscriber = store::subscribers::get(&state.pool, claims.subject).await?.ok_or(AppError::InvalidLink)?;
    match claims.current(subscriber.link_generation) {
        Ok(claims) => Ok((claims, subscriber)),
        Err(err) => Err(AppError::from(err).in_locale(subscriber.locale)),
    }
}
