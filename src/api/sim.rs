//! `/api/sim/{id}/...`: steering the simulated WhatsApp network (scan,
//! inbound (read in `sim_inbound`), sent, drop, logout, groups). Mounted only with `WA_BACKEND=sim`.

use super::body::{json_body, JsonBody};
use super::common::{find_instance, ok, with_state, ApiResult};
use super::error::ApiError;
use super::send::parse_phone;
use super::state::AppState;
use crate::cluster::control::Control;
use crate::domain::{GroupId, Phone};
use crate::wa::sim::{SimGroup, SimNetwork};
use serde_json::json;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(state: AppState, sim: Arc<SimNetwork>) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    let sim = warp::any().map(move || sim.clone());
    let action = warp::path!("sim" / String / String)
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(json_body(limit))
        .and_then(act);
    let sent = warp::path!("sim" / String / "sent")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and(sim.clone())
        .and_then(sent);
    let chat = warp::path!("sim" / String / "chat")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and(sim.clone())
        .and_then(chat);
    let refuse = warp::path!("sim" / String / "refuse")
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(sim.clone())
        .and(json_body(limit))
        .and_then(refuse);
    let unregistered = warp::path!("sim" / String / "unregistered")
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(sim.clone())
        .and(json_body(limit))
        .and_then(unregistered);
    let group = warp::path!("sim" / String / "groups")
        .and(warp::post())
        .and(with_state(state))
        .and(sim)
        .and(json_body(limit))
        .and_then(add_group);
    let steering = refuse.or(unregistered).or(group);
    sent.or(chat).or(steering).or(action).boxed()
}

/// `{subject, members: [phone...], id?}`: the instance's number is in a
/// group with these members; answers the group's id (made up when absent).
async fn add_group(raw_id: String, state: AppState, sim: Arc<SimNetwork>, body: JsonBody) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let subject = body.required("subject")?;
    let members = body.texts("members")?.unwrap_or_default();
    let members = members
        .iter()
        .map(|raw| parse_phone("members", raw, &state).map(|p| p.e164().to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    let id = body.text("id")?.map(|raw| group_id("id", &raw)).transpose()?;
    let group = SimGroup { subject, members };
    let id = sim
        .add_group(&record.id, id, group)
        .map_err(|e| sim_error(e.to_string()))?;
    ok(json!({ "instanceId": record.id, "id": id }))
}

fn group_id(field: &'static str, raw: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(raw).map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// The chat states and read marks the instance's contacts saw.
async fn chat(
    raw_id: String,
    state: AppState,
    sim: Arc<SimNetwork>,
) -> Result<warp::reply::Json, warp::Rejection> {
    let record = find_instance(&state, &raw_id).await?;
    Ok(warp::reply::json(&sim.chat_log(&record.id)))
}

/// `{phone, unregistered?}`: the number is not on WhatsApp (lookups say
/// so, sends fail for good), or with `unregistered: false` is again.
async fn unregistered(raw_id: String, state: AppState, sim: Arc<SimNetwork>, body: JsonBody) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let phone = parse_phone("phone", &body.required("phone")?, &state)?;
    let unregistered = body.flag_or("unregistered", true)?;
    sim.set_registered(&record.id, &phone, !unregistered)
        .map_err(|e| sim_error(e.to_string()))?;
    ok(json!({ "instanceId": record.id, "phone": phone.e164(), "unregistered": unregistered }))
}

/// `{to, refuse?, untilMs?}`: the network answers sends to `to` with
/// error 463 (reporting a block until `untilMs`), or stops with `refuse: false`.
async fn refuse(raw_id: String, state: AppState, sim: Arc<SimNetwork>, body: JsonBody) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let to = parse_phone("to", &body.required("to")?, &state)?;
    let refused = body.flag_or("refuse", true)?;
    let until_ms = body.integer("untilMs")?;
    sim.refuse(&record.id, &to, refused, until_ms)
        .map_err(|e| sim_error(e.to_string()))?;
    ok(json!({ "instanceId": record.id, "to": to.e164(), "refused": refused, "untilMs": until_ms }))
}

async fn act(raw_id: String, action: String, state: AppState, body: JsonBody) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let request = match action.as_str() {
        "scan" => {
            let raw = body.text("phone")?.unwrap_or_else(|| "+15550000001".into());
            Control::SimScan {
                phone: linked_phone(&raw)?,
            }
        }
        "inbound" => Control::SimInbound {
            message: Box::new(super::sim_inbound::read(&body, &state)?),
        },
        "drop" => Control::SimDrop,
        "logout" => Control::SimLogout,
        other => return Err(ApiError::not_found(format!("the sim has no action {other:?}")).into()),
    };
    state.fleet.control(&record, request).await.map_err(sim_error)?;
    ok(json!({ "instanceId": record.id, "action": action }))
}

async fn sent(
    raw_id: String,
    state: AppState,
    sim: Arc<SimNetwork>,
) -> Result<warp::reply::Json, warp::Rejection> {
    let record = find_instance(&state, &raw_id).await?;
    Ok(warp::reply::json(&sim.sent(&record.id)))
}

/// The number the simulated phone is registered with. Like WhatsApp's own
/// ids, any 6 to 16 digits will do (test ranges such as +1 555 included).
fn linked_phone(raw: &str) -> Result<Phone, ApiError> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    Phone::from_whatsapp_digits(&digits)
        .ok_or_else(|| ApiError::invalid("phone", format!("{raw:?} is not a phone number")))
}

fn sim_error(message: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "sim_state", message)
}
