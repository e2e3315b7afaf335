//! An HTTP client for whatsapp-rust that reaches this server's plain HTTP
//! media host: whatsapp-rust writes every upload and download URL as
//! `https://{host}` (`upload.rs` `build_upload_request`, wacore
//! `download.rs`), so requests to the WebSocket's own `host:port` go out as
//! `http://`. Requests to any other host are untouched. The gateway's
//! client uses it (with its `wa-loopback` feature and a plain `ws://`
//! WA_WS_URL), and so do the simulated contacts.

use async_trait::async_trait;
use whatsapp_rust::http::{HttpClient, HttpRequest, HttpResponse, UreqHttpClient};

/// The client; see the module's note.
pub struct LoopbackMediaHttp {
    /// `https://127.0.0.1:<port>/`, the prefix sent as `http://` instead.
    secure_prefix: String,
    plain_prefix: String,
    inner: UreqHttpClient,
}

impl LoopbackMediaHttp {
    /// For a `ws://host:port/..` URL; `None` for `wss://` (real WhatsApp or
    /// a relay, whose media hosts are HTTPS).
    pub fn for_ws_url(ws_url: &str) -> Option<Self> {
        let host = ws_url.strip_prefix("ws://")?.split('/').next()?;
        Some(Self {
            secure_prefix: format!("https://{host}/"),
            plain_prefix: format!("http://{host}/"),
            inner: UreqHttpClient::new(),
        })
    }

    fn rewrite(&self, url: &str) -> Option<String> {
        let rest = url.strip_prefix(&self.secure_prefix)?;
        Some(format!("{}{rest}", self.plain_prefix))
    }
}

#[async_trait]
impl HttpClient for LoopbackMediaHttp {
    async fn execute(&self, mut request: HttpRequest) -> whatsapp_rust::anyhow::Result<HttpResponse> {
        if let Some(url) = self.rewrite(&request.url) {
            request.url = url;
        }
        self.inner.execute(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::LoopbackMediaHttp;

    #[test]
    fn only_the_loopback_host_goes_plain() {
        let http = LoopbackMediaHttp::for_ws_url("ws://127.0.0.1:4100/ws/chat").unwrap();
        assert_eq!(
            http.rewrite("https://127.0.0.1:4100/mms/audio/abc?auth=x")
                .as_deref(),
            Some("http://127.0.0.1:4100/mms/audio/abc?auth=x")
        );
        assert_eq!(http.rewrite("https://mmg.whatsapp.net/mms/audio/abc"), None);
        assert_eq!(http.rewrite("https://127.0.0.1:4101/mms/audio/abc"), None);
        assert!(LoopbackMediaHttp::for_ws_url("wss://web.whatsapp.com/ws/chat").is_none());
    }
}
