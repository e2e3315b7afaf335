//! The Conversation Provider's Delivery URL, `POST /ghl/provider/outbound`:
//! GHL calls it (no API key; its Ed25519 signature is the proof) when an
//! agent or a workflow sends through the provider. The request is checked,
//! each part (text, attachments) is linked to GHL's `messageId` (for status
//! updates) and queued under an idempotency key made from it, so GHL's
//! retries never send twice; a `pending` status job is stored, and the
//! answer comes at once. A request that cannot be sent (a bad number, an
//! unlinked instance) is answered 200 too, and GHL hears `failed` with the
//! reason through the status API. A location no route serves is never sent
//! through whichever number exists: GHL hears `failed` when the location
//! has a token to hear it with, and the call is answered 404 otherwise
//! (GHL re-sends only on 429, so either answer is final). A failure that
//! may pass (the store not answering) is answered 429, so GHL sends the
//! request again. A reply to the contact that stands for a WhatsApp group
//! (`ghl::group_contacts`) goes to the group, from the number in it.

use crate::api::error::ApiError;
use crate::api::ghl::contact_number::routed_instance;
use crate::api::ghl::locations::parse_ghl_id;
use crate::api::send::{enqueue_as, parse_phone, request_id, SendRequest};
use crate::api::state::AppState;
use crate::domain::{new_message_id, InstanceId, Recipient};
use crate::ghl::provider::DeliveryRequest;
use crate::ghl::signature::GhlVerifier;
use crate::ghl::status::{status_job, GhlStatus};
use crate::store::GhlLink;
use serde_json::json;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(state: AppState, verifier: Arc<GhlVerifier>) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    warp::path!("ghl" / "provider" / "outbound")
        .and(warp::any().map(move || state.clone()))
        .and(request_id())
        .and(signed_by_ghl(limit, verifier))
        .and_then(|state, request_id, raw| async move {
            deliver(state, request_id, raw)
                .await
                .map_err(|e| warp::reject::custom(resend_if_transient(e)))
        })
        .boxed()
}

/// GHL re-sends a webhook (the Delivery URL's, or the app's) only when it
/// is answered 429, up to six times; every other answer is final (GHL's
/// help on Conversation Providers' Delivery URL). So a failure that may
/// pass (the store not answering, GHL itself unreachable) is answered 429,
/// and what is final keeps its status.
pub fn resend_if_transient(e: ApiError) -> ApiError {
    if !e.status.is_server_error() {
        return e;
    }
    tracing::warn!(code = e.code, error = %e.message, "a GHL webhook failed for now; GHL is asked to send it again");
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "try_again_later",
        format!("not handled for now ({}); send it again", e.message),
    )
}

/// A POST from GHL: its raw body, once `X-GHL-Signature` (Ed25519 over
/// those bytes) checks out; 401 otherwise.
pub fn signed_by_ghl(
    limit: u64,
    verifier: Arc<GhlVerifier>,
) -> impl Filter<Extract = (bytes::Bytes,), Error = warp::Rejection> + Clone {
    warp::post()
        .and(warp::header::optional::<String>("x-ghl-signature"))
        .and(warp::body::content_length_limit(limit))
        .and(warp::body::bytes())
        .and_then(move |signature: Option<String>, raw: bytes::Bytes| {
            let verifier = verifier.clone();
            async move {
                verifier
                    .verify(&raw, signature.as_deref())
                    .map_err(|e| ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", e.to_string()))?;
                Ok::<_, warp::Rejection>(raw)
            }
        })
}

async fn deliver(
    state: AppState,
    request_id: Option<String>,
    raw: bytes::Bytes,
) -> Result<warp::reply::WithStatus<warp::reply::Json>, ApiError> {
    let request: DeliveryRequest = serde_json::from_slice(&raw).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("not a GHL delivery request: {e}"),
        )
    })?;
    let location_id = parse_ghl_id("locationId", &request.location_id)?;
    let Some((instance, to)) = destination(&state, &location_id, &request).await? else {
        return unrouted(&state, &location_id, &request).await;
    };
    let sends = match plan(&state, &request, &instance, to, request_id) {
        Ok(sends) => sends,
        Err(refusal) => return refused(&state, &instance, &location_id, &request, refusal).await,
    };
    let mut queued = Vec::new();
    for (n, (send, key)) in sends.into_iter().enumerate() {
        let link = GhlLink {
            location_id: location_id.clone(),
            ghl_message_id: request.message_id.clone(),
            part: n as u32,
        };
        match queue_part(&state, send, link, key).await {
            Ok(id) => queued.push(id),
            Err(refusal) if n == 0 && refusal.status.is_client_error() => {
                return refused(&state, &instance, &location_id, &request, refusal).await
            }
            Err(e) => return Err(e),
        }
    }
    let body =
        json!({ "success": true, "messageId": request.message_id, "instanceId": instance, "queued": queued });
    Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::OK))
}

