//! An instance's own webhooks: `GET/POST /api/instances/{id}/webhooks`,
//! `PUT/DELETE /api/instances/{id}/webhooks/{webhookId}`. Each webhook has
//! a URL (http or https; not a private address unless
//! ALLOW_PRIVATE_WEBHOOK_URLS), the events it takes and, if wanted, its own
//! signing secret, which is sealed at rest and never shown again. What is
//! delivered and how: `hooks`.

use super::body::{json_body, JsonBody};
use super::common::{find_instance, ok, success, with_state, ApiResult};
use super::error::ApiError;
use super::state::AppState;
use crate::domain::{HookEvent, WebhookId};
use crate::hooks::address;
use crate::store::{InstanceRecord, InstanceWebhook};
use crate::support::clock::{now_ms, rfc3339};
use serde_json::{json, Value};
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

/// Webhooks one instance may have.
const MAX_PER_INSTANCE: usize = 10;
/// Bounds of a webhook's own secret, in bytes.
const SECRET_LEN: std::ops::RangeInclusive<usize> = 8..=256;

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    let list = warp::path!("instances" / String / "webhooks")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(list);
    let add = warp::path!("instances" / String / "webhooks")
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(json_body(limit))
        .and_then(add);
    let change = warp::path!("instances" / String / "webhooks" / String)
        .and(warp::put())
        .and(with_state(state.clone()))
        .and(json_body(limit))
        .and_then(change);
    let remove = warp::path!("instances" / String / "webhooks" / String)
        .and(warp::delete())
        .and(with_state(state))
        .and_then(remove);
    list.or(add).or(change).or(remove).boxed()
}

/// A webhook as the API shows it: never its secret, only whether it has one.
fn shown(hook: &InstanceWebhook) -> Value {
    json!({
        "id": hook.id,
        "instanceId": hook.instance_id,
        "url": hook.url,
        "events": hook.events,
        "hasSecret": hook.secret.is_some(),
        "createdAt": rfc3339(hook.created_at_ms),
    })
}

async fn list(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let hooks = state
        .stores
        .webhooks
        .webhooks_of(&record.id)
        .await
        .map_err(ApiError::from)?;
    let shown: Vec<Value> = hooks.iter().map(shown).collect();
    ok(json!({ "instanceId": record.id, "count": shown.len(), "webhooks": shown }))
}

async fn add(raw_id: String, state: AppState, body: JsonBody) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let hook = InstanceWebhook {
        id: WebhookId::new(),
        instance_id: record.id.clone(),
        url: checked_url(&state, &body.required("url")?).await?,
        events: events(&body)?.unwrap_or_else(|| vec![HookEvent::Messages]),
        secret: sealed_secret(&state, &body)?,
        created_at_ms: now_ms(),
    };
    let added = state.stores.webhooks.add_webhook(&hook, MAX_PER_INSTANCE).await;
    if !added.map_err(ApiError::from)? {
        return Err(ApiError::conflict(
            "too_many_webhooks",
            format!("an instance may have at most {MAX_PER_INSTANCE} webhooks; remove one first"),
        )
        .into());
    }
    tracing::info!(instance = %hook.instance_id, webhook = %hook.id, "webhook added");
    Ok(success(StatusCode::CREATED, json!({ "webhook": shown(&hook) })))
}

async fn change(raw_id: String, raw_hook: String, state: AppState, body: JsonBody) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let mut hook = find_hook(&state, &record, &raw_hook).await?;
    if let Some(url) = body.text("url")? {
        hook.url = checked_url(&state, &url).await?;
    }
    if let Some(events) = events(&body)? {
        hook.events = events;
    }
    if body.is_null("secret") {
        hook.secret = None;
    } else if let Some(sealed) = sealed_secret(&state, &body)? {
        hook.secret = Some(sealed);
    }
    let saved = state.stores.webhooks.save_webhook(&hook).await;
    saved.map_err(ApiError::from)?;
    tracing::info!(instance = %hook.instance_id, webhook = %hook.id, "webhook changed");
    ok(json!({ "webhook": shown(&hook) }))
}

async fn remove(raw_id: String, raw_hook: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let hook = find_hook(&state, &record, &raw_hook).await?;
    state
        .stores
        .webhooks
        .remove_webhook(hook.id)
        .await
        .map_err(ApiError::from)?;
    tracing::info!(instance = %record.id, webhook = %hook.id, "webhook removed");
    ok(json!({ "removed": hook.id }))
}

/// The instance's webhook with the id in the path.
async fn find_hook(
    state: &AppState,
    record: &InstanceRecord,
    raw: &str,
) -> Result<InstanceWebhook, ApiError> {
    let unknown = || ApiError::not_found(format!("instance {} has no webhook {raw:?}", record.id));
    let id = WebhookId::parse(raw).ok_or_else(unknown)?;
    let hook = state.stores.webhooks.webhook(id).await?;
    hook.filter(|hook| hook.instance_id == record.id)
        .ok_or_else(unknown)
}

/// The URL, checked against the private-address rule.
async fn checked_url(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let allow_private = state.settings.forward.allow_private_webhook_urls;
    let invalid = |problem: address::UrlProblem| ApiError::invalid("url", problem.to_string());
    let url = address::check(raw, allow_private).map_err(invalid)?;
    if !allow_private {
        address::check_resolved(&url).await.map_err(invalid)?;
    }
    Ok(url.to_string())
}

/// The events named, sorted and without repeats; None when left out.
fn events(body: &JsonBody) -> Result<Option<Vec<HookEvent>>, ApiError> {
    let Some(names) = body.texts("events")? else {
        return Ok(None);
    };
    let mut events = names
        .iter()
        .map(|name| {
            HookEvent::parse(name).ok_or_else(|| {
                ApiError::invalid(
                    "events",
                    format!("events must be some of messages, statuses, instance, calls (got {name:?})"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    events.sort_unstable();
    events.dedup();
    if events.is_empty() {
        return Err(ApiError::invalid("events", "events must name at least one event"));
    }
    Ok(Some(events))
}

/// The body's secret, sealed for the store; None when left out.
fn sealed_secret(state: &AppState, body: &JsonBody) -> Result<Option<String>, ApiError> {
    let Some(secret) = body.text("secret")? else {
        return Ok(None);
    };
    if !SECRET_LEN.contains(&secret.len()) {
        return Err(ApiError::invalid(
            "secret",
            format!(
                "secret must be {} to {} characters long",
                SECRET_LEN.start(),
                SECRET_LEN.end()
            ),
        ));
    }
    Ok(Some(state.ghl.app.secrets().seal(&secret)))
}
