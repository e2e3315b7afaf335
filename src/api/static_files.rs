//! `/` for people: with UI_DIR, a folder of static files (the original
//! gateway's built UI, which its image served from the same address) is
//! served there, and paths it does not have get its `index.html` (the
//! single-page app routes them itself), as the original did. Only files
//! inside the folder are served: a path with `..`, a dot-file or dot-folder
//! segment (`.env`, `.git`), a backslash or a NUL is refused, and a symlink
//! that leads out of the folder is too. `/api`, `/panel` and `/media` are
//! never answered here. Without UI_DIR, `/` redirects to the panel.

use crate::api::panel::files::content_security_policy;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::{header, Response, StatusCode};
use warp::Filter;

/// Path starts that belong to the gateway, never to the static folder.
const RESERVED: [&str; 3] = ["api", "panel", "media"];

pub fn routes(dir: Option<PathBuf>, frame_ancestors: &str) -> BoxedFilter<(warp::reply::Response,)> {
    let reads = warp::get().or(warp::head()).unify();
    let Some(dir) = dir else {
        return reads.and(warp::path::end()).map(to_panel).boxed();
    };
    let folder = Arc::new(Folder {
        root: dir.canonicalize().unwrap_or(dir),
        policy: frame_policy(frame_ancestors),
    });
    reads
        .and(warp::path::full())
        .and_then(move |path: warp::path::FullPath| {
            let folder = folder.clone();
            async move {
                folder
                    .answer(path.as_str())
                    .await
                    .ok_or_else(warp::reject::not_found)
            }
        })
        .boxed()
}

struct Folder {
    root: PathBuf,
    policy: String,
}

impl Folder {
    /// The file the path names, else index.html; None for a path that is
    /// refused or reserved (answered as unknown elsewhere).
    async fn answer(&self, path: &str) -> Option<warp::reply::Response> {
        let relative = safe_relative(path)?;
        let wanted = self.root.join(&relative);
        let found = match self.inside(&wanted).await {
            Some(dir) if dir.is_dir() => self.inside(&dir.join("index.html")).await,
            other => other,
        };
        let file = match found {
            Some(file) => file,
            None => self.inside(&self.root.join("index.html")).await?,
        };
        let body = tokio::fs::read(&file).await.ok()?;
        Some(self.reply(body, content_type(&file)))
    }

    /// The path, resolved, if it exists and stays inside the folder.
    async fn inside(&self, candidate: &Path) -> Option<PathBuf> {
        let resolved = tokio::fs::canonicalize(candidate).await.ok()?;
        resolved.starts_with(&self.root).then_some(resolved)
    }

    fn reply(&self, body: Vec<u8>, content_type: &str) -> warp::reply::Response {
        Response::builder()
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_SECURITY_POLICY, &self.policy)
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(body.into())
            .unwrap_or_else(|_| {
                let mut response = warp::reply::Response::default();
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response
            })
    }
}

/// Only who may frame the page: the UI is someone else's build, whose
/// scripts and styles a stricter policy could break.
fn frame_policy(frame_ancestors: &str) -> String {
    let panel = content_security_policy(frame_ancestors);
    let framing = panel.split("; ").find(|d| d.starts_with("frame-ancestors"));
    framing.unwrap_or("frame-ancestors 'self'").to_owned()
}

/// The URL path as a relative file path, decoded segment by segment; None
/// when a segment is `..`, starts with a dot, or holds `/`, `\` or NUL once
/// decoded, or when the path is one of the gateway's own.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let mut relative = PathBuf::new();
    for (i, raw) in path.split('/').filter(|s| !s.is_empty()).enumerate() {
        let segment = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
        if i == 0 && RESERVED.contains(&segment.as_ref()) {
            return None;
        }
        let bad = segment.starts_with('.') || segment.contains(['/', '\\', '\0']);
        if bad {
            return None;
        }
        relative.push(segment.as_ref());
    }
    Some(relative)
}

fn content_type(file: &Path) -> &'static str {
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or_default();
    match extension.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `/` without UI_DIR: the panel.
fn to_panel() -> warp::reply::Response {
    let mut response = warp::reply::Response::default();
    *response.status_mut() = StatusCode::FOUND;
    response
        .headers_mut()
        .insert(header::LOCATION, header::HeaderValue::from_static("/panel/"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_dot_files_and_the_gateways_paths_are_refused() {
        for path in [
            "/../etc/passwd",
            "/assets/%2e%2e/secret",
            "/.env",
            "/.git/config",
            "/assets/.hidden.js",
            "/a%2fb",
            "/a%5cb",
            "/a%00b",
            "/api/wa/instances",
            "/panel/x",
            "/media/x",
            "/%ff",
        ] {
            assert_eq!(safe_relative(path), None, "{path}");
        }
    }

    #[test]
    fn ordinary_paths_become_relative_file_paths() {
        assert_eq!(safe_relative("/"), Some(PathBuf::new()));
        assert_eq!(
            safe_relative("/assets/index-1.js"),
            Some(PathBuf::from("assets/index-1.js"))
        );
        assert_eq!(safe_relative("/a%20b.png"), Some(PathBuf::from("a b.png")));
        assert_eq!(safe_relative("/apidocs"), Some(PathBuf::from("apidocs")));
    }
}