/// The number to send from and who to: for a contact that stands for a
/// WhatsApp group, the group, from the number that is in it; else the
/// contact's phone (None until `plan` checks it), from the number the
/// location's routes give it. None when no route serves the location.
async fn destination(
    state: &AppState,
    location_id: &str,
    request: &DeliveryRequest,
) -> Result<Option<(InstanceId, Option<Recipient>)>, ApiError> {
    if let Some(contact_id) = request.contact_id.as_deref() {
        let groups = &state.stores.group_contacts;
        if let Some(link) = groups.group_of_contact(location_id, contact_id).await? {
            return Ok(Some((link.instance, Some(Recipient::Group(link.group)))));
        }
    }
    // A number that does not parse is refused by `plan`, after routing.
    let phone = parse_phone("phone", &request.phone, state).ok();
    let phone = phone.as_ref().map(|p| p.e164());
    let routed = routed_instance(state, location_id, request.contact_id.as_deref(), phone).await?;
    Ok(routed.map(|instance| (instance, None)))
}

/// Every part as a checked send with its idempotency key, or why the
/// request cannot be sent.
fn plan(
    state: &AppState,
    request: &DeliveryRequest,
    instance: &InstanceId,
    to: Option<Recipient>,
    request_id: Option<String>,
) -> Result<Vec<(SendRequest, String)>, ApiError> {
    let to = match to {
        Some(to) => to,
        None => Recipient::Phone(parse_phone("phone", &request.phone, state)?),
    };
    let planned = request.planned_sends(state.settings.ghl.audio_as_voice);
    if planned.is_empty() {
        return Err(ApiError::missing("message"));
    }
    planned
        .into_iter()
        .map(|part| {
            let built = SendRequest::build(
                instance.clone(),
                to.clone(),
                part.kind,
                part.text,
                part.media_url,
                None,
            )?;
            let send = SendRequest {
                request_id: request_id.clone(),
                ..built
            };
            Ok((send, part.idempotency_key))
        })
        .collect()
}

/// A request that cannot be sent is still taken (an HTTP error would only
/// make GHL retry it): GHL hears `failed` with the reason instead.
async fn refused(
    state: &AppState,
    instance: &InstanceId,
    location_id: &str,
    request: &DeliveryRequest,
    refusal: ApiError,
) -> Result<warp::reply::WithStatus<warp::reply::Json>, ApiError> {
    tracing::info!(ghl_message = %request.message_id, reason = %refusal.message, "a GHL delivery cannot be sent");
    let link = GhlLink {
        location_id: location_id.to_owned(),
        ghl_message_id: request.message_id.clone(),
        part: 0,
    };
    let refused_id = format!("ghl:{}", request.message_id);
    let failed = status_job(&refused_id, &link, GhlStatus::Failed, Some(&refusal.message));
    let outbox = &state.stores.outbox;
    outbox
        .add_forward(instance, &refused_id, failed)
        .await
        .map_err(ApiError::from)?;
    state.forwarder_wakeup.notify_one();
    let body = json!({ "success": false, "messageId": request.message_id, "code": refusal.code,
                       "error": refusal.message, "reportedToGhl": "failed" });
    Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::OK))
}

/// Refuses a delivery for a location without a route: reported `failed` to
/// GHL when the location has a token, else answered 404.
async fn unrouted(
    state: &AppState,
    location_id: &str,
    request: &DeliveryRequest,
) -> Result<warp::reply::WithStatus<warp::reply::Json>, ApiError> {
    let refusal = ApiError {
        field: Some("locationId"),
        ..ApiError::new(
            StatusCode::NOT_FOUND,
            "location_not_routed",
            format!(
                "location {location_id} has no WhatsApp number in wagate: route it with \
                 PUT /api/ghl/locations/{location_id}"
            ),
        )
    };
    if !state.ghl.tokens.has(location_id).await.map_err(ApiError::from)? {
        tracing::info!(location = location_id, ghl_message = %request.message_id,
                       "a GHL delivery for a location with no route and no token was refused");
        return Err(refusal);
    }
    let label = InstanceId::parse(UNROUTED).expect("a valid instance id");
    refused(state, &label, location_id, request, refusal).await
}

/// The instance a refusal's status job is filed under when no instance
/// serves the location.
const UNROUTED: &str = "unrouted";

/// Links one part to its GHL message, queues it, and for the first part
/// stores the `pending` status job.
async fn queue_part(
    state: &AppState,
    send: SendRequest,
    link: GhlLink,
    key: String,
) -> Result<String, ApiError> {
    let id = new_message_id();
    state.stores.ghl.link_message(&id, &link).await?;
    let instance = send.instance.clone();
    let enqueued = enqueue_as(state, id, send, Some(key)).await?;
    if link.part == 0 && !enqueued.duplicate {
        let pending = status_job(&enqueued.id, &link, GhlStatus::Pending, None);
        state
            .stores
            .outbox
            .add_forward(&instance, &enqueued.id, pending)
            .await?;
        state.forwarder_wakeup.notify_one();
    }
    Ok(enqueued.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_that_may_pass_ask_ghl_to_send_again() {
        let store_down = resend_if_transient(ApiError::unavailable("the store did not answer"));
        assert_eq!(store_down.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(store_down.message.contains("the store did not answer"));
        let no_route = resend_if_transient(ApiError::not_found("no route"));
        assert_eq!(no_route.status, StatusCode::NOT_FOUND, "final stays final");
    }
}
