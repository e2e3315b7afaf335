//! What the simulated network keeps on disk under
//! SESSION_DIR/instances/<instance>/ (folder 0700, files 0600):
//! the link (`sim-link.json`) and every message received from the gateway
//! (`sim-sent.jsonl`, one line per delivery attempt, folded by message id).

use super::json_file;
use crate::domain::MessageDetails;
use crate::session_dir::private_files;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// One message as the simulated network received it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SentEntry {
    pub id: String,
    pub to: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    #[serde(rename = "mediaUrl")]
    pub media_url: Option<String>,
    pub caption: Option<String>,
    /// When it first arrived, ms since the epoch.
    pub at: i64,
    /// How many times the gateway delivered this id.
    #[serde(default = "one")]
    pub attempts: u32,
    /// For a voice note: what the real backend would have sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceEntry>,
    /// The quote, reaction, location or contact card it carried.
    #[serde(default, skip_serializing_if = "MessageDetails::is_empty")]
    pub details: MessageDetails,
    /// For a contact card: the vCard the real backend would have sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcard: Option<String>,
}

/// A voice note as the simulated network received it: the AudioMessage
/// fields a real send carries, and what the transcoder made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VoiceEntry {
    /// WhatsApp's voice-note (push-to-talk) flag.
    pub ptt: bool,
    pub mimetype: String,
    /// The length WhatsApp shows, in whole seconds.
    pub seconds: u32,
    /// The exact length, in ms.
    pub duration_ms: u64,
    /// 64 levels, 0..=100.
    pub waveform: Vec<u8>,
    /// The size of the Ogg/Opus file.
    pub bytes: usize,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Serialize, Deserialize)]
struct Link {
    phone: String,
}

/// An instance's record: ordered entries, one per message id.
#[derive(Debug, Default)]
pub struct SentLog {
    entries: Vec<SentEntry>,
    index: HashMap<String, usize>,
}

impl SentLog {
    pub fn entries(&self) -> &[SentEntry] {
        &self.entries
    }

    /// Adds an arrival; a known id only raises that entry's attempts.
    pub fn add(&mut self, entry: SentEntry) {
        match self.index.get(&entry.id) {
            Some(&at) => self.entries[at].attempts += 1,
            None => {
                self.index.insert(entry.id.clone(), self.entries.len());
                self.entries.push(SentEntry { attempts: 1, ..entry });
            }
        }
    }
}

const LINK_FILE: &str = "sim-link.json";

fn sent_path(dir: &Path) -> PathBuf {
    dir.join("sim-sent.jsonl")
}

pub fn load_link(dir: &Path) -> Option<String> {
    json_file::load::<Option<Link>>(dir, LINK_FILE).map(|l| l.phone)
}

pub fn save_link(dir: &Path, phone: Option<&str>) -> std::io::Result<()> {
    match phone {
        Some(phone) => {
            let link = Link {
                phone: phone.to_owned(),
            };
            json_file::save(dir, LINK_FILE, &link)
        }
        None => match std::fs::remove_file(dir.join(LINK_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

pub fn load_sent(dir: &Path) -> SentLog {
    let mut log = SentLog::default();
    let Ok(file) = std::fs::File::open(sent_path(dir)) else {
        return log;
    };
    for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
        if let Ok(entry) = serde_json::from_str::<SentEntry>(&line) {
            log.add(entry);
        }
    }
    log
}

/// Opens the instance's record for appending, creating it and its folder.
pub fn open_sent(dir: &Path) -> std::io::Result<std::fs::File> {
    private_files::create_dir_all(dir)?;
    private_files::options()
        .create(true)
        .append(true)
        .open(sent_path(dir))
}

/// Appends one arrival as one line in one write, so that processes
/// sharing the record interleave whole lines. A write the disk took only
/// part of (it is full) is cut off again: left there, it would run into
/// the next arrival's line and hide it.
pub fn append_sent(file: &mut std::fs::File, entry: &SentEntry) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    let before = file.metadata()?.len();
    if let Err(e) = file.write_all(&line) {
        file.set_len(before)?;
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> SentEntry {
        SentEntry {
            id: id.into(),
            to: "+1".into(),
            kind: "text".into(),
            text: "t".into(),
            media_url: None,
            caption: None,
            at: 1,
            attempts: 1,
            voice: None,
            details: MessageDetails::default(),
            vcard: None,
        }
    }

    #[test]
    fn a_resend_raises_attempts_and_survives_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = open_sent(dir.path()).unwrap();
        for id in ["a", "b", "a"] {
            append_sent(&mut file, &entry(id)).unwrap();
        }
        let log = load_sent(dir.path());
        let ids: Vec<_> = log
            .entries()
            .iter()
            .map(|e| (e.id.as_str(), e.attempts))
            .collect();
        assert_eq!(ids, vec![("a", 2), ("b", 1)]);
    }

    #[test]
    fn the_link_is_saved_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_link(dir.path()), None);
        save_link(dir.path(), Some("+15550000001")).unwrap();
        assert_eq!(load_link(dir.path()).as_deref(), Some("+15550000001"));
        save_link(dir.path(), None).unwrap();
        save_link(dir.path(), None).unwrap();
        assert_eq!(load_link(dir.path()), None);
    }
}
