//! Reading rows into records, shared by the table modules.

use crate::domain::{Direction, InstanceId, MessageDetails};
use crate::store::{ForwardRecord, ForwardStatus, InstanceRecord, MessageRecord, Moved};
use rusqlite::types::{FromSql, FromSqlError, ValueRef};
use rusqlite::Row;
use std::str::FromStr;

pub const MESSAGE_COLUMNS: &str = "id, instance_id, direction, kind, from_phone, to_phone, text, media_url, \
     caption, status, error, attempts, created_at, updated_at, request_id, details";

pub const FORWARD_COLUMNS: &str =
    "id, instance_id, message_id, status, attempts, next_attempt_at, last_error, created_at, body, target";

/// A record kept as one JSON text column.
pub fn decode_json<T: serde::de::DeserializeOwned>(json: String) -> rusqlite::Result<T> {
    serde_json::from_str(&json)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

/// A message's details as stored (none before they existed).
fn decode_details(stored: Option<String>) -> rusqlite::Result<MessageDetails> {
    MessageDetails::from_json(stored.as_deref())
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(15, rusqlite::types::Type::Text, e.into()))
}

/// A column holding text that parses into a typed value.
struct Parsed<T>(T);

impl<T: FromStr> FromSql for Parsed<T> {
    fn column_result(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        let text = value.as_str()?;
        text.parse::<T>()
            .map(Parsed)
            .map_err(|_| FromSqlError::Other(format!("bad value {text:?}").into()))
    }
}

impl FromStr for Direction {
    type Err = ();
    fn from_str(raw: &str) -> Result<Self, ()> {
        match raw {
            "inbound" => Ok(Self::Inbound),
            "outbound" => Ok(Self::Outbound),
            _ => Err(()),
        }
    }
}

impl FromStr for ForwardStatus {
    type Err = ();
    fn from_str(raw: &str) -> Result<Self, ()> {
        ForwardStatus::parse(raw).ok_or(())
    }
}

impl FromStr for InstanceId {
    type Err = ();
    fn from_str(raw: &str) -> Result<Self, ()> {
        InstanceId::parse(raw).map_err(|_| ())
    }
}

fn parsed<T: FromStr>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    row.get::<_, Parsed<T>>(index).map(|p| p.0)
}

pub fn instance(row: &Row<'_>) -> rusqlite::Result<InstanceRecord> {
    Ok(InstanceRecord {
        id: parsed(row, 0)?,
        alias: row.get(1)?,
        phone: row.get(2)?,
        created_at_ms: row.get(3)?,
        last_connected_at_ms: row.get(4)?,
        last_error: row.get(5)?,
    })
}

pub fn message(row: &Row<'_>) -> rusqlite::Result<MessageRecord> {
    Ok(MessageRecord {
        id: row.get(0)?,
        instance_id: parsed(row, 1)?,
        direction: parsed(row, 2)?,
        kind: parsed(row, 3)?,
        from: row.get(4)?,
        to: row.get(5)?,
        text: row.get(6)?,
        media_url: row.get(7)?,
        caption: row.get(8)?,
        status: parsed(row, 9)?,
        error: row.get(10)?,
        attempts: row.get(11)?,
        created_at_ms: row.get(12)?,
        updated_at_ms: row.get(13)?,
        request_id: row.get(14)?,
        details: decode_details(row.get(15)?)?,
    })
}

/// `instance_id, status, error` as returned by a forward move (its GHL link
/// is looked up after).
pub fn moved(row: &Row<'_>) -> rusqlite::Result<Moved> {
    Ok(Moved {
        instance_id: parsed(row, 0)?,
        status: parsed(row, 1)?,
        error: row.get(2)?,
        ghl_link: None,
    })
}

pub fn forward(row: &Row<'_>) -> rusqlite::Result<ForwardRecord> {
    Ok(ForwardRecord {
        id: row.get(0)?,
        instance_id: parsed(row, 1)?,
        message_id: row.get(2)?,
        status: parsed(row, 3)?,
        attempts: row.get(4)?,
        next_attempt_at_ms: row.get(5)?,
        last_error: row.get(6)?,
        created_at_ms: row.get(7)?,
        body: row.get(8)?,
        target: parsed(row, 9)?,
    })
}
