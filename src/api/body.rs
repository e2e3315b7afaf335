//! Reading JSON bodies so that every error names the field at fault: the
//! body is taken as bytes (within the size limit) and read field by field.

use super::error::ApiError;
use serde_json::{Map, Value};
use warp::http::StatusCode;
use warp::Filter;

/// A request body that is a JSON object.
pub struct JsonBody(Map<String, Value>);

/// Extracts a JSON object body of at most `limit` bytes. An empty body is
/// an empty object, so routes whose fields are all optional take none.
pub fn json_body(limit: u64) -> impl Filter<Extract = (JsonBody,), Error = warp::Rejection> + Clone {
    warp::body::content_length_limit(limit)
        .and(warp::body::bytes())
        .and_then(|raw: bytes::Bytes| async move { JsonBody::parse(&raw).map_err(warp::reject::custom) })
}

impl JsonBody {
    pub fn parse(raw: &[u8]) -> Result<Self, ApiError> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        match serde_json::from_slice::<Value>(raw) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "the body must be a JSON object",
            )),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not valid JSON: {e}"),
            )),
        }
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// A text field; numbers are taken as their digits (phone numbers often
    /// arrive as numbers). Blank text counts as absent.
    pub fn text(&self, field: &'static str) -> Result<Option<String>, ApiError> {
        text_in(&self.0, field)
    }

    /// A text field that must be present.
    pub fn required(&self, field: &'static str) -> Result<String, ApiError> {
        self.text(field)?.ok_or_else(|| ApiError::missing(field))
    }

    /// Whether the field is there and set to null (to clear a value).
    pub fn is_null(&self, field: &str) -> bool {
        matches!(self.0.get(field), Some(Value::Null))
    }

    pub fn flag(&self, field: &'static str) -> Result<bool, ApiError> {
        self.flag_or(field, false)
    }

    /// A true/false field, `None` when it is left out.
    pub fn flag_or_none(&self, field: &'static str) -> Result<Option<bool>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.flag(field).map(Some),
        }
    }

    /// A true/false field, `absent` when it is left out.
    pub fn flag_or(&self, field: &'static str, absent: bool) -> Result<bool, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(absent),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(_) => Err(ApiError::invalid(field, format!("{field} must be true or false"))),
        }
    }
}

impl JsonBody {
    /// A whole number (or its digits as text).
    pub fn integer(&self, field: &'static str) -> Result<Option<i64>, ApiError> {
        let wrong = || ApiError::invalid(field, format!("{field} must be a whole number"));
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(wrong),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| wrong()),
            Some(_) => Err(wrong()),
        }
    }

    /// A number (or one written as text, as GHL's custom values are).
    pub fn number(&self, field: &'static str) -> Result<Option<f64>, ApiError> {
        let wrong = || ApiError::invalid(field, format!("{field} must be a number"));
        let number = match self.0.get(field) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(_) => None,
        };
        number.filter(|n| n.is_finite()).map(Some).ok_or_else(wrong)
    }

    /// A nested object, such as GHL's `customData` or `location`.
    pub fn object(&self, field: &'static str) -> Result<Option<JsonBody>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(JsonBody(map.clone()))),
            Some(_) => Err(ApiError::invalid(field, format!("{field} must be an object"))),
        }
    }

    /// A list of texts, such as instance ids.
    pub fn texts(&self, field: &'static str) -> Result<Option<Vec<String>>, ApiError> {
        let wrong = || ApiError::invalid(field, format!("{field} must be a list of texts"));
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(wrong))
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err(wrong()),
        }
    }
}

fn text_in(map: &Map<String, Value>, field: &'static str) -> Result<Option<String>, ApiError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::invalid(field, format!("{field} must be text"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_with_their_names_in_errors() {
        let body =
            JsonBody::parse(br#"{"to": 5511999999999, "message": " ", "flag": true, "bad": []}"#).unwrap();
        assert_eq!(body.text("to").unwrap().as_deref(), Some("5511999999999"));
        assert_eq!(body.text("message").unwrap(), None);
        assert!(body.flag("flag").unwrap());
        assert_eq!(body.text("bad").unwrap_err().field, Some("bad"));
        assert_eq!(body.required("instanceId").unwrap_err().field, Some("instanceId"));
    }

    #[test]
    fn numbers_may_come_as_text() {
        let body =
            JsonBody::parse(br#"{"a": -23.5, "b": " 46.6 ", "c": "north", "d": "NaN", "e": ""}"#).unwrap();
        assert_eq!(body.number("a").unwrap(), Some(-23.5));
        assert_eq!(body.number("b").unwrap(), Some(46.6));
        assert_eq!(body.number("c").unwrap_err().field, Some("c"));
        assert_eq!(body.number("d").unwrap_err().field, Some("d"));
        assert_eq!(body.number("e").unwrap(), None);
        assert_eq!(body.number("absent").unwrap(), None);
    }

    #[test]
    fn non_objects_and_broken_json_are_refused() {
        assert_eq!(JsonBody::parse(b"[1]").err().unwrap().code, "invalid_json");
        assert_eq!(JsonBody::parse(b"{").err().unwrap().code, "invalid_json");
        assert!(JsonBody::parse(b"  ").is_ok());
    }
}
