//! The marketplace app's own webhook events: INSTALL (a location added to
//! an agency install later, which gets its token from the agency's) and
//! UNINSTALL (the location's, or an agency's and all its locations',
//! tokens are forgotten). Other
//! events are acknowledged and left alone. Which app an event is for, and
//! whether it is fresh, is checked before (see `api::ghl::webhooks`).

use super::client::GhlError;
use super::tokens::TokenKeeper;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub app_id: Option<String>,
    pub webhook_id: Option<String>,
    pub timestamp: Option<String>,
    pub location_id: Option<String>,
    pub company_id: Option<String>,
}

/// What an event changed, for the answer and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    LocationAdded(String),
    /// The ids whose tokens were forgotten.
    Forgotten(Vec<String>),
    Ignored,
}

impl Handled {
    pub fn describe(&self) -> String {
        match self {
            Self::LocationAdded(id) => format!("location {id} added"),
            Self::Forgotten(ids) => format!("forgotten: {}", ids.join(", ")),
            Self::Ignored => "ignored".into(),
        }
    }
}

/// INSTALL of a location (docs/webhook events/AppInstall.md; `companyId`
/// may be missing) gets it a token from its agency's, unless it has one
/// (a Location install's came through the OAuth redirect) or no agency
/// held here covers it; an agency-level INSTALL (no `locationId`) was
/// handled by the redirect. UNINSTALL (docs/webhook events/AppUninstall.md)
/// forgets the location, or with only `companyId` the agency and all of
/// its locations.
pub async fn handle(tokens: &TokenKeeper, event: &AppEvent) -> Result<Handled, GhlError> {
    let (location, company) = (event.location_id.as_deref(), event.company_id.as_deref());
    match (event.kind.as_str(), location, company) {
        ("INSTALL", Some(location), _) if tokens.has(location).await? => {
            Ok(Handled::LocationAdded(location.to_owned()))
        }
        ("INSTALL", Some(location), company) => match tokens.add_location(location, company).await? {
            Some(_) => Ok(Handled::LocationAdded(location.to_owned())),
            None => Ok(Handled::Ignored),
        },
        ("UNINSTALL", Some(location), _) => {
            let forgotten = tokens.forget(location).await?;
            Ok(Handled::Forgotten(
                forgotten.then(|| location.to_owned()).into_iter().collect(),
            ))
        }
        ("UNINSTALL", None, Some(company)) => Ok(Handled::Forgotten(tokens.forget_agency(company).await?)),
        _ => Ok(Handled::Ignored),
    }
}
