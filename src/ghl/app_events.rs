//! The marketplace app's own webhook events: INSTALL (a location added to
//! an agency install later, which gets its token from the agency's) and
//! UNINSTALL (the location's or agency's tokens are forgotten). Other
//! events are acknowledged and left alone. Which app an event is for, and
//! whether it is fresh, is checked before (see `api::ghl_events`).

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
    Forgotten(String),
    Ignored,
}

impl Handled {
    pub fn describe(&self) -> String {
        match self {
            Self::LocationAdded(id) => format!("location {id} added"),
            Self::Forgotten(id) => format!("{id} forgotten"),
            Self::Ignored => "ignored".into(),
        }
    }
}

pub async fn handle(tokens: &TokenKeeper, event: &AppEvent) -> Result<Handled, GhlError> {
    let (location, company) = (event.location_id.as_deref(), event.company_id.as_deref());
    match (event.kind.as_str(), location, company) {
        ("INSTALL", Some(location), Some(company)) if tokens.has(company).await? => {
            if !tokens.has(location).await? {
                tokens.add_company_location(company, location).await?;
            }
            Ok(Handled::LocationAdded(location.to_owned()))
        }
        ("UNINSTALL", Some(owner), _) | ("UNINSTALL", None, Some(owner)) => {
            tokens.forget(owner).await?;
            Ok(Handled::Forgotten(owner.to_owned()))
        }
        _ => Ok(Handled::Ignored),
    }
}
