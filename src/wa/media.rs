//! Fetching the media that API clients point to by URL for outgoing messages,
//! without letting those URLs reach into the gateway's own network. Only
//! http(s) URLs are fetched; unless private addresses are allowed, every
//! address the HTTP client may connect to is checked as DNS returns it (so a
//! DNS answer that changes between check and connect cannot slip through),
//! literal IPs are checked before the request, redirects are followed by hand
//! and re-checked hop by hop, and the size cap holds both against the
//! announced length and while the body streams in. Errors show a URL's
//! host and path only (see `shown`).

mod address;
mod shown;
#[cfg(test)]
mod tests;
pub mod voice;

use super::SendError;
use bytes::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{header, redirect, Url};
use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Redirect hops followed before giving up.
const MAX_REDIRECTS: usize = 3;

/// Limits for fetching media.
#[derive(Debug, Clone, Copy)]
pub struct MediaPolicy {
    /// Largest body accepted, in bytes.
    pub max_bytes: u64,
    /// Time allowed for the whole fetch, redirects and body included.
    pub timeout: Duration,
    /// Allow loopback, private and other non-public addresses (for tests and
    /// closed networks that serve media internally).
    pub allow_private: bool,
}

/// A downloaded media file.
#[derive(Debug, Clone)]
pub struct FetchedMedia {
    pub bytes: Bytes,
    /// The server's `Content-Type`, when it sent one.
    pub mime_type: Option<String>,
}

/// Why a media URL could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Holds the URL cut before its query, without user info.
    #[error("media URL {0:?} is not a valid http or https URL")]
    BadUrl(String),
    #[error(
        "media host {host} is at {addr}, a private or local address, which the gateway will not fetch from"
    )]
    RefusedAddress { host: String, addr: IpAddr },
    #[error("media is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("media server answered HTTP {0}")]
    Status(u16),
    #[error("media server redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects,
    #[error("media server sent a redirect without a usable http(s) location")]
    BadRedirect,
    #[error("fetching the media took longer than {0:?}")]
    Timeout(Duration),
    #[error("could not download the media: {0}")]
    Connection(String),
}

impl MediaError {
    /// Whether retrying the same URL later is pointless. Timeouts, server
    /// errors (5xx, 408, 429) and connection failures may pass; the rest won't.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::BadUrl(_)
            | Self::RefusedAddress { .. }
            | Self::TooLarge { .. }
            | Self::TooManyRedirects
            | Self::BadRedirect => true,
            Self::Status(code) => (400..500).contains(code) && *code != 408 && *code != 429,
            Self::Timeout(_) | Self::Connection(_) => false,
        }
    }

    /// The send failure this fetch failure makes: final or worth a retry.
    pub fn into_send_error(self) -> SendError {
        if self.is_permanent() {
            SendError::Permanent(format!("media refused: {self}"))
        } else {
            SendError::Transient(format!("media download failed: {self}"))
        }
    }
}

/// Fetches media under a [`MediaPolicy`]. Cheap to clone: clones share one
/// HTTP client and its connection pool.
#[derive(Debug, Clone)]
pub struct MediaFetcher {
    policy: MediaPolicy,
    client: reqwest::Client,
}

impl MediaFetcher {
    pub fn new(policy: MediaPolicy) -> Self {
        let resolver = CheckedResolver {
            allow_private: policy.allow_private,
        };
        let client = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            // A proxy would resolve the host itself, past the address check.
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .connect_timeout(policy.timeout)
            .build()
            .expect("the TLS backend of the media HTTP client failed to initialise");
        Self { policy, client }
    }

    /// The size cap of this fetcher's policy.
    pub fn max_bytes(&self) -> u64 {
        self.policy.max_bytes
    }

    /// Downloads `url` within the policy's limits.
    pub async fn fetch(&self, url: &str) -> Result<FetchedMedia, MediaError> {
        let parsed = parse_http_url(url).ok_or_else(|| MediaError::BadUrl(shown::shown_raw(url)))?;
        let limit = self.policy.timeout;
        tokio::time::timeout(limit, self.fetch_following(parsed))
            .await
            .map_err(|_| MediaError::Timeout(limit))?
    }

