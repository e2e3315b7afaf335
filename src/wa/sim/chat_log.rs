//! What the simulated contacts saw in their chats besides messages: the
//! "typing…"/"recording…" states and read marks the gateway sent, kept in
//! `sim-chat.jsonl` in the instance's folder (one line each, in order), so
//! tests can check that presence came before each send and lasted as set.

use crate::session_dir::private_files;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::Path;

const FILE: &str = "sim-chat.jsonl";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChatEntry {
    /// The contact, E.164.
    pub to: String,
    /// `composing`, `recording`, `paused` or `read`.
    pub state: String,
    /// The messages marked read (`read` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_ids: Vec<String>,
    /// When it reached the network, ms since the epoch.
    pub at: i64,
}

/// Appends one entry as one line in one write.
pub fn append(dir: &Path, entry: &ChatEntry) -> std::io::Result<()> {
    private_files::create_dir_all(dir)?;
    let mut file = private_files::options()
        .create(true)
        .append(true)
        .open(dir.join(FILE))?;
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    file.write_all(&line)
}

/// Every entry so far, oldest first; unreadable lines are skipped.
pub fn load(dir: &Path) -> Vec<ChatEntry> {
    let Ok(file) = std::fs::File::open(dir.join(FILE)) else {
        return Vec::new();
    };
    std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).is_empty());
        for (state, at) in [("composing", 1), ("paused", 2)] {
            let entry = ChatEntry {
                to: "+15550000002".into(),
                state: state.into(),
                message_ids: vec![],
                at,
            };
            append(dir.path(), &entry).unwrap();
        }
        let states: Vec<_> = load(dir.path()).into_iter().map(|e| (e.state, e.at)).collect();
        assert_eq!(
            states,
            vec![("composing".to_owned(), 1), ("paused".to_owned(), 2)]
        );
    }
}
