//! Request fields from either an HTML form or a JSON object.
//!
//! Pages post `application/x-www-form-urlencoded` (with repeated fields such
//! as `tracks`); API clients post JSON (with arrays). Both become one list of
//! (name, value) pairs, so a handler parses its domain types once. `Fields`
//! is an extractor: a handler takes it as its last argument.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::AppError;

/// The longest value any field may have; longer input is refused, not cut.
pub const MAX_FIELD_CHARS: usize = 512;

#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    /// axum's own rejections (413 for an oversized body) pass through to
    /// `error::render_problems`, like every other error.
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let headers = HeaderMap::from_iter(
            request.headers().get_all(header::CONTENT_TYPE).iter().map(|v| (header::CONTENT_TYPE, v.clone())),
        );
        let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        Fields::parse(&headers, &body).map_err(IntoResponse::into_response)
    }
}

impl Fields {
    pub fn parse(headers: &HeaderMap, body: &Bytes) -> Result<Self, AppError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/x-www-form-urlencoded")
            .to_ascii_lowercase();
        let pairs = if content_type.starts_with("application/json") {
            from_json(body)?
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
        } else {
            return Err(AppError::UnsupportedMediaType);
        };
        for (name, value) in &pairs {
            if value.chars().count() > MAX_FIELD_CHARS {
                let field = leak_known(name);
                return Err(AppError::BadInput {
                    field,
                    message: format!("{field} is longer than {MAX_FIELD_CHARS} characters"),
                });
            }
        }
        Ok(Self(pairs))
    }

    /// The first value of a field, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

fn from_json(body: &Bytes) -> Result<Vec<(String, String)>, AppError> {
    let invalid = || AppError::BadInput { field: "body", message: "the body is not a JSON object".into() };
    let Value::Object(map) = serde_json::from_slice::<Value>(body).map_err(|_| invalid())? else {
        return Err(invalid());
    };
    let mut pairs = Vec::new();
    for (name, value) in map {
        match value {
            Value::String(s) => pairs.push((name, s)),
            Value::Number(n) => pairs.push((name, n.to_string())),
            Value::Bool(b) => pairs.push((name, b.to_string())),
            Value::Array(items) => {
                for item in items {
                    let Value::String(s) = item else {
                        let field = leak_known(&name);
                        return Err(AppError::BadInput {
                            field,
                            message: format!("{field} must be a list of strings"),
                        });
                    };
                    pairs.push((name.clone(), s));
                }
            }
            Value::Null => {}
            Value::Object(_) => {
                let field = leak_known(&name);
                return Err(AppError::BadInput { field, message: format!("{field} must not be an object") });
            }
        }
    }
    Ok(pairs)
}

/// Maps a field name to a static name for error reports; unknown names are
/// not echoed back, so a client cannot reflect arbitrary text through them.
fn leak_known(name: &str) -> &'static str {
    const KNOWN: [&str; 16] = [
        "email",
        "locale",
        "discreet",
        "timezone",
        "time",
        "tracks",
        "action",
        "max_per_day",
        "website",
        "confirm_delete",
        "answer",
        "promise",
        "due_date",
        "due_time",
        "weekly_summary",
        "body",
    ];
    KNOWN.into_iter().find(|k| *k == name).unwrap_or("body")
}
