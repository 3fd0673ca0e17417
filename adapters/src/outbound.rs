//! Requests to destinations that untrusted input chose (webhooks, postings' pages), held to the
//! outbound policy ([`jobin_core::domain::outbound`]): the client's own resolver refuses a name if
//! **any** of its addresses is not allowed and otherwise hands the client exactly the addresses it
//! checked (no second lookup); no proxy from the environment (it would connect on our behalf to a
//! name we did not check); no redirect followed by the client.

use async_trait::async_trait;
use jobin_core::domain::outbound::{OutboundPolicy, Refusal};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The error of an attempt the outbound policy refused. It says nothing of what, if anything,
/// listens at the destination.
pub const NOT_ALLOWED: &str = "destination_not_allowed";

/// Looks a name up: the system's resolver in service, a stub in tests (so that a test of a name
/// resolving to an internal address never sends a packet).
#[async_trait]
pub trait NameLookup: Send + Sync {
    async fn lookup(&self, name: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// The system's resolver (getaddrinfo through Tokio).
pub struct SystemLookup;

#[async_trait]
impl NameLookup for SystemLookup {
    async fn lookup(&self, name: &str) -> std::io::Result<Vec<IpAddr>> {
        Ok(tokio::net::lookup_host((name, 0)).await?.map(|a| a.ip()).collect())
    }
}

/// A name the policy refused at resolution (found again in the client's error chain).
#[derive(Debug)]
pub(crate) struct NotAllowed(Refusal);

impl std::fmt::Display for NotAllowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{NOT_ALLOWED}: {}", self.0.rule())
    }
}

impl std::error::Error for NotAllowed {}

/// The client's resolver: every address checked, only checked addresses handed on.
pub(crate) struct CheckedResolver {
    pub(crate) lookup: Arc<dyn NameLookup>,
    pub(crate) policy: OutboundPolicy,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (lookup, policy, name) = (self.lookup.clone(), self.policy, name.as_str().to_owned());
        Box::pin(async move {
            let addresses = lookup.lookup(&name).await?;
            if addresses.is_empty() {
                return Err(format!("{name} resolves to no address").into());
            }
            for ip in &addresses {
                policy.address(*ip).map_err(|r| Box::new(NotAllowed(r)) as Box<dyn std::error::Error + Send + Sync>)?;
            }
            let addrs: reqwest::dns::Addrs = Box::new(addresses.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// A client builder bounded by `timeout`, resolving through `lookup` checked by `policy`, with no
/// proxy and no redirect followed.
pub(crate) fn policed_client(
    timeout: Duration,
    policy: OutboundPolicy,
    lookup: Arc<dyn NameLookup>,
) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver { lookup, policy }))
}

/// Whether the policy refused the request somewhere in the client's error chain.
pub(crate) fn refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.downcast_ref::<NotAllowed>().is_some() || err.to_string().starts_with(NOT_ALLOWED) {
            return true;
        }
        source = err.source();
    }
    false
}
