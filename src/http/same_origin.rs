//! Cross-site subscribe refused. A page on another site could otherwise
//! post tend's subscribe form from its visitors' browsers, each from its own
//! address, past the per-client limit. Browsers say where a post comes
//! from: `Origin`, or at least `Referer`. A post whose origin is not
//! `http.public_url`'s (another site, a sandboxed page's `null`, a header
//! that does not parse) gets 403. A post with neither header is not a
//! browser acting for a page (curl, an API client, which carry no cookies
//! and no visitor) and goes through. tend's own pages send both only to
//! tend itself (`Referrer-Policy: same-origin`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use url::Url;

use super::error::AppError;

/// The origin requests must come from: `scheme://host[:port]` of
/// `http.public_url`, default port left out, as browsers send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteOrigin(String);

impl SiteOrigin {
    pub fn of(public_url: &str) -> anyhow::Result<Self> {
        origin_of(public_url).map(Self).ok_or_else(|| anyhow::anyhow!("http.public_url: {public_url:?} has no origin"))
    }
}

/// Where a request says it comes from.
#[derive(Debug, PartialEq, Eq)]
enum Claimed {
    Nothing,
    From(String),
    /// `null`, or a header that does not name an origin.
    Opaque,
}

pub async fn refuse_cross_site(State(site): State<Arc<SiteOrigin>>, request: Request, next: Next) -> Response {
    match claimed_origin(request.headers()) {
        Claimed::Nothing => next.run(request).await,
        Claimed::From(origin) if origin == site.0 => next.run(request).await,
        Claimed::From(_) | Claimed::Opaque => AppError::CrossSite.into_response(),
    }
}

fn claimed_origin(headers: &HeaderMap) -> Claimed {
    let header_text = |name| headers.get(name).map(|v| v.to_str().ok().and_then(origin_of));
    match header_text(header::ORIGIN).or_else(|| header_text(header::REFERER)) {
        None => Claimed::Nothing,
        Some(Some(origin)) => Claimed::From(origin),
        Some(None) => Claimed::Opaque,
    }
}

/// `Some("https://tend.example.org")` for a URL with a host; `None` for
/// `null`, `data:`, `about:blank` or text that is not a URL.
fn origin_of(text: &str) -> Option<String> {
    let origin = Url::parse(text.trim()).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (name.clone(), value.parse().unwrap())).collect()
    }

    #[test]
    fn origins_are_compared_as_browsers_send_them() {
        let site = SiteOrigin::of("https://Tend.Example.org:443/").unwrap();
        assert_eq!(site.0, "https://tend.example.org");
        let from = |pairs| claimed_origin(&headers(pairs));
        assert_eq!(from(&[(header::ORIGIN, "https://tend.example.org")]), Claimed::From(site.0.clone()));
        assert_eq!(from(&[(header::REFERER, "https://tend.example.org/?x=1")]), Claimed::From(site.0.clone()));
        assert_eq!(from(&[]), Claimed::Nothing);
        assert_eq!(from(&[(header::ORIGIN, "null")]), Claimed::Opaque);
        assert_eq!(from(&[(header::REFERER, "about:blank")]), Claimed::Opaque);
        // Origin wins over Referer.
        let both = [(header::ORIGIN, "https://evil.example"), (header::REFERER, "https://tend.example.org/")];
        assert_eq!(from(&both), Claimed::From("https://evil.example".into()));
        assert_eq!(
            from(&[(header::ORIGIN, "http://tend.example.org")]),
            Claimed::From("http://tend.example.org".into())
        );
    }
}
