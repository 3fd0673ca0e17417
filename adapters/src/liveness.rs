//! `LivenessProbe` over HTTP: a GET of the posting's own page, held to the outbound policy (a
//! posting's URL is a board's data, so it is untrusted: checked whole, its name resolved by the
//! policed resolver, each redirect checked again), bounded in time and size.
//!
//! - 404 or 410: gone.
//! - A redirect that stays on the site but drops what names the posting (its id or slug, the last
//!   path segment with a figure in it, else the last segment) from the whole target URL: the board
//!   sends a closed posting's visitors to a search or listing page — gone. Other redirects are followed (at most
//!   [`MAX_REDIRECTS`]), so an aggregator's link on to the employer's page is judged there.
//! - 200 whose text says the job is closed ("no longer available", "position has been filled", …):
//!   gone; any other 200: alive.
//! - Anything else (429, 5xx, another status, a timeout, a refused destination): unknown.

use async_trait::async_trait;
use jobin_core::domain::outbound::OutboundPolicy;
use jobin_core::ports::{Liveness, LivenessProbe};
use std::sync::Arc;
use std::time::Duration;

use crate::outbound::{NameLookup, SystemLookup, policed_client};

/// Redirects followed, at most.
pub const MAX_REDIRECTS: usize = 3;
/// The most of a page read for the closed-job phrases.
pub const MAX_BODY: usize = 512 * 1024;
/// One check's time bound, connection included.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Phrases a board's or employer's page shows for a closed job (lower case).
const CLOSED: &[&str] = &[
    "no longer available",
    "no longer accepting applications",
    "no longer open",
    "this job has expired",
    "this job has been filled",
    "position has been filled",
    "this position is closed",
    "this job is closed",
    "job is no longer active",
    "vacancy has expired",
    "vacancy has now closed",
    "vacancy is closed",
    "applications have closed",
    "applications are closed",
    "nicht mehr verfügbar",
    "stelle ist bereits besetzt",
    "nicht mehr aktiv",
];

pub struct HttpLiveness {
    client: reqwest::Client,
    policy: OutboundPolicy,
}

impl HttpLiveness {
    pub fn new(timeout: Duration, policy: OutboundPolicy) -> anyhow::Result<Self> {
        Self::with_lookup(timeout, policy, Arc::new(SystemLookup))
    }

    /// With `lookup` in place of the system's resolver (tests).
    pub fn with_lookup(timeout: Duration, policy: OutboundPolicy, lookup: Arc<dyn NameLookup>) -> anyhow::Result<Self> {
        let client = policed_client(timeout, policy, lookup)
            .user_agent(concat!("JobIn-Liveness/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, policy })
    }

    async fn judge(&self, first: &str) -> Liveness {
        let Ok(original) = url::Url::parse(first.trim()) else { return Liveness::Unknown };
        let token = posting_token(&original);
        let mut at = original.clone();
        for _ in 0..=MAX_REDIRECTS {
            if let Err(refusal) = self.policy.url(at.as_str()) {
                tracing::debug!(rule = refusal.rule(), "posting page refused by the outbound policy");
                return Liveness::Unknown;
            }
            let resp = match self.client.get(at.clone()).send().await {
                Ok(resp) => resp,
                Err(_) => return Liveness::Unknown,
            };
            let status = resp.status().as_u16();
            match status {
                404 | 410 => return Liveness::Gone,
                300..=399 => {
                    let Some(next) = resp
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|l| l.to_str().ok())
                        .and_then(|l| at.join(l).ok())
                    else {
                        return Liveness::Unknown;
                    };
                    // The posting's id anywhere in the target (a login page's `?next=/jobs/123`
                    // keeps it) means the page may still be there: followed.
                    if same_site(&original, &next) && !token.as_ref().is_none_or(|t| next.as_str().contains(t.as_str()))
                    {
                        return Liveness::Gone;
                    }
                    at = next;
                }
                200 => return if says_closed(resp).await { Liveness::Gone } else { Liveness::Alive },
                _ => return Liveness::Unknown,
            }
        }
        Liveness::Unknown
    }
}

/// What names the posting in its URL: the last path segment with a figure in it (an id), else
/// the last segment (a slug); `None` for a URL without a path.
fn posting_token(url: &url::Url) -> Option<String> {
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    segments.iter().rev().find(|s| s.chars().any(|c| c.is_ascii_digit())).or(segments.last()).map(|s| (*s).to_owned())
}

/// The same site: the same host, a leading `www.` aside.
fn same_site(a: &url::Url, b: &url::Url) -> bool {
    let host = |u: &url::Url| u.host_str().map(|h| h.trim_start_matches("www.").to_ascii_lowercase());
    host(a).is_some() && host(a) == host(b)
}

/// Whether the page's first [`MAX_BODY`] bytes say the job is closed.
async fn says_closed(mut resp: reqwest::Response) -> bool {
    let mut body = Vec::new();
    while body.len() < MAX_BODY {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let lower = String::from_utf8_lossy(&body[..body.len().min(MAX_BODY)]).to_lowercase();
    let text = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    CLOSED.iter().any(|phrase| text.contains(phrase))
}

#[async_trait]
impl LivenessProbe for HttpLiveness {
    async fn check(&self, url: &str) -> Liveness {
        self.judge(url).await
    }
}
