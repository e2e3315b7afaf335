//! Records as Redis hash fields and back. Absent optional values are
//! absent fields.

use crate::domain::{Direction, InstanceId, MessageDetails};
use crate::store::{
    ForwardRecord, ForwardStatus, ForwardTarget, MessageRecord, Moved, StoreError, StoreResult,
};
use redis::ScriptInvocation;
use std::collections::HashMap;
use std::str::FromStr;

pub type Fields = HashMap<String, String>;

/// Adds field/value pairs to a script call as plain arguments (a script
/// stores them with one HSET), leaving absent values out.
pub fn add_pairs(script: &mut ScriptInvocation<'_>, pairs: &[(&str, Option<&str>)]) {
    for (field, value) in pairs {
        if let Some(value) = value {
            script.arg(*field).arg(*value);
        }
    }
}

/// [`add_pairs`] after the number of arguments they take, for a script
/// that reads more after them.
pub fn add_counted_pairs(script: &mut ScriptInvocation<'_>, pairs: &[(&str, Option<&str>)]) {
    script.arg(pairs.iter().filter(|(_, value)| value.is_some()).count() * 2);
    add_pairs(script, pairs);
}

fn text(f: &Fields, key: &str) -> StoreResult<String> {
    f.get(key)
        .cloned()
        .ok_or_else(|| StoreError::Corrupt(format!("a stored record lacks {key}")))
}

fn parsed<T: FromStr>(f: &Fields, key: &str) -> StoreResult<T> {
    let raw = text(f, key)?;
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("stored {key} {raw:?} does not parse")))
}

fn direction(f: &Fields) -> StoreResult<Direction> {
    match text(f, "direction")?.as_str() {
        "inbound" => Ok(Direction::Inbound),
        "outbound" => Ok(Direction::Outbound),
        other => Err(StoreError::Corrupt(format!("stored direction {other:?}"))),
    }
}

fn instance(f: &Fields, key: &str) -> StoreResult<InstanceId> {
    InstanceId::parse(&text(f, key)?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn message(f: &Fields) -> StoreResult<MessageRecord> {
    Ok(MessageRecord {
        id: text(f, "id")?,
        instance_id: instance(f, "instance_id")?,
        direction: direction(f)?,
        kind: parsed(f, "kind")?,
        from: f.get("from").cloned(),
        to: f.get("to").cloned(),
        text: f.get("text").cloned().unwrap_or_default(),
        media_url: f.get("media_url").cloned(),
        caption: f.get("caption").cloned(),
        status: parsed(f, "status")?,
        error: f.get("error").cloned(),
        attempts: parsed(f, "attempts")?,
        created_at_ms: parsed(f, "created_at")?,
        updated_at_ms: parsed(f, "updated_at")?,
        request_id: f.get("request_id").cloned(),
        details: MessageDetails::from_json(f.get("details").map(String::as_str))
            .map_err(|e| StoreError::Corrupt(format!("stored details do not read: {e}")))?,
    })
}

/// The ADVANCE script's answer: instance, status, error and GHL link as
/// JSON ("" for none).
pub fn moved((instance, status, error, link): (String, String, String, String)) -> StoreResult<Moved> {
    let ghl_link = match link.as_str() {
        "" => None,
        json => Some(serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))?),
    };
    Ok(Moved {
        instance_id: InstanceId::parse(&instance).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: status
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("stored status {status:?} does not parse")))?,
        error: Some(error).filter(|e| !e.is_empty()),
        ghl_link,
    })
}

pub fn forward(f: &Fields) -> StoreResult<ForwardRecord> {
    let status = ForwardStatus::parse(&text(f, "status")?)
        .ok_or_else(|| StoreError::Corrupt("stored forward status does not parse".into()))?;
    Ok(ForwardRecord {
        id: text(f, "id")?,
        instance_id: instance(f, "instance_id")?,
        message_id: text(f, "message_id")?,
        status,
        attempts: parsed(f, "attempts")?,
        next_attempt_at_ms: parsed(f, "next_attempt_at")?,
        last_error: f.get("last_error").cloned(),
        created_at_ms: parsed(f, "created_at")?,
        body: text(f, "body")?,
        // Forwards stored before targets existed were all webhooks.
        target: f
            .get("target")
            .map_or(Ok(ForwardTarget::Webhook), |_| parsed(f, "target"))?,
    })
}
