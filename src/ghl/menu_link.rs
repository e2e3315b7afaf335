//! The panel as a Custom Menu Link in the agency's GHL, made through GHL's
//! API when an agency installs the app, so nobody adds it by hand.
//! GoHighLevel/highlevel-api-docs, `apps/custom-menus.json` (Version
//! 2021-07-28, an agency token): `GET /custom-menus/` (scope
//! `custom-menu-link.readonly`; `skip`, `limit` default 20, `query` by
//! name) lists the agency's links, `POST /custom-menus/` (scope
//! `custom-menu-link.write`; every field of `CreateCustomMenuDTO`
//! required) makes one, `DELETE /custom-menus/{customMenuId}` (scope
//! `custom-menu-link.write`) removes it. The link opens `/panel/` in GHL's
//! iframe for every sub-account and the agency view; the panel then signs
//! the user in with GHL's user data (`api::panel::sso`). A link already
//! pointing at the panel is kept, so installing again makes no second one.

use super::client::{GhlClient, GhlError};
use crate::support::secrets::SecretText;
use reqwest::Method;
use serde_json::{json, Value};

const VERSION: &str = "2021-07-28";
pub const TITLE: &str = "WhatsApp";
const PAGE: usize = 100;

/// The menu link of the panel at `panel_url` in `company`'s GHL: the one
/// there, or a new one. Returns its id.
pub async fn ensure(
    client: &GhlClient,
    token: &SecretText,
    company: &str,
    panel_url: &str,
) -> Result<String, GhlError> {
    if let Some(id) = find(client, token, company, panel_url).await? {
        return Ok(id);
    }
    let body = json!({
        "title": TITLE,
        "url": panel_url,
        "icon": { "name": "whatsapp", "fontFamily": "fab" },
        "showOnCompany": true,
        "showOnLocation": true,
        "showToAllLocations": true,
        "openMode": "iframe",
        "locations": [],
        "userRole": "all",
        "allowCamera": false,
        "allowMicrophone": false,
    });
    let request = client
        .request(Method::POST, "/custom-menus/", VERSION, Some(token))
        .json(&body);
    let answer = client.send(company, request).await?;
    id_of(&answer["customMenu"]).ok_or_else(|| GhlError::BadAnswer("no customMenu.id in GHL's answer".into()))
}

/// Removes the panel's menu link from `company`'s GHL; its id, or `None`
/// when there was none.
pub async fn remove(
    client: &GhlClient,
    token: &SecretText,
    company: &str,
    panel_url: &str,
) -> Result<Option<String>, GhlError> {
    let Some(id) = find(client, token, company, panel_url).await? else {
        return Ok(None);
    };
    let path = format!("/custom-menus/{id}");
    let request = client.request(Method::DELETE, &path, VERSION, Some(token));
    client.send(company, request).await?;
    Ok(Some(id))
}

/// The id of the agency's menu link that opens `panel_url`, page by page.
async fn find(
    client: &GhlClient,
    token: &SecretText,
    company: &str,
    panel_url: &str,
) -> Result<Option<String>, GhlError> {
    let limit = PAGE.to_string();
    let mut skip = 0;
    loop {
        let request = client
            .request(Method::GET, "/custom-menus/", VERSION, Some(token))
            .query(&[("query", TITLE), ("limit", &limit), ("skip", &skip.to_string())]);
        let answer = client.send(company, request).await?;
        let menus = answer["customMenus"]
            .as_array()
            .ok_or_else(|| GhlError::BadAnswer("no customMenus in GHL's answer".into()))?;
        let ours = menus.iter().find(|m| m["url"].as_str() == Some(panel_url));
        if let Some(menu) = ours {
            return Ok(id_of(menu));
        }
        if menus.len() < PAGE {
            return Ok(None);
        }
        skip += PAGE;
    }
}

fn id_of(menu: &Value) -> Option<String> {
    menu["id"].as_str().filter(|id| !id.is_empty()).map(str::to_owned)
}
