//! SESSION_DIR: instances' folders live apart from what the gateway keeps
//! at the top, so no instance id reaches a file through `/media/...`; an
//! old layout (instance folders at the top) is moved at start with every
//! session kept; folders are 0700 and files 0600 under a loose umask, and
//! a start tightens what was left readable.

use crate::common::{eventually, TestEnv, KEY};
use crate::support::api::Api;
use crate::support::process::{GatewayProcess, Launch};
use reqwest::StatusCode;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

crate::both_backends!(
    instance_ids_named_like_gateway_files_expose_nothing,
    an_old_layout_is_moved_and_its_sessions_stay_linked,
    session_files_are_private_under_a_loose_umask,
);

/// Ids equal to what the gateway keeps at the top of SESSION_DIR.
const GATEWAY_NAMES: [&str; 4] = ["media", "instances", "api-key", "wagate"];

/// Every file under `dir` (not following links).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            found.push(path);
        }
    }
    found
}

async fn instance_ids_named_like_gateway_files_expose_nothing(env: TestEnv) {
    let gw = env.start(&[]).await;
    for (n, id) in GATEWAY_NAMES.iter().enumerate() {
        gw.linked_instance(id, &format!("+1555000000{n}")).await;
    }
    let root = env.dir.path();
    let files = files_under(root);
    assert!(
        files.iter().any(|f| f.ends_with("media/sim-link.json")),
        "the instance media has its files: {files:?}"
    );
    for file in files {
        let relative = file.strip_prefix(root).unwrap().display().to_string();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for path in [format!("/media/{relative}"), format!("/media/{name}")] {
            let response = gw.http.get(gw.url(&path)).send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "GET {path} without the key"
            );
        }
    }
    gw.stop().await;
}

async fn an_old_layout_is_moved_and_its_sessions_stay_linked(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.linked_instance("media", "+15550000002").await;
    gw.stop().await;
    let root = env.dir.path();
    let instances = root.join("instances");
    std::fs::rename(instances.join("wa-01"), root.join("wa-01")).unwrap();
    for file in files_under(&instances.join("media")) {
        std::fs::rename(&file, root.join("media").join(file.file_name().unwrap())).unwrap();
    }
    std::fs::remove_dir_all(&instances).unwrap();

    let gw = env.start(&[]).await;
    gw.wait_status("wa-01", "ONLINE").await;
    gw.wait_status("media", "ONLINE").await;
    assert!(!root.join("wa-01").exists(), "the old folder was moved");
    assert!(instances.join("wa-01").join("sim-link.json").is_file());
    assert!(instances.join("media").join("sim-link.json").is_file());
    let link = gw.http.get(gw.url("/media/sim-link.json")).send().await.unwrap();
    assert_eq!(link.status(), StatusCode::NOT_FOUND);
    gw.send_text("wa-01", "+5511999999999", "after the move").await;
    eventually("the moved instance sends", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    gw.stop().await;
}

async fn session_files_are_private_under_a_loose_umask(env: TestEnv) {
    let gateway = Loose::start(&env).await;
    gateway.link("wa-01").await;
    gateway.stop();
    let root = env.dir.path();
    if env.prefix().is_empty() {
        for name in ["wagate.db", "wagate.db-wal", "wagate.db-shm"] {
            assert!(root.join(name).is_file(), "{name} is left by kill -9");
        }
    }
    assert_private(root);

    let folders = [root.to_path_buf(), root.join("instances"), root.join("media")];
    for path in files_under(root).into_iter().chain(folders) {
        let loose = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).unwrap();
    }
    let gateway = Loose::start(&env).await;
    gateway.stop();
    assert_private(root);
}

/// Every folder under `root` is 0700 and every file 0600.
fn assert_private(root: &Path) {
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for made in ["api-key", "instances/wa-01/sim-link.json"] {
        assert!(root.join(made).is_file(), "{made} is there");
    }
    for file in files_under(root) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
        let mut dir = file.parent();
        while let Some(folder) = dir.filter(|d| d.starts_with(root)) {
            assert_eq!(mode(folder), 0o700, "{}", folder.display());
            dir = folder.parent();
        }
    }
}

/// The `wagate` binary run under umask 022, without API_KEY (so it makes
/// its key file); killed when stopped.
struct Loose {
    _process: GatewayProcess,
    api: Api,
}

impl Loose {
    async fn start(env: &TestEnv) -> Self {
        let mut launch = Launch::script(env.dir.path(), "umask 022 && exec \"$WAGATE\"");
        if !env.prefix().is_empty() {
            launch = launch.vars([
                ("REDIS_URL", crate::common::redis_url()),
                ("REDIS_PREFIX", env.prefix()),
            ]);
        }
        let process = launch.spawn();
        let base = process.base_url();
        Api::answering(&base, "").await;
        let key = std::fs::read_to_string(env.dir.path().join("api-key")).unwrap();
        assert_ne!(key.trim(), KEY);
        Self {
            _process: process,
            api: Api::new(&base, key.trim()),
        }
    }

    async fn link(&self, id: &str) {
        let (status, body) = self.api.post("/api/instances", json!({ "instanceId": id })).await;
        assert!(status.is_success(), "{body}");
        eventually("the scan is taken", || async {
            let scan = json!({ "phone": "+15550000001" });
            self.api.post(&format!("/api/sim/{id}/scan"), scan).await.0 == StatusCode::OK
        })
        .await;
    }

    fn stop(self) {
        drop(self);
    }
}
