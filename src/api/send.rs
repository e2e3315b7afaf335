//! Queueing sends: `POST /api/send` (and the GHL workflow route, which
//! shares [`accept`]). A send is validated, stored as queued with its
//! WhatsApp id, and answered 202; the instance's sender does the rest.

use super::body::{json_body, JsonBody};
use super::common::{ok, parse_instance_id, with_state, ApiResult};
use super::error::ApiError;
use super::send_details::{self, Named, SendFields};
use super::state::AppState;
use crate::domain::{
    new_message_id, GroupId, InstanceId, MessageDetails, MessageKind, Phone, PhoneError, Recipient,
};
use crate::store::{Enqueued, NewOutbound};
use crate::support::clock::now_ms;
use crate::wa::actor::InstanceView;
use crate::wa::media::voice::check_voice_url;
use crate::wa::InstanceStatus;
use serde_json::json;
use std::sync::atomic::Ordering;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

/// WhatsApp's own limit on a text message's length, in characters.
const MAX_TEXT_CHARS: usize = 65_536;
const MAX_IDEMPOTENCY_KEY: usize = 200;

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    let send = warp::path!("send")
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(idempotency_key())
        .and(request_id())
        .and(json_body(limit))
        .and_then(|state: AppState, key, request_id, body: JsonBody| async move {
            let request = SendRequest {
                request_id,
                ..SendRequest::from_body(&body, &state)?
            };
            accept(&state, request, Caller::ApiKey, key).await
        });
    let stats = warp::path!("send" / "stats")
        .and(warp::get())
        .and(with_state(state))
        .and_then(stats);
    send.or(stats).boxed()
}

/// The request's id (X-Request-Id, set for every request by `observe`).
pub fn request_id() -> impl Filter<Extract = (Option<String>,), Error = std::convert::Infallible> + Clone {
    warp::header::optional::<String>("x-request-id")
        .or_else(|_| async { Ok::<_, std::convert::Infallible>((None,)) })
}

/// The `Idempotency-Key` header: the same key twice (from the same caller,
/// for the same instance and the same message) queues once.
pub fn idempotency_key() -> impl Filter<Extract = (Option<String>,), Error = warp::Rejection> + Clone {
    warp::header::optional::<String>("idempotency-key").and_then(|key: Option<String>| async move {
        match key.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()) {
            Some(k) if k.len() > MAX_IDEMPOTENCY_KEY => Err(warp::reject::custom(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_header",
                format!("Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters"),
            ))),
            other => Ok(other),
        }
    })
}

/// Who chose an `Idempotency-Key`: the keys of different callers never
/// meet, and neither do those of different instances.
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    ApiKey,
    PanelLink,
}

/// A caller's `Idempotency-Key` as the store keeps it: within the caller
/// and the instance (neither has a `:` in it).
fn scoped_key(caller: Caller, instance: &InstanceId, key: &str) -> String {
    let caller = match caller {
        Caller::ApiKey => "key",
        Caller::PanelLink => "link",
    };
    format!("{caller}:{instance}:{key}")
}

/// A send, checked field by field.
pub struct SendRequest {
    pub instance: InstanceId,
    pub to: Recipient,
    pub kind: MessageKind,
    pub text: String,
    pub media_url: Option<String>,
    pub caption: Option<String>,
    /// A location's or contact card's content (quotes and reactions are
    /// added from `named` when the send is accepted).
    pub details: MessageDetails,
    /// Earlier messages the send names by id.
    pub named: Named,
    /// The HTTP request's id (X-Request-Id), kept with the message.
    pub request_id: Option<String>,
}

impl SendRequest {
    pub fn from_body(body: &JsonBody, state: &AppState) -> Result<Self, ApiError> {
        let instance = parse_instance_id(&body.required("instanceId")?)?;
        let to = parse_recipient("to", &body.required("to")?, state)?;
        Self::read(body, instance, to, state)
    }

