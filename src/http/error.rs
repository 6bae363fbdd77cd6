//! One error type for every handler, rendered as a page or as JSON.
//!
//! Handlers return `AppError`; its `IntoResponse` only sets the status and
//! attaches a `Problem` to the response. The `render_problems` middleware,
//! which knows whether the client asked for JSON, turns that into the body,
//! and also dresses up errors axum produces itself (404, 405, 413). Internal
//! errors are logged there once, with their cause chain, inside the request
//! span; the client only ever sees a generic message.
//!
//! Pages are in the language of the subscriber a link belongs to when the
//! handler knows it ([`AppError::in_locale`]), else in the one the browser
//! asks for (`Accept-Language`); JSON errors stay in English, for programs.

use std::sync::Arc;

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::pages::{ErrorPage, render};
use crate::domain::{Locale, TokenError};
use crate::i18n;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: a field did not parse; the message says what is wrong with it.
    #[error("{message}")]
    BadInput { field: &'static str, message: String },
    /// 404: forged, tampered, expired or cross-purpose link. One message for all.
    #[error("This link is not valid or has expired.")]
    InvalidLink,
    /// 403: a form post from another site (`Origin`/`Referer`).
    #[error("This form can only be sent from this site's own page.")]
    CrossSite,
    /// 410: a genuine link of an earlier link generation. The page offers to
    /// mail a fresh link to the address on file, and says nothing else.
    #[error(
        "For privacy, the links in earlier mails were switched off. If this is your subscription, enter your address and a fresh link will be mailed to it, if it is the address on file."
    )]
    RevokedLink,
    /// 403: promise words and erasing data need a link at most a day old.
    #[error("This needs a link from the last 24 hours. Ask for a fresh link on the page, and it will come by mail.")]
    NeedsFreshLink,
    /// 404: no such page.
    #[error("There is no page here.")]
    NotFound,
    /// 408: the request's body did not arrive within `http.body_timeout`.
    #[error("The request took too long to arrive. Please try again.")]
    RequestTimeout,
    /// 413: a body larger than `http.max_body_bytes`.
    #[error("The request was too large.")]
    TooLarge,
    /// 415: a body we cannot read.
    #[error("Send a form (application/x-www-form-urlencoded) or JSON (application/json).")]
    UnsupportedMediaType,
    /// 429: too many requests from this client; try again after the delay.
    #[error("Too many requests. Please wait a minute and try again.")]
    TooManyRequests { retry_after: std::time::Duration },
    /// 500: everything else. Logged in full, shown as a generic message.
    #[error("Something went wrong on our side. Please try again in a little while.")]
    Internal(#[from] anyhow::Error),
    /// Any of the above, its page in the language of the subscriber the
    /// link belongs to.
    #[error("{error}")]
    InLocale { error: Box<AppError>, locale: Locale },
}

impl AppError {
    pub fn bad_input(field: &'static str, err: impl std::fmt::Display) -> Self {
        AppError::BadInput { field, message: err.to_string() }
    }

    /// The same error, its page shown in `locale`.
    pub fn in_locale(self, locale: Locale) -> Self {
        AppError::InLocale { error: Box::new(self), locale }
    }

    /// The message id of the error's words on a page; `BadInput` names its
    /// field instead.
    fn message_id(&self) -> &'static str {
        match self {
            AppError::BadInput { .. } => "error-bad-field",
            AppError::InvalidLink => "error-invalid-link",
            AppError::RevokedLink => "error-revoked-link",
            AppError::NeedsFreshLink => "error-needs-fresh-link",
            AppError::CrossSite => "error-cross-site",
            AppError::RequestTimeout => "error-timeout",
            AppError::TooLarge => "error-too-large",
            AppError::NotFound => "error-not-found",
            AppError::UnsupportedMediaType => "error-media-type",
            AppError::TooManyRequests { .. } => "error-too-many",
            AppError::Internal(_) => "error-server",
            AppError::InLocale { error, .. } => error.message_id(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            AppError::InLocale { error, .. } => error.status(),
            AppError::BadInput { .. } => StatusCode::BAD_REQUEST,
            AppError::CrossSite => StatusCode::FORBIDDEN,
            AppError::InvalidLink | AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RevokedLink => StatusCode::GONE,
            AppError::NeedsFreshLink => StatusCode::FORBIDDEN,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<TokenError> for AppError {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::Invalid | TokenError::Expired => AppError::InvalidLink,
            TokenError::Revoked => AppError::RevokedLink,
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        AppError::Internal(err.into())
    }
}

/// What went wrong, carried from a handler to the middleware.
#[derive(Clone)]
pub struct Problem {
    /// In English, for JSON clients.
    message: String,
    /// The page's words.
    message_id: &'static str,
    field: Option<&'static str>,
    internal: Option<Arc<anyhow::Error>>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::InLocale { error, locale } = self {
            let mut response = error.into_response();
            response.extensions_mut().insert(locale);
            return response;
        }
        let status = self.status();
        let message_id = self.message_id();
        let field = match &self {
            AppError::BadInput { field, .. } => Some(*field),
            _ => None,
        };
        let message = self.to_string();
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after } => Some(retry_after.as_secs().max(1)),
            _ => None,
        };
        let internal = match self {
            AppError::Internal(err) => Some(Arc::new(err)),
            _ => None,
        };
        let mut response = status.into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        response.extensions_mut().insert(Problem { message, message_id, field, internal });
        response
    }
}

