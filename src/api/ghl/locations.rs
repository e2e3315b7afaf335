//! GHL number routing: which instances serve a GHL location (sends for it
//! go through its default instance), and per-contact overrides. Used by the
//! workflow route when a body names a location rather than an instance.

use crate::api::body::{json_body, JsonBody};
use crate::api::common::{ok, parse_instance_id, with_state, ApiResult};
use crate::api::error::ApiError;
use crate::api::ghl::contact_number::routed_instance;
use crate::api::state::AppState;
use crate::domain::InstanceId;
use crate::store::{LocationRoute, NewContacts};
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    let list = warp::path!("ghl" / "locations")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(list);
    let put = warp::path!("ghl" / "locations" / String)
        .and(warp::put())
        .and(with_state(state.clone()))
        .and(json_body(limit))
        .and_then(put_location);
    let delete = warp::path!("ghl" / "locations" / String)
        .and(warp::delete())
        .and(with_state(state.clone()))
        .and_then(delete_location);
    let contact = warp::path!("ghl" / "locations" / String / "contacts" / String)
        .and(warp::put())
        .and(with_state(state))
        .and(json_body(limit))
        .and_then(put_contact);
    list.or(put).or(delete).or(contact).boxed()
}

/// GHL ids are short runs of letters, digits, `-` and `_`.
pub fn parse_ghl_id(field: &'static str, raw: &str) -> Result<String, ApiError> {
    let ok = !raw.is_empty()
        && raw.len() <= 100
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| raw.to_owned())
        .ok_or_else(|| ApiError::invalid(field, format!("{field} {raw:?} is not a GHL id")))
}

/// The instance that serves a location's contact for the workflow route:
/// the routed one (see [`routed_instance`]), else the gateway's only
/// instance.
pub async fn instance_for_location(
    state: &AppState,
    location_id: &str,
    contact_id: Option<&str>,
    phone: Option<&str>,
) -> Result<InstanceId, ApiError> {
    if let Some(id) = routed_instance(state, location_id, contact_id, phone).await? {
        return Ok(id);
    }
    only_instance(state).await?.ok_or_else(|| ApiError {
        field: Some("locationId"),
        ..ApiError::not_found(format!(
            "location {location_id} has no instance: name instanceId, or route the location with \
             PUT /api/ghl/locations/{location_id}"
        ))
    })
}

/// The gateway's instance when it has exactly one.
pub async fn only_instance(state: &AppState) -> Result<Option<InstanceId>, ApiError> {
    let mut all = state.stores.instances.instances().await?;
    Ok((all.len() == 1).then(|| all.remove(0).id))
}

async fn list(state: AppState) -> ApiResult {
    let routes = state.stores.routes.locations().await.map_err(ApiError::from)?;
    ok(json!({ "count": routes.len(), "locations": routes }))
}

async fn existing_instance(state: &AppState, raw: &str) -> Result<InstanceId, ApiError> {
    let id = parse_instance_id(raw)?;
    match state.stores.instances.instance(&id).await? {
        Some(_) => Ok(id),
        None => Err(ApiError::unknown_instance(raw)),
    }
}

async fn put_location(raw_location: String, state: AppState, body: JsonBody) -> ApiResult {
    let location_id = parse_ghl_id("locationId", &raw_location)?;
    let default_instance_id = existing_instance(&state, &body.required("defaultInstanceId")?).await?;
    let mut instance_ids = vec![default_instance_id.clone()];
    for raw in body.texts("instanceIds")?.unwrap_or_default() {
        let id = existing_instance(&state, &raw).await?;
        if !instance_ids.contains(&id) {
            instance_ids.push(id);
        }
    }
    let new_contacts = match body.text("newContacts")?.as_deref() {
        None | Some("default") => NewContacts::Default,
        Some("leastLoaded") => NewContacts::LeastLoaded,
        Some("roundRobin") => NewContacts::RoundRobin,
        Some(other) => {
            let why =
                format!("newContacts must be \"default\", \"leastLoaded\" or \"roundRobin\" (got {other:?})");
            return Err(ApiError::invalid("newContacts", why).into());
        }
    };
    let route = LocationRoute {
        location_id,
        default_instance_id,
        instance_ids,
        new_contacts,
    };
    state
        .stores
        .routes
        .set_location(&route)
        .await
        .map_err(ApiError::from)?;
    ok(json!({ "location": route }))
}

async fn delete_location(raw_location: String, state: AppState) -> ApiResult {
    let location_id = parse_ghl_id("locationId", &raw_location)?;
    if !state
        .stores
        .routes
        .remove_location(&location_id)
        .await
        .map_err(ApiError::from)?
    {
        return Err(ApiError::not_found(format!("location {location_id} has no route")).into());
    }
    ok(json!({ "locationId": location_id, "deleted": true }))
}

async fn put_contact(
    raw_location: String,
    raw_contact: String,
    state: AppState,
    body: JsonBody,
) -> ApiResult {
    let location_id = parse_ghl_id("locationId", &raw_location)?;
    let contact_id = parse_ghl_id("contactId", &raw_contact)?;
    let route = state
        .stores
        .routes
        .location(&location_id)
        .await
        .map_err(ApiError::from)?;
    let route = route
        .ok_or_else(|| ApiError::not_found(format!("location {location_id} has no route; PUT it first")))?;
    let instance = match body.text("instanceId")? {
        Some(raw) => Some(parse_instance_id(&raw)?),
        None => None,
    };
    if let Some(id) = &instance {
        if !route.instance_ids.contains(id) {
            let why =
                format!("instance {id} does not serve location {location_id}; add it to instanceIds first");
            return Err(ApiError::invalid("instanceId", why).into());
        }
    }
    state
        .stores
        .routes
        .set_contact_instance(&location_id, &contact_id, instance.as_ref())
        .await
        .map_err(ApiError::from)?;
    ok(json!({ "locationId": location_id, "contactId": contact_id, "instanceId": instance }))
}
