//! What a panel token may do: the routes the panel uses, for the instances
//! the token names. Routes whose instance is in the body (create, send) or
//! whose answer must be narrowed (the list) are checked here; routes that
//! name the instance in the path or query pass a guard and then run as
//! usual. Everything else (deleting, panel links, the outbox, the sim) is
//! refused with 403: those need the API key.

use crate::api::body::{json_body, JsonBody};
use crate::api::common::{parse_instance_id, with_state, ApiResult};
use crate::api::error::ApiError;
use crate::api::instances::{self, Dialect};
use crate::api::panel::token::Claims;
use crate::api::send::{accept, idempotency_key, Caller, SendRequest};
use crate::api::state::AppState;
use crate::api::Routes;
use crate::domain::InstanceId;
use std::collections::HashMap;
use warp::http::{Method, StatusCode};
use warp::{Filter, Reply};

/// Wraps `api` (every keyed route) for panel-token requests.
pub fn routes(
    state: AppState,
    claims: impl Filter<Extract = (Claims,), Error = warp::Rejection> + Clone + Send + Sync + 'static,
    api: Routes,
) -> Routes {
    let limit = state.settings.http.max_body_bytes;
    let collection = warp::path("instances")
        .or(warp::path("wa").and(warp::path("instances")))
        .unify()
        .and(warp::path::end());
    let list = warp::path("instances")
        .map(|| Dialect::Wagate)
        .or(warp::path!("wa" / "instances").map(|| Dialect::Original))
        .unify()
        .and(warp::path::end())
        .and(warp::get())
        .and(claims.clone())
        .and(with_state(state.clone()))
        .and_then(|dialect, claims: Claims, state| {
            instances::list_where(state, move |id| claims.allows(id), dialect)
        });
    let create = collection
        .and(warp::post())
        .and(claims.clone())
        .and(with_state(state.clone()))
        .and(json_body(limit))
        .and_then(create);
    let send = warp::path!("send")
        .and(warp::post())
        .and(claims.clone())
        .and(with_state(state))
        .and(idempotency_key())
        .and(json_body(limit))
        .and_then(send);
    let guarded = claims
        .and(warp::method())
        .and(warp::path::peek())
        .and(warp::query::<HashMap<String, String>>())
        .and_then(
            |claims: Claims, method: Method, path: warp::path::Peek, query| async move {
                if handled_above(&method, path.as_str()) {
                    return Err(warp::reject::not_found());
                }
                guard(&claims, &method, path.as_str(), &query).map_err(warp::reject::custom)
            },
        )
        .untuple_one()
        .and(api);
    list.or(create)
        .unify()
        .or(send)
        .unify()
        .map(Reply::into_response)
        .or(guarded)
        .unify()
        .boxed()
}

async fn create(claims: Claims, state: AppState, body: JsonBody) -> ApiResult {
    let id = parse_instance_id(&body.required("instanceId")?)?;
    in_scope(&claims, &id)?;
    instances::create(state, body).await
}

async fn send(claims: Claims, state: AppState, key: Option<String>, body: JsonBody) -> ApiResult {
    let request = SendRequest::from_body(&body, &state)?;
    in_scope(&claims, &request.instance)?;
    accept(&state, request, Caller::PanelLink, key).await
}

/// The routes served by the checked handlers above; the guard steps aside
/// so that their own errors are the ones answered.
fn handled_above(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        (method.as_str(), segments.as_slice()),
        ("GET" | "POST", ["instances"] | ["wa", "instances"]) | ("POST", ["send"])
    )
}

