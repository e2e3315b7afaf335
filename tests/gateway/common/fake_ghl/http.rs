//! The fake's HTTP plumbing: a request as it arrived (also what tests read
//! back), the replies GHL gives, and a small multipart/form-data reader.

use serde_json::{json, Value};
use std::collections::HashMap;
use warp::http::{HeaderMap, Method, StatusCode};

/// One request the fake received, as it arrived.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    /// Header names are lowercase.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// The body parsed, when it was sent as JSON.
    pub json: Option<Value>,
    /// The body parsed, when it was sent form-encoded.
    pub form: Option<HashMap<String, String>>,
}

impl SeenRequest {
    pub(super) fn new(
        method: &Method,
        path: &str,
        raw_query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let headers: HashMap<String, String> = headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let content_type = headers.get("content-type").cloned().unwrap_or_default();
        Self {
            method: method.as_str().to_owned(),
            path: path.to_owned(),
            query: serde_urlencoded::from_str(raw_query).unwrap_or_default(),
            json: content_type
                .starts_with("application/json")
                .then(|| serde_json::from_slice(body).ok())
                .flatten(),
            form: content_type
                .starts_with("application/x-www-form-urlencoded")
                .then(|| serde_urlencoded::from_bytes(body).ok())
                .flatten(),
            headers,
            body: body.to_vec(),
        }
    }

    /// "POST /contacts/upsert", for problem reports.
    pub(super) fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The top-level string fields of the JSON body.
    pub(super) fn json_fields(&self) -> HashMap<String, String> {
        let Some(Value::Object(body)) = &self.json else {
            return HashMap::new();
        };
        body.iter()
            .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
            .collect()
    }
}

/// What the fake answers.
pub(super) struct Reply {
    status: StatusCode,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    pub(super) fn json(status: u16, body: Value) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap(),
            content_type: Some("application/json".into()),
            body: body.to_string().into_bytes(),
        }
    }

    pub(super) fn ok(body: Value) -> Self {
        Self::json(200, body)
    }

    pub(super) fn file(content_type: &str, bytes: Vec<u8>) -> Self {
        Self {
            status: StatusCode::OK,
            content_type: Some(content_type.to_owned()),
            body: bytes,
        }
    }

    /// GHL's usual error shape: `{"statusCode", "message"}`.
    pub(super) fn error(status: u16, message: impl Into<Value>) -> Self {
        Self::json(status, json!({ "statusCode": status, "message": message.into() }))
    }

    pub(super) fn invalid_jwt() -> Self {
        Self::error(401, "Invalid JWT")
    }

    /// The OAuth endpoint's error shape: `{"error": "invalid_grant"}`.
    pub(super) fn oauth_error(status: u16, error: &str) -> Self {
        Self::json(status, json!({ "error": error }))
    }

    pub(super) fn into_response(self) -> warp::reply::Response {
        let mut response = warp::http::Response::builder().status(self.status);
        if let Some(content_type) = self.content_type {
            response = response.header("content-type", content_type);
        }
        response.body(self.body.into()).unwrap()
    }
}

/// One part of a multipart/form-data body.
pub(super) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// Reads a multipart/form-data body; None when it is not one.
pub(super) fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = content_type
        .split(';')
        .find_map(|param| param.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("\r\n--{boundary}");
    let data = [b"\r\n".as_slice(), body].concat();
    let mut parts = Vec::new();
    for chunk in split(&data, delimiter.as_bytes()).into_iter().skip(1) {
        if chunk.starts_with(b"--") {
            return Some(parts);
        }
        let chunk = chunk.strip_prefix(b"\r\n")?;
        let end_of_head = find(chunk, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&chunk[..end_of_head]).ok()?;
        parts.push(Part::read(head, &chunk[end_of_head + 4..])?);
    }
    None
}

impl Part {
    fn read(head: &str, data: &[u8]) -> Option<Self> {
        let mut part = Self {
            name: String::new(),
            filename: None,
            content_type: None,
            data: data.to_vec(),
        };
        for line in head.lines() {
            let (name, value) = line.split_once(':')?;
            match name.trim().to_ascii_lowercase().as_str() {
                "content-type" => part.content_type = Some(value.trim().to_owned()),
                "content-disposition" => part.read_disposition(value),
                _ => {}
            }
        }
        (!part.name.is_empty()).then_some(part)
    }

    fn read_disposition(&mut self, value: &str) {
        for param in value.split(';').map(str::trim) {
            if let Some(name) = param.strip_prefix("name=") {
                self.name = name.trim_matches('"').to_owned();
            } else if let Some(filename) = param.strip_prefix("filename=") {
                self.filename = Some(filename.trim_matches('"').to_owned());
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn split<'a>(mut data: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    while let Some(at) = find(data, delimiter) {
        chunks.push(&data[..at]);
        data = &data[at + delimiter.len()..];
    }
    chunks.push(data);
    chunks
}
