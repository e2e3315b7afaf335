//! Conversations: search by contact, create, and media upload (only the
//! file types GHL takes; the bytes stay readable and are served back).

use super::http::{multipart, Part, Reply, SeenRequest};
use super::state::{new_id, Conversation, State, Upload, CONVERSATIONS_VERSION};
use serde_json::{json, Value};
use std::collections::HashMap;

const ACCEPTED_TYPES: [&str; 15] = [
    "image/jpeg",
    "image/png",
    "video/mp4",
    "video/mpeg",
    "audio/mpeg",
    "application/zip",
    "application/x-rar-compressed",
    "application/vnd.rar",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
];
const ACCEPTED_EXTENSIONS: [&str; 14] = [
    "jpg", "jpeg", "png", "mp4", "mpeg", "mpg", "zip", "rar", "pdf", "doc", "docx", "txt", "mp3", "wav",
];

fn conversation_json(conversation: &Conversation) -> Value {
    json!({
        "id": conversation.id,
        "contactId": conversation.contact_id,
        "locationId": conversation.location_id,
    })
}

/// GET /conversations/search (apps/conversations.json: scope
/// conversations.readonly; `locationId` required, `contactId` optional)
pub(super) fn search(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, CONVERSATIONS_VERSION)?;
    state.scoped(req, "conversations.readonly")?;
    let [location_id] = state.require(req, &req.query, ["locationId"])?;
    state.location_bearer(req, &location_id)?;
    let contact_id = req.query.get("contactId");
    let found: Vec<Value> = state
        .conversations
        .iter()
        .filter(|c| c.location_id == location_id && contact_id.is_none_or(|id| *id == c.contact_id))
        .map(conversation_json)
        .collect();
    Ok(Reply::ok(json!({ "total": found.len(), "conversations": found })))
}

/// POST /conversations/ (apps/conversations.json: scope conversations.write;
/// CreateConversationDto requires `locationId` and `contactId`)
pub(super) fn create(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, CONVERSATIONS_VERSION)?;
    state.scoped(req, "conversations.write")?;
    let fields = req.json_fields();
    let [location_id, contact_id] = state.require(req, &fields, ["locationId", "contactId"])?;
    state.location_bearer(req, &location_id)?;
    state.contact_in(req, &location_id, &contact_id)?;
    if let Some(existing) = state.conversation_of(&contact_id) {
        let reply = json!({ "statusCode": 400, "message": "Conversation already exists",
                            "conversationId": existing.id });
        let problem = format!("{}: contact {contact_id} already has a conversation", req.line());
        return Err(state.reject(problem, Reply::json(400, reply)));
    }
    let id = state.add_conversation(&location_id, &contact_id);
    let conversation = json!({ "id": id, "contactId": contact_id, "locationId": location_id });
    Ok(Reply::ok(
        json!({ "success": true, "conversation": conversation }),
    ))
}

/// POST /conversations/messages/upload (apps/conversations.json: scope
/// conversations/message.write)
pub(super) fn upload(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, CONVERSATIONS_VERSION)?;
    state.scoped(req, "conversations/message.write")?;
    let (texts, file) = read_upload(state, req)?;
    let [conversation_id, contact_id, location_id] =
        state.require(req, &texts, ["conversationId", "contactId", "locationId"])?;
    state.location_bearer(req, &location_id)?;
    check_conversation(state, req, [&conversation_id, &contact_id, &location_id])?;
    check_file_type(state, req, &file)?;
    let filename = file.filename.unwrap_or_default();
    let url = format!("{}/files/{}/{filename}", state.base_url, new_id(""));
    state.uploads.push(Upload {
        filename: filename.clone(),
        content_type: file.content_type,
        bytes: file.data,
        location_id,
        contact_id,
        conversation_id,
        url: url.clone(),
    });
    Ok(Reply::ok(json!({ "uploadedFiles": { filename: url } })))
}

/// The text parts, and the `fileAttachment` file part, or a 422.
fn read_upload(state: &mut State, req: &SeenRequest) -> Result<(HashMap<String, String>, Part), Reply> {
    let content_type = req.header("content-type").unwrap_or_default();
    let parts = multipart(content_type, &req.body).unwrap_or_default();
    let (files, texts): (Vec<Part>, Vec<Part>) = parts.into_iter().partition(|part| part.filename.is_some());
    let texts = texts
        .into_iter()
        .map(|part| (part.name, String::from_utf8_lossy(&part.data).into_owned()))
        .collect();
    match files.into_iter().find(|part| part.name == "fileAttachment") {
        Some(file) => Ok((texts, file)),
        None => {
            let problem = format!("{}: no fileAttachment file part ({content_type})", req.line());
            Err(state.reject(
                problem,
                Reply::error(422, vec!["fileAttachment should not be empty"]),
            ))
        }
    }
}

/// The conversation exists, in that location, with that contact.
fn check_conversation(
    state: &mut State,
    req: &SeenRequest,
    [id, contact_id, location_id]: [&str; 3],
) -> Result<(), Reply> {
    let matches = |c: &Conversation| c.id == id && c.contact_id == contact_id && c.location_id == location_id;
    if state.conversations.iter().any(matches) {
        return Ok(());
    }
    let problem = format!(
        "{}: no conversation {id} of contact {contact_id} in {location_id}",
        req.line()
    );
    Err(state.reject(problem, Reply::error(400, "Conversation not found")))
}

/// Judged by the part's content type; by the file's extension when the
/// type says nothing (missing or application/octet-stream).
fn check_file_type(state: &mut State, req: &SeenRequest, file: &Part) -> Result<(), Reply> {
    let extension = file
        .filename
        .as_deref()
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, ext)| ext);
    let accepted = match file.content_type.as_deref() {
        None | Some("application/octet-stream") => {
            extension.is_some_and(|ext| ACCEPTED_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
        }
        Some(content_type) => ACCEPTED_TYPES.contains(&content_type),
    };
    if accepted {
        return Ok(());
    }
    let problem = format!(
        "{}: unsupported file {:?} ({:?})",
        req.line(),
        file.filename,
        file.content_type
    );
    let reply = json!({ "status": 415, "message": "Unsupported file type" });
    Err(state.reject(problem, Reply::json(415, reply)))
}

/// GET /files/{id}/{filename}: an uploaded file, as GHL's CDN would serve it.
pub(super) fn file(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    let url = format!("{}{}", state.base_url, req.path);
    let found = state.uploads.iter().find(|upload| upload.url == url);
    found
        .map(|upload| {
            let content_type = upload
                .content_type
                .as_deref()
                .unwrap_or("application/octet-stream");
            Reply::file(content_type, upload.bytes.clone())
        })
        .ok_or_else(|| Reply::error(404, "File not found"))
}
