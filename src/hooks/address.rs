//! Which URLs an instance's webhook may have: http(s) with a host, and,
//! unless ALLOW_PRIVATE_WEBHOOK_URLS is set, none that reaches the
//! gateway's own network (the same rule as `mediaUrl`s, `wa::media`):
//! literal addresses are checked here, names when they are resolved, at
//! the API and again at every delivery.

use crate::wa::media::is_public;
use reqwest::Url;
use std::net::IpAddr;
use std::time::Duration;

/// How long the API waits for a webhook's host name to resolve.
const RESOLVE_WITHIN: Duration = Duration::from_secs(3);

/// Why a URL cannot be a webhook's, in words for the API's answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlProblem {
    #[error("url must be an http or https URL with a host")]
    NotHttp,
    #[error("url points at {0}, a private or local address; the gateway does not post there unless ALLOW_PRIVATE_WEBHOOK_URLS is set")]
    Private(IpAddr),
}

/// Parses `raw` and checks its scheme and, unless `allow_private`, a
/// literal address.
pub fn check(raw: &str, allow_private: bool) -> Result<Url, UrlProblem> {
    let url = Url::parse(raw.trim()).map_err(|_| UrlProblem::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::NotHttp);
    }
    match literal_ip(&url) {
        Some(ip) if !allow_private && !is_public(ip) => Err(UrlProblem::Private(ip)),
        _ => Ok(url),
    }
}

/// Resolves the URL's host name and refuses it when any of its addresses
/// is not public. A name that does not resolve (yet, or within
/// `RESOLVE_WITHIN`) passes: delivery checks it again when it connects.
pub async fn check_resolved(url: &Url) -> Result<(), UrlProblem> {
    let (Some(host), None) = (url.host_str(), literal_ip(url)) else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((host, port));
    let Ok(Ok(found)) = tokio::time::timeout(RESOLVE_WITHIN, lookup).await else {
        return Ok(());
    };
    for address in found {
        if !is_public(address.ip()) {
            return Err(UrlProblem::Private(address.ip()));
        }
    }
    Ok(())
}

fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_a_host_pass() {
        assert!(check("https://hooks.example.com/in?token=x", false).is_ok());
        assert_eq!(check("ftp://example.com/", false), Err(UrlProblem::NotHttp));
        assert_eq!(check("javascript:alert(1)", false), Err(UrlProblem::NotHttp));
        assert_eq!(check("not a url", false), Err(UrlProblem::NotHttp));
    }

    #[test]
    fn private_addresses_pass_only_when_allowed() {
        let refused = check("http://127.0.0.1:8080/hook", false).unwrap_err();
        assert!(matches!(refused, UrlProblem::Private(_)));
        assert!(check("http://[::1]/hook", false).is_err());
        assert!(check("http://169.254.169.254/latest", false).is_err());
        assert!(check("http://127.0.0.1:8080/hook", true).is_ok());
    }

    #[tokio::test]
    async fn a_name_of_a_local_address_is_refused_when_resolved() {
        let url = check("http://localhost:9/hook", false).unwrap();
        assert!(matches!(check_resolved(&url).await, Err(UrlProblem::Private(_))));
    }
}
