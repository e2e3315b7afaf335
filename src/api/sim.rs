//! `/api/sim/{id}/...`: steering the simulated WhatsApp network (scan,
//! inbound, sent, drop, logout). Mounted only with `WA_BACKEND=sim`.

use super::body::{json_body, JsonBody};
use super::common::{find_instance, ok, with_state, ApiResult};
use super::error::ApiError;
use super::send::parse_phone;
use super::state::AppState;
use crate::clock::now_ms;
use crate::domain::{new_message_id, MessageKind, Phone};
use crate::wa::sim::{SimError, SimNetwork};
use crate::wa::{InboundMedia, InboundMessage, MediaSource, WaEvent};
use serde_json::json;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(state: AppState, sim: Arc<SimNetwork>) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.raw.max_body_bytes;
    let sim = warp::any().map(move || sim.clone());
    let action = warp::path!("sim" / String / String)
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(sim.clone())
        .and(json_body(limit))
        .and_then(act);
    let sent = warp::path!("sim" / String / "sent")
        .and(warp::get())
        .and(with_state(state))
        .and(sim)
        .and_then(sent);
    sent.or(action).boxed()
}

async fn act(
    raw_id: String,
    action: String,
    state: AppState,
    sim: Arc<SimNetwork>,
    body: JsonBody,
) -> ApiResult {
    let (record, _) = find_instance(&state, &raw_id).await?;
    let id = record.id;
    let done = match action.as_str() {
        "scan" => {
            let raw = body.text("phone")?.unwrap_or_else(|| "+15550000001".into());
            let phone = linked_phone(&raw)?;
            sim.scan(&id, phone).await
        }
        "inbound" => sim.deliver_inbound(&id, inbound_event(&body, &state)?).await,
        "drop" => sim.drop_connection(&id).await,
        "logout" => sim.logout(&id).await,
        other => return Err(ApiError::not_found(format!("the sim has no action {other:?}")).into()),
    };
    done.map_err(sim_error)?;
    ok(json!({ "instanceId": id, "action": action }))
}

async fn sent(
    raw_id: String,
    state: AppState,
    sim: Arc<SimNetwork>,
) -> Result<warp::reply::Json, warp::Rejection> {
    let (record, _) = find_instance(&state, &raw_id).await?;
    Ok(warp::reply::json(&sim.sent(&record.id)))
}

/// The number the simulated phone is registered with. Like WhatsApp's own
/// ids, any 6 to 16 digits will do (test ranges such as +1 555 included).
fn linked_phone(raw: &str) -> Result<Phone, ApiError> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    Phone::from_whatsapp_digits(&digits)
        .ok_or_else(|| ApiError::invalid("phone", format!("{raw:?} is not a phone number")))
}

fn inbound_event(body: &JsonBody, state: &AppState) -> Result<WaEvent, ApiError> {
    let from = parse_phone("from", &body.required("from")?, state)?;
    let kind = match body.text("type")? {
        Some(raw) => raw
            .parse::<MessageKind>()
            .map_err(|e| ApiError::invalid("type", e.to_string()))?,
        None => MessageKind::Text,
    };
    let media_url = body.text("mediaUrl")?;
    let text = body.text("text")?;
    if text.is_none() && media_url.is_none() {
        return Err(ApiError::missing("text"));
    }
    let media = media_url.map(|url| InboundMedia {
        mime_type: body.text("mimeType").ok().flatten(),
        source: MediaSource::Url(url),
    });
    let message = InboundMessage {
        id: body.text("id")?.unwrap_or_else(new_message_id),
        chat: format!("{}@s.whatsapp.net", from.digits()),
        from: Some(from),
        push_name: body.text("pushName")?,
        kind: if media.is_some() && kind == MessageKind::Text {
            MessageKind::Image
        } else {
            kind
        },
        caption: if media.is_some() { text.clone() } else { None },
        text: if media.is_some() { None } else { text },
        media,
        timestamp_ms: now_ms(),
        is_group: false,
        from_me: false,
    };
    Ok(WaEvent::Inbound(Box::new(message)))
}

fn sim_error(e: SimError) -> ApiError {
    let status = match e {
        SimError::Io(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::CONFLICT,
    };
    ApiError::new(status, "sim_state", e.to_string())
}