/// Lets through the panel's routes that name their instance in the path
/// or query, when the token covers that instance.
fn guard(
    claims: &Claims,
    method: &Method,
    path: &str,
    query: &HashMap<String, String>,
) -> Result<(), ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let instance = match (method.as_str(), segments.as_slice()) {
        ("GET", ["wa", "qr" | "qr-check" | "status", id]) => Some(*id),
        ("GET", ["wa", "instances", "available"]) => None,
        // The routes name every number a location uses: a link for all numbers only.
        ("GET", ["ghl", "locations"]) if claims.instances.is_none() => None,
        ("POST", ["wa", "pair-code" | "reconnect" | "clear" | "logout", id]) => Some(*id),
        ("GET", ["instances", id] | ["instances", id, "groups"]) => Some(*id),
        ("GET" | "PUT", ["instances", id, "settings"]) => Some(*id),
        ("GET" | "POST", ["instances", id, "webhooks"]) => Some(*id),
        ("PUT" | "DELETE", ["instances", id, "webhooks", _]) => Some(*id),
        ("GET", ["messages", "history"]) => match query.get("instanceId") {
            Some(id) => Some(id.as_str()),
            None if claims.instances.is_some() => {
                return Err(forbidden("this panel link must name an instanceId it may see"))
            }
            None => None,
        },
        (_, ["panel-links"]) => return Err(forbidden("a panel link cannot create panel links")),
        ("DELETE", _) | (_, ["wa", "delete", _]) => {
            return Err(forbidden("a panel link cannot delete instances; use the API key"))
        }
        _ => return Err(forbidden("a panel link cannot use this route; use the API key")),
    };
    match instance {
        Some(raw) => match InstanceId::parse(raw) {
            Ok(id) => in_scope(claims, &id),
            Err(_) if claims.instances.is_none() => Ok(()),
            Err(_) => Err(out_of_scope(raw)),
        },
        None => Ok(()),
    }
}

fn in_scope(claims: &Claims, id: &InstanceId) -> Result<(), ApiError> {
    if claims.allows(id) {
        Ok(())
    } else {
        Err(out_of_scope(id.as_str()))
    }
}

fn out_of_scope(id: &str) -> ApiError {
    forbidden(&format!(
        "this panel link does not give access to instance {id:?}"
    ))
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(scope: Option<&[&str]>) -> Claims {
        Claims {
            expires_at: i64::MAX,
            instances: scope.map(|ids| ids.iter().map(|i| InstanceId::parse(i).unwrap()).collect()),
        }
    }

    fn check(claims: &Claims, method: Method, path: &str, query: &[(&str, &str)]) -> Result<(), u16> {
        let query = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        guard(claims, &method, path, &query).map_err(|e| e.status.as_u16())
    }

    #[test]
    fn a_scoped_token_reaches_its_instance_only() {
        let wa01 = claims(Some(&["wa-01"]));
        assert_eq!(check(&wa01, Method::GET, "wa/qr/wa-01", &[]), Ok(()));
        assert_eq!(check(&wa01, Method::POST, "wa/reconnect/wa-01", &[]), Ok(()));
        assert_eq!(check(&wa01, Method::GET, "wa/qr/wa-02", &[]), Err(403));
        assert_eq!(check(&wa01, Method::PUT, "instances/wa-01/settings", &[]), Ok(()));
        assert_eq!(check(&wa01, Method::GET, "instances/wa-02", &[]), Err(403));
        assert_eq!(
            check(&wa01, Method::POST, "instances/wa-01/webhooks", &[]),
            Ok(())
        );
        assert_eq!(
            check(&wa01, Method::DELETE, "instances/wa-01/webhooks/x", &[]),
            Ok(())
        );
        assert_eq!(
            check(&wa01, Method::GET, "instances/wa-02/webhooks", &[]),
            Err(403)
        );
        assert_eq!(check(&wa01, Method::DELETE, "instances/wa-01", &[]), Err(403));
        assert_eq!(check(&wa01, Method::GET, "wa/qr/..%2F", &[]), Err(403));
        let history = "messages/history";
        assert_eq!(
            check(&wa01, Method::GET, history, &[("instanceId", "wa-01")]),
            Ok(())
        );
        assert_eq!(
            check(&wa01, Method::GET, history, &[("instanceId", "wa-02")]),
            Err(403)
        );
        assert_eq!(check(&wa01, Method::GET, history, &[]), Err(403));
    }

    #[test]
    fn no_token_deletes_creates_links_or_leaves_the_panel_routes() {
        let open = claims(None);
        assert_eq!(check(&open, Method::GET, "messages/history", &[]), Ok(()));
        assert_eq!(check(&open, Method::DELETE, "instances/wa-01", &[]), Err(403));
        assert_eq!(check(&open, Method::DELETE, "wa/delete/wa-01", &[]), Err(403));
        assert_eq!(check(&open, Method::POST, "panel-links", &[]), Err(403));
        assert_eq!(check(&open, Method::GET, "forwards", &[]), Err(403));
        assert_eq!(check(&open, Method::POST, "sim/wa-01/scan", &[]), Err(403));
    }
}
