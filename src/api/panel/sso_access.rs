//! What a GHL user signed in from inside GHL may see in the panel, decided
//! from the user context GHL vouched for and what is installed here:
//!
//! - a sub-account user (`type` "location"), or an agency user with the
//!   role "user" (GHL limits those to the sub-accounts they are given,
//!   which this gateway cannot see), gets the numbers of the sub-account
//!   they have open (`activeLocation`) and no other; that location must
//!   hold this app's token, for the same agency;
//! - an agency admin (`type` "agency", role "admin") of an agency that
//!   installed the app gets the whole agency: every number when the
//!   agency's installs are the only ones here, else the numbers routed to
//!   its sub-accounts.
//!
//! Anyone else is refused. The list is read at sign-in: numbers routed to
//! the location later show once the panel is opened again. Whoever is
//! inside a sub-account has the panel open on its default number.

use crate::api::error::ApiError;
use crate::domain::InstanceId;
use crate::ghl::user_context::UserContext;
use crate::store::{StoredToken, Stores, TokenOwnerKind};
use std::collections::BTreeSet;
use warp::http::StatusCode;

/// What the panel token will cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// "agency" or "location".
    pub reach: &'static str,
    /// The sub-account the user has open, if any.
    pub location_id: Option<String>,
    /// None: every instance.
    pub instances: Option<Vec<InstanceId>>,
    /// The number the panel opens on: the open sub-account's default.
    pub open_on: Option<InstanceId>,
}

pub async fn decide(stores: &Stores, user: &UserContext) -> Result<Grant, ApiError> {
    let tokens = stores.ghl.tokens().await?;
    let agency_admin = user.kind == "agency" && user.role == "admin";
    let active = user.active_location.as_deref().filter(|l| !l.is_empty());
    let open_on = match active {
        Some(location) => stores
            .routes
            .location(location)
            .await?
            .map(|r| r.default_instance_id),
        None => None,
    };
    if agency_admin {
        let reach = agency(stores, &tokens, &user.company_id).await?;
        return Ok(Grant {
            location_id: active.map(str::to_owned),
            open_on,
            ..reach
        });
    }
    let Some(location) = active else {
        return Err(forbidden(
            "choose_location",
            "open the panel from inside a sub-account: only agency admins see the whole agency",
        ));
    };
    let installed = tokens.iter().any(|t| {
        t.kind == TokenOwnerKind::Location
            && t.owner_id == location
            && t.company_id.as_deref().is_none_or(|c| c == user.company_id)
    });
    if !installed {
        return Err(not_installed(&format!(
            "this app is not installed in the sub-account {location:?}"
        )));
    }
    Ok(Grant {
        reach: "location",
        location_id: Some(location.to_owned()),
        instances: Some(location_instances(stores, &[location]).await?),
        open_on,
    })
}

async fn agency(stores: &Stores, tokens: &[StoredToken], company: &str) -> Result<Grant, ApiError> {
    let ours = |t: &StoredToken| match t.kind {
        TokenOwnerKind::Company => t.owner_id == company,
        TokenOwnerKind::Location => t.company_id.as_deref() == Some(company),
    };
    if !tokens.iter().any(ours) {
        return Err(not_installed(&format!(
            "this app is not installed for the agency {company:?}"
        )));
    }
    let instances = if tokens.iter().all(ours) {
        None
    } else {
        let locations: Vec<&str> = tokens
            .iter()
            .filter(|t| t.kind == TokenOwnerKind::Location && ours(t))
            .map(|t| t.owner_id.as_str())
            .collect();
        Some(location_instances(stores, &locations).await?)
    };
    Ok(Grant {
        reach: "agency",
        location_id: None,
        instances,
        open_on: None,
    })
}

/// The instances routed to any of `locations`, each once.
async fn location_instances(stores: &Stores, locations: &[&str]) -> Result<Vec<InstanceId>, ApiError> {
    let mut found = BTreeSet::new();
    for location in locations {
        if let Some(route) = stores.routes.location(location).await? {
            found.insert(route.default_instance_id);
            found.extend(route.instance_ids);
        }
    }
    Ok(found.into_iter().collect())
}

fn not_installed(message: &str) -> ApiError {
    forbidden("not_installed", message)
}

fn forbidden(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, message)
}
