//! Labels for the HTTP metrics, each from a fixed set so that no request
//! can add a series: a raw path becomes the template of the route it
//! matched (`/api/messages/{id}`), so ids never become label values, and a
//! method outside the standard ones, like a path outside the routes, is
//! counted as `other`.

use crate::api::route_table::ROUTES;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The label of every path no route has, and of every non-standard method.
pub const UNKNOWN: &str = "other";

/// The methods HTTP defines (RFC 9110 and PATCH); any other name a client
/// makes up is counted as `other`.
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The templates without placeholders, keyed without a trailing slash:
/// most requests (sends, health checks, scrapes) are found here in one
/// lookup.
static LITERAL: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    ROUTES
        .iter()
        .filter(|r| !r.path.contains('{'))
        .map(|r| (r.path.trim_end_matches('/'), r.path))
        .collect()
});

/// The method's label: its name when standard, else `other`.
pub fn method(name: &str) -> &'static str {
    STANDARD_METHODS
        .into_iter()
        .find(|standard| *standard == name)
        .unwrap_or(UNKNOWN)
}

/// The template `path` matches, or `other` for anything unknown. Where
/// several fit, the one with the most literal segments wins
/// (`/api/messages/history` over `/api/messages/{id}`), so a path that is a
/// template without placeholders is its own.
pub fn template(path: &str) -> &'static str {
    let path = path.trim_end_matches('/');
    if let Some(template) = LITERAL.get(path) {
        return template;
    }
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    ROUTES
        .iter()
        .filter_map(|r| literals_if_fits(r.path, &segments).map(|n| (n, r.path)))
        .max_by_key(|(literals, _)| *literals)
        .map(|(_, template)| template)
        .unwrap_or(UNKNOWN)
}

/// How many literal segments `template` has, if `segments` fit it.
fn literals_if_fits(template: &str, segments: &[&str]) -> Option<usize> {
    let mut parts = template.split('/').skip(1);
    let mut literals = 0;
    for segment in segments {
        let part = parts.next()?;
        if !part.starts_with('{') {
            if part != *segment {
                return None;
            }
            literals += 1;
        } else if segment.is_empty() {
            return None;
        }
    }
    parts.next().is_none().then_some(literals)
}

#[cfg(test)]
mod tests {
    use super::{method, template};

    #[test]
    fn ids_become_placeholders_and_literals_win() {
        assert_eq!(template("/api/messages/3EB0ABC"), "/api/messages/{id}");
        assert_eq!(template("/api/messages/history"), "/api/messages/history");
        assert_eq!(template("/api/sim/wa-01/scan"), "/api/sim/{id}/scan");
        assert_eq!(template("/api/sim/wa-01/sent"), "/api/sim/{id}/sent");
        assert_eq!(template("/api/instances/"), "/api/instances");
        assert_eq!(template("/healthz"), "/healthz");
        assert_eq!(template("/panel/"), "/panel/");
    }

    #[test]
    fn unknown_paths_share_one_label() {
        assert_eq!(template("/wp-admin/setup.php"), "other");
        assert_eq!(template("/api/messages/a/b"), "other");
        assert_eq!(template("/api/sim/wa-01/explode"), "other");
        assert_eq!(template("/index.html/x"), "other");
        assert_eq!(
            template("/"),
            "/",
            "the root is a route (UI_DIR, or the way to the panel)"
        );
    }

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method("GET"), "GET");
        assert_eq!(method("PATCH"), "PATCH");
        assert_eq!(method("XYZZY"), "other");
        assert_eq!(method("get"), "other");
        assert_eq!(method(&"M".repeat(8192)), "other");
    }
}
