//! Route templates for the HTTP metrics: a raw path becomes the pattern it
//! matched (`/api/messages/{id}`), so ids never become label values and the
//! number of series stays bounded.

/// Every route of the gateway; the first pattern that fits wins, so
/// literal routes come before the ones with a placeholder at that place.
const TEMPLATES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/health",
    "/api/openapi.json",
    "/api/instances",
    "/api/instances/{id}",
    "/api/wa/instances",
    "/api/wa/qr/{id}",
    "/api/wa/qr-check/{id}",
    "/api/wa/pair-code/{id}",
    "/api/wa/reconnect/{id}",
    "/api/wa/clear/{id}",
    "/api/wa/status/{id}",
    "/api/wa/logout/{id}",
    "/api/wa/delete/{id}",
    "/api/send",
    "/api/send/stats",
    "/api/messages/history",
    "/api/messages/{id}",
    "/api/ghl/outbound",
    "/api/ghl/inbound-test",
    "/api/ghl/provider/outbound",
    "/api/forwards",
    "/api/forwards/{id}/retry",
    "/api/sim/{id}/sent",
    "/api/sim/{id}/{action}",
    "/media/{name}",
];

/// The template `path` matches, or `other` for anything unknown.
pub fn template(path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    TEMPLATES
        .iter()
        .find(|t| fits(t, &segments))
        .copied()
        .unwrap_or("other")
}

fn fits(template: &str, segments: &[&str]) -> bool {
    let parts: Vec<&str> = template.split('/').skip(1).collect();
    parts.len() == segments.len()
        && parts
            .iter()
            .zip(segments)
            .all(|(p, s)| if p.starts_with('{') { !s.is_empty() } else { p == s })
}

#[cfg(test)]
mod tests {
    use super::template;

    #[test]
    fn ids_become_placeholders_and_literals_win() {
        assert_eq!(template("/api/messages/3EB0ABC"), "/api/messages/{id}");
        assert_eq!(template("/api/messages/history"), "/api/messages/history");
        assert_eq!(template("/api/sim/wa-01/scan"), "/api/sim/{id}/{action}");
        assert_eq!(template("/api/sim/wa-01/sent"), "/api/sim/{id}/sent");
        assert_eq!(template("/api/instances/"), "/api/instances");
        assert_eq!(template("/healthz"), "/healthz");
    }

    #[test]
    fn unknown_paths_share_one_label() {
        assert_eq!(template("/wp-admin/setup.php"), "other");
        assert_eq!(template("/api/messages/a/b"), "other");
        assert_eq!(template("/"), "other");
    }
}