    /// The send `fields` describe, to `to` through `instance`.
    pub fn read(
        fields: &dyn SendFields,
        instance: InstanceId,
        to: Recipient,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let kind = send_details::kind(fields)?;
        let extra = send_details::read(fields, kind, state.settings.default_country)?;
        let built = match extra.text {
            Some(text) => Self {
                details: extra.details,
                ..Self::plain(instance, to, kind, text)
            },
            None => Self::build(
                instance,
                to,
                kind,
                fields.text("message")?,
                fields.text("mediaUrl")?,
                fields.text("caption")?,
            )?,
        };
        Ok(Self {
            named: extra.named,
            ..built
        })
    }

    pub fn build(
        instance: InstanceId,
        to: Recipient,
        kind: MessageKind,
        text: Option<String>,
        media_url: Option<String>,
        caption: Option<String>,
    ) -> Result<Self, ApiError> {
        if kind.is_media() {
            let url = media_url.ok_or_else(|| ApiError::missing("mediaUrl"))?;
            check_media_url(&url)?;
            if kind == MessageKind::Voice {
                check_voice_url(&url).map_err(|why| ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "unsupported_voice_format",
                    message: why,
                    field: Some("mediaUrl"),
                })?;
            }
            return Ok(Self {
                media_url: Some(url),
                caption: caption.or(text),
                ..Self::plain(instance, to, kind, String::new())
            });
        }
        let text = text.ok_or_else(|| ApiError::missing("message"))?;
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(ApiError::invalid(
                "message",
                format!("message is longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
        Ok(Self::plain(instance, to, kind, text))
    }

    /// A send of `kind` with only its text.
    fn plain(instance: InstanceId, to: Recipient, kind: MessageKind, text: String) -> Self {
        Self {
            request_id: None,
            instance,
            to,
            kind,
            text,
            media_url: None,
            caption: None,
            details: MessageDetails::default(),
            named: Named::default(),
        }
    }
}

/// A recipient from a field: a group id (`...@g.us`), else a phone number
/// (see [`parse_phone`]).
pub fn parse_recipient(field: &'static str, raw: &str, state: &AppState) -> Result<Recipient, ApiError> {
    if GroupId::looks_like(raw) {
        let group = GroupId::parse(raw).map_err(|e| ApiError::invalid(field, e.to_string()))?;
        return Ok(Recipient::Group(group));
    }
    parse_phone(field, raw, state).map(Recipient::Phone)
}

/// A phone number from a field: 400 when it is not a number, 422 when it
/// lacks a country code and no DEFAULT_COUNTRY is set.
pub fn parse_phone(field: &'static str, raw: &str, state: &AppState) -> Result<Phone, ApiError> {
    Phone::parse(raw, state.settings.default_country).map_err(|e| {
        let status = match e {
            PhoneError::NoCountryCode(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError {
            status,
            code: "invalid_phone",
            message: e.to_string(),
            field: Some(field),
        }
    })
}

fn check_media_url(url: &str) -> Result<(), ApiError> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(()),
        _ => Err(ApiError::invalid("mediaUrl", "mediaUrl must be an http(s) URL")),
    }
}

/// The 202 answer to an accepted send, with the original gateway's fields.
/// Typed rather than built as a JSON value: every send answers with it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Accepted<'a> {
    success: bool,
    message: &'static str,
    id: &'a str,
    job_id: &'a str,
    instance_id: &'a InstanceId,
    #[serde(rename = "type")]
    kind: MessageKind,
    status: &'static str,
    duplicate: bool,
}

/// Stores the send for its instance's queue and answers 202.
pub async fn accept(
    state: &AppState,
    request: SendRequest,
    caller: Caller,
    key: Option<String>,
) -> ApiResult {
    let (instance, kind) = (request.instance.clone(), request.kind);
    let key = key.map(|key| scoped_key(caller, &instance, &key));
    let enqueued = enqueue(state, request, key).await?;
    let answer = Accepted {
        success: true,
        message: "queued",
        id: &enqueued.id,
        job_id: &enqueued.id,
        instance_id: &instance,
        kind,
        status: "queued",
        duplicate: enqueued.duplicate,
    };
    Ok(warp::reply::with_status(
        warp::reply::json(&answer),
        StatusCode::ACCEPTED,
    ))
}

/// Stores the send for its instance's queue (an instance that is not linked
/// refuses it) and wakes the instance's sender. `key` is an idempotency key
/// as stored: a key seen before answers the earlier message when the
/// request is the same, and 422 when it is not.
pub async fn enqueue(
    state: &AppState,
    request: SendRequest,
    key: Option<String>,
) -> Result<Enqueued, ApiError> {
    enqueue_as(state, new_message_id(), request, key).await
}

/// [`enqueue`] under an id chosen beforehand (so it can be referred to
/// before the message is queued).
pub async fn enqueue_as(
    state: &AppState,
    id: String,
    request: SendRequest,
    key: Option<String>,
) -> Result<Enqueued, ApiError> {
    let view = linked_view(state, &request.instance).await?;
    if view.phone.is_none() && view.status != InstanceStatus::Online {
        let status = view.status.as_str();
        let why = format!(
            "instance {} is not linked to WhatsApp (it is {status}); scan its QR first",
            request.instance
        );
        return Err(ApiError::conflict("instance_not_linked", why));
    }
    let details = send_details::resolve(
        state,
        &request.instance,
        &request.to,
        request.details,
        request.named,
    )
    .await?;
    let message = NewOutbound {
        id,
        instance: request.instance.clone(),
        to: request.to.as_str().to_owned(),
        kind: request.kind,
        text: request.text,
        media_url: request.media_url,
        caption: request.caption,
        details,
        created_at_ms: now_ms(),
        request_id: request.request_id,
    };
    // Kept only where a duplicate may have to be told apart from a reuse.
    let keyed = key.is_some().then(|| message.clone());
    let enqueued = state.stores.queue.enqueue(message, key).await?;
    // Deleted since its session was looked at: the store took nothing.
    let enqueued = enqueued.ok_or_else(|| ApiError::unknown_instance(request.instance.as_str()))?;
    if !enqueued.duplicate {
        state.fleet.wake(&request.instance).await;
    } else if let Some(message) = keyed {
        same_send_as_before(state, &enqueued.id, &message).await?;
    }
    Ok(enqueued)
}

/// Refuses (422) an idempotency key reused for a different send, as
/// payment APIs do: answering it as a duplicate would report a message
/// that will never be sent.
async fn same_send_as_before(state: &AppState, earlier: &str, message: &NewOutbound) -> Result<(), ApiError> {
    let Some(stored) = state.stores.log.message(earlier).await? else {
        return Ok(());
    };
    let same = stored.instance_id == message.instance
        && stored.to.as_deref() == Some(message.to.as_str())
        && stored.kind == message.kind
        && stored.text == message.text
        && stored.media_url == message.media_url
        && stored.caption == message.caption
        && stored.details == message.details;
    if same {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        format!("this Idempotency-Key was used for another send (message {earlier}); use a new key for a new message"),
    ))
}

/// The instance's state: its session's own when it runs in this process
/// (no store read; the enqueue itself refuses an instance deleted
/// meanwhile), else as the fleet shows it from the stored record.
async fn linked_view(state: &AppState, instance: &InstanceId) -> Result<InstanceView, ApiError> {
    if let Some(view) = state.fleet.local_view(instance) {
        return Ok(view);
    }
    let record = state.stores.instances.instance(instance).await?;
    let record = record.ok_or_else(|| ApiError::unknown_instance(instance.as_str()))?;
    Ok(state.fleet.view(&record).await.view)
}

async fn stats(state: AppState) -> ApiResult {
    let mut stats = state.stores.queue.stats().await.map_err(ApiError::from)?;
    stats.active = state.in_flight.load(Ordering::Relaxed);
    stats.waiting = stats.waiting.saturating_sub(stats.active);
    ok(json!({ "stats": stats }))
}
