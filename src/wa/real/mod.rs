//! The real WhatsApp backend, on whatsapp-rust: one client per instance,
//! with its auth state in `SESSION_DIR/instances/<instance>/whatsapp.db`
//! (folder 0700, files 0600). It owns
//! opening and forgetting that store; `session` runs the client, `mapping`
//! translates its events, `outgoing` builds what it sends and `numbers`
//! finds who to send it to.

mod acks;
mod groups;
mod mapping;
mod numbers;
mod outgoing;
mod pump;
mod rich;
mod session;
#[cfg(test)]
mod tests;
mod version;

use crate::domain::InstanceId;
use crate::wa::media::voice::{VoiceLimits, VoiceMaker};
use crate::wa::media::MediaFetcher;
use crate::wa::{WaBackend, WaError, WaEvent, WaSession};
use async_trait::async_trait;
use session::RealSession;
use std::path::PathBuf;
use tokio::sync::mpsc;
pub use version::WaVersion;
use whatsapp_rust::bot::Bot;
use whatsapp_rust::store::SqliteStore;
use whatsapp_rust::transport::TokioWebSocketTransportFactory;

/// The store file in an instance's folder; SQLite adds `-wal`, `-shm` and
/// `-journal` files next to it.
const STORE_FILE: &str = "whatsapp.db";

/// Opens whatsapp-rust sessions, one store per instance under `instances_dir`.
pub struct RealBackend {
    instances_dir: PathBuf,
    media: MediaFetcher,
    voice: VoiceMaker,
    ws_url: Option<String>,
    version: Option<WaVersion>,
}

impl RealBackend {
    /// `media` fetches the media URLs of outgoing messages, and its size
    /// limit also caps inbound media downloads; voice notes are made within
    /// `voice`.
    pub fn new(instances_dir: PathBuf, media: MediaFetcher, voice: VoiceLimits) -> Self {
        Self {
            instances_dir,
            voice: VoiceMaker::new(media.clone(), voice),
            media,
            ws_url: None,
            version: None,
        }
    }

    /// Connects clients to this WebSocket URL instead of WhatsApp's own
    /// (`wss://web.whatsapp.com/ws/chat`): a relay that forwards to WhatsApp,
    /// or an address that refuses connections in tests.
    pub fn with_ws_url(mut self, url: impl Into<String>) -> Self {
        self.ws_url = Some(url.into());
        self
    }

    /// Announces this WhatsApp Web version instead of fetching the current
    /// one from web.whatsapp.com before connecting.
    pub fn with_version(mut self, version: Option<WaVersion>) -> Self {
        self.version = version;
        self
    }

    fn instance_dir(&self, instance: &InstanceId) -> PathBuf {
        self.instances_dir.join(instance.as_str())
    }

    /// A client on the instance's store, not yet started.
    async fn build_bot(&self, instance: &InstanceId) -> Result<Bot, WaError> {
        let dir = self.instance_dir(instance);
        let file = dir.join(STORE_FILE);
        private_store_file(&file)
            .await
            .map_err(|e| WaError::Store(format!("cannot create {}: {e}", file.display())))?;
        let path = file
            .to_str()
            .ok_or_else(|| WaError::Store(format!("{} is not a UTF-8 path", file.display())))?;
        let store = SqliteStore::new(path)
            .await
            .map_err(|e| WaError::Store(format!("{path}: {e}")))?;
        let mut builder = Bot::builder().with_backend(store).skip_history_sync();
        if let Some(url) = &self.ws_url {
            builder =
                builder.with_transport_factory(TokioWebSocketTransportFactory::new().with_url(url.clone()));
            #[cfg(feature = "wa-loopback")]
            if let Some(http) = wa_loopback::LoopbackMediaHttp::for_ws_url(url) {
                builder = builder.with_http_client(http);
            }
        }
        if let Some(version) = self.version {
            builder = builder.with_version(version.triple());
        }
        builder.build().await.map_err(|e| WaError::Start(e.to_string()))
    }
}

/// WA_WS_URL: a plain `ws://` URL (the loopback server) or `wss://`.
#[cfg(feature = "wa-loopback")]
pub fn parse_ws_url(text: &str) -> Result<String, String> {
    if text.starts_with("ws://") || text.starts_with("wss://") {
        Ok(text.to_owned())
    } else {
        Err(format!("{text:?} is not a ws:// or wss:// URL"))
    }
}

/// Creates the instance's folder and an empty store file, both private,
/// before SQLite opens it: SQLite gives its `-wal` and `-shm` files the
/// store file's mode.
async fn private_store_file(file: &std::path::Path) -> std::io::Result<()> {
    let file = file.to_path_buf();
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = file.parent() {
            crate::session_dir::private_files::create_dir_all(dir)?;
        }
        crate::session_dir::private_files::create_if_missing(&file)
    })
    .await
    .map_err(std::io::Error::other)?
}

#[async_trait]
impl WaBackend for RealBackend {
    async fn open(
        &self,
        instance: &InstanceId,
        events: mpsc::Sender<WaEvent>,
    ) -> Result<Box<dyn WaSession>, WaError> {
        let bot = self.build_bot(instance).await?;
        tracing::info!(%instance, "starting WhatsApp client");
        Ok(Box::new(RealSession::start(
            bot,
            events,
            self.media.clone(),
            self.voice.clone(),
        )))
    }

    /// Deletes only the store files; other files in the folder stay.
    async fn forget(&self, instance: &InstanceId) -> Result<(), WaError> {
        let dir = self.instance_dir(instance);
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(WaError::Store(format!("cannot read {}: {e}", dir.display()))),
        };
        let failed = |e: std::io::Error| WaError::Store(format!("cannot clear {}: {e}", dir.display()));
        while let Some(entry) = entries.next_entry().await.map_err(failed)? {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name == STORE_FILE || name.starts_with(&format!("{STORE_FILE}-")) {
                tokio::fs::remove_file(entry.path()).await.map_err(failed)?;
            }
        }
        tracing::info!(%instance, "WhatsApp auth state deleted");
        Ok(())
    }
}