    async fn fetch_following(&self, mut url: Url) -> Result<FetchedMedia, MediaError> {
        for _ in 0..=MAX_REDIRECTS {
            self.check_literal_host(&url)?;
            let response = self
                .client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| self.request_error(e))?;
            let status = response.status();
            if status.is_redirection() {
                url = next_hop(&url, &response).ok_or(MediaError::BadRedirect)?;
                tracing::debug!(
                    host = url.host_str().unwrap_or(""),
                    "media fetch follows a redirect"
                );
                continue;
            }
            if !status.is_success() {
                return Err(MediaError::Status(status.as_u16()));
            }
            return self.read_body(response).await;
        }
        Err(MediaError::TooManyRedirects)
    }

    /// IP literals never reach the resolver, so they are checked here.
    fn check_literal_host(&self, url: &Url) -> Result<(), MediaError> {
        let host = url.host_str().unwrap_or_default();
        let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        else {
            return Ok(());
        };
        if self.policy.allow_private || address::is_public(ip) {
            return Ok(());
        }
        Err(MediaError::RefusedAddress {
            host: ip.to_string(),
            addr: ip,
        })
    }

    async fn read_body(&self, mut response: reqwest::Response) -> Result<FetchedMedia, MediaError> {
        let limit = self.policy.max_bytes;
        let announced = response.content_length();
        if announced.is_some_and(|len| len > limit) {
            return Err(MediaError::TooLarge { limit });
        }
        let mime_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned);
        let initial = announced.unwrap_or(0).min(limit).min(1 << 20);
        let mut body = BytesMut::with_capacity(initial as usize);
        while let Some(chunk) = response.chunk().await.map_err(|e| self.request_error(e))? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(MediaError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchedMedia {
            bytes: body.freeze(),
            mime_type,
        })
    }

    fn request_error(&self, mut err: reqwest::Error) -> MediaError {
        if let Some(refused) = find_cause::<RefusedHost>(&err) {
            return MediaError::RefusedAddress {
                host: refused.host.clone(),
                addr: refused.addr,
            };
        }
        if err.is_timeout() {
            return MediaError::Timeout(self.policy.timeout);
        }
        shown::redact_error_url(&mut err);
        MediaError::Connection(describe_chain(&err))
    }
}

fn parse_http_url(raw: &str) -> Option<Url> {
    let url = Url::parse(raw.trim()).ok()?;
    let http = matches!(url.scheme(), "http" | "https");
    (http && url.host().is_some()).then_some(url)
}

fn next_hop(current: &Url, response: &reqwest::Response) -> Option<Url> {
    let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
    let next = current.join(location).ok()?;
    parse_http_url(next.as_str())
}

fn find_cause<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<T>() {
            return Some(found);
        }
        current = cause.source();
    }
    None
}

/// The error and its causes, as one line ("a: b: c"), skipping repeats.
fn describe_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(cause) = current {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = cause.source();
    }
    parts.join(": ")
}

pub(crate) use address::is_public;

/// DNS resolution that refuses any answer holding a non-public address,
/// for the other clients whose URLs API callers choose (instances' webhooks).
pub(crate) fn public_only_resolver() -> Arc<impl Resolve> {
    Arc::new(CheckedResolver { allow_private: false })
}

/// A host name that resolved to an address the policy refuses.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {addr}, a private or local address")]
struct RefusedHost {
    host: String,
    addr: IpAddr,
}

/// DNS resolution for the media client: resolves with the system resolver
/// and refuses the whole answer when any address in it is not public, so the
/// client can only ever connect to checked addresses.
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private {
                if let Some(bad) = found.iter().find(|a| !address::is_public(a.ip())) {
                    tracing::warn!(%host, addr = %bad.ip(), "refused a host with a non-public address");
                    return Err(
                        Box::new(RefusedHost { host, addr: bad.ip() }) as Box<dyn StdError + Send + Sync>
                    );
                }
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}