/// True if the client wants JSON back: it sent JSON or accepts only JSON.
pub fn wants_json(headers: &HeaderMap) -> bool {
    let has = |name, needle| {
        headers.get(name).and_then(|v| v.to_str().ok()).is_some_and(|v: &str| v.to_ascii_lowercase().contains(needle))
    };
    has(header::CONTENT_TYPE, "application/json")
        || (has(header::ACCEPT, "application/json") && !has(header::ACCEPT, "text/html"))
}

/// The language a browser asks for, among the supported ones (`en` when
/// none is): for pages not bound to a subscriber.
pub fn browser_locale(headers: &HeaderMap) -> Locale {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or_else(Locale::en, Locale::from_accept_language)
}

pub async fn render_problems(request: Request, next: Next) -> Response {
    let json = wants_json(request.headers());
    let asked = browser_locale(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let problem = response.extensions().get::<Problem>().cloned().unwrap_or_else(|| {
        let (message_id, message) = default_message(status);
        Problem { message: message.to_owned(), message_id, field: None, internal: None }
    });
    if let Some(err) = &problem.internal {
        tracing::error!(error = ?err, "request failed");
    }
    let mut rendered = if json {
        (status, Json(json!({ "error": problem.message, "field": problem.field }))).into_response()
    } else {
        let t = i18n::tr(response.extensions().get::<Locale>().unwrap_or(&asked));
        let message = match problem.field {
            // The field's name, then what is wrong with it (as the parser said it).
            Some(field) => format!("{} {}", t.with("error-bad-field", &[("field", field.into())]), problem.message),
            None => t.get(problem.message_id),
        };
        let page = ErrorPage {
            t,
            title: t.get(title(status, problem.message_id)),
            message,
            offer_fresh_link: status == StatusCode::GONE,
        };
        (status, Html(render(&page))).into_response()
    };
    // Keep headers such as Allow (405) and Retry-After (429).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}

/// The message id of an error page's title: by status, and for the two
/// kinds of 403 by what was refused.
fn title(status: StatusCode, message_id: &str) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "error-title-bad-input",
        StatusCode::NOT_FOUND => "error-title-not-found",
        StatusCode::GONE => "error-title-gone",
        StatusCode::FORBIDDEN if message_id == "error-cross-site" => "error-title-cross-site",
        StatusCode::FORBIDDEN => "error-title-forbidden",
        StatusCode::REQUEST_TIMEOUT => "error-title-timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "error-title-too-large",
        StatusCode::TOO_MANY_REQUESTS => "error-title-too-many",
        s if s.is_server_error() => "error-title-server",
        _ => "error-title-other",
    }
}

/// For errors axum produced itself: the page's message id, and the JSON's words.
fn default_message(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("error-not-found", "There is no page here."),
        StatusCode::METHOD_NOT_ALLOWED => ("error-method", "This address does not accept that kind of request."),
        StatusCode::PAYLOAD_TOO_LARGE => ("error-too-large", "The request was too large."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("error-media-type", "Send a form (application/x-www-form-urlencoded) or JSON (application/json).")
        }
        StatusCode::TOO_MANY_REQUESTS => ("error-too-many", "Too many requests. Please wait a little and try again."),
        s if s.is_server_error() => {
            ("error-server", "Something went wrong on our side. Please try again in a little while.")
        }
        _ => ("error-other", "The request could not be understood."),
    }
}
