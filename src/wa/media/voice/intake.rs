//! What can be told of a voice note from its URL alone, before it is
//! queued: a file whose extension names a format the transcoder does not
//! read is refused at once (422) rather than failing later. A URL without
//! an extension, or with one that says nothing (`.php`), goes on: its
//! content decides when it is fetched.

/// Extensions of media the transcoder does not read: other audio codecs, images, video
/// containers without a readable audio mapping, documents.
const REFUSED: &[&str] = &[
    "amr", "awb", "wma", "flac", "aif", "aiff", "caf", "mid", "midi", "ra", "3gp", "3ga", "jpg", "jpeg",
    "png", "gif", "webp", "bmp", "svg", "heic", "avi", "mov", "wmv", "flv", "pdf", "doc", "docx", "xls",
    "xlsx", "ppt", "pptx", "txt", "csv", "zip", "html", "htm", "json",
];

/// The lower-cased extension of the URL's last path segment.
pub fn extension_of(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let last = parsed.path_segments()?.rev().find(|s| !s.is_empty())?;
    let (_, extension) = last.rsplit_once('.')?;
    Some(extension.to_ascii_lowercase())
}

/// Refuses a voice-note URL whose extension names a format that cannot be
/// read; the error is the sentence the caller sees.
pub fn check_voice_url(url: &str) -> Result<(), String> {
    match extension_of(url) {
        Some(ext) if REFUSED.contains(&ext.as_str()) => Err(format!(
            "a voice note cannot be made from a .{ext} file; send mp3, wav, m4a/aac, ogg or webm"
        )),
        _ => Ok(()),
    }
}
