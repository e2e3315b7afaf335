//! The fake's Custom Menu Links, as apps/custom-menus.json has them:
//! Version 2021-07-28; an agency token ("Agency-Access") holding
//! `custom-menu-link.readonly` to list and `custom-menu-link.write` to
//! create or delete; the list paged by `skip` and `limit` (default 20) and
//! filtered by `query` (part of the title); a create body with every field
//! `CreateCustomMenuDTO` requires, enums checked (422 otherwise), answered
//! 201 with `customMenu`; a delete of an unknown id answered 404.

use super::http::{Reply, SeenRequest};
use super::state::{new_id, Grant, State, UserType, OAUTH_VERSION};
use serde_json::{json, Value};

const DEFAULT_PAGE: usize = 20;
const REQUIRED: [&str; 9] = [
    "title",
    "url",
    "icon",
    "showOnCompany",
    "showOnLocation",
    "showToAllLocations",
    "openMode",
    "locations",
    "userRole",
];

/// A menu link and the agency it belongs to.
#[derive(Clone, Debug)]
pub struct Menu {
    pub company_id: String,
    pub body: Value,
}

/// An agency token with `scope` (the operation's `security`).
fn agency(state: &mut State, req: &SeenRequest, scope: &str) -> Result<Grant, Reply> {
    state.check_version(req, OAUTH_VERSION)?;
    let grant = state.scoped(req, scope)?;
    if grant.user_type == UserType::Company {
        return Ok(grant);
    }
    let problem = format!("{}: custom menus need an agency token, got {grant:?}", req.line());
    Err(state.reject(problem, Reply::invalid_jwt()))
}

pub(super) fn list(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    let grant = agency(state, req, "custom-menu-link.readonly")?;
    let number = |name: &str, default: usize| {
        req.query
            .get(name)
            .map_or(Ok(default), |text| text.parse::<usize>())
    };
    let (Ok(skip), Ok(limit)) = (number("skip", 0), number("limit", DEFAULT_PAGE)) else {
        let problem = format!("{}: skip and limit must be numbers", req.line());
        return Err(state.reject(problem, Reply::error(422, vec!["skip and limit must be numbers"])));
    };
    let query = req.query.get("query").map(|q| q.to_lowercase());
    let matching: Vec<Value> = state
        .menus
        .iter()
        .filter(|m| m.company_id == grant.company_id)
        .filter(|m| {
            let title = m.body["title"].as_str().unwrap_or_default().to_lowercase();
            query.as_ref().is_none_or(|q| title.contains(q.as_str()))
        })
        .map(|m| m.body.clone())
        .collect();
    let page: Vec<Value> = matching.iter().skip(skip).take(limit).cloned().collect();
    Ok(Reply::ok(
        json!({ "customMenus": page, "totalLinks": matching.len() }),
    ))
}

pub(super) fn create(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    let grant = agency(state, req, "custom-menu-link.write")?;
    let body = req.json.clone().unwrap_or(Value::Null);
    let mut wrong: Vec<String> = REQUIRED
        .iter()
        .filter(|name| body.get(**name).is_none_or(Value::is_null))
        .map(|name| format!("{name} should not be empty"))
        .collect();
    let one_of = |name: &str, allowed: &[&str]| body[name].as_str().is_some_and(|v| allowed.contains(&v));
    if !one_of("openMode", &["iframe", "new_tab", "current_tab"]) {
        wrong.push("openMode must be one of iframe, new_tab, current_tab".into());
    }
    if !one_of("userRole", &["all", "admin", "user"]) {
        wrong.push("userRole must be one of all, admin, user".into());
    }
    let icon_ok = body["icon"]["name"].as_str().is_some_and(|n| !n.is_empty())
        && ["fab", "fas", "far"].contains(&body["icon"]["fontFamily"].as_str().unwrap_or_default());
    if !icon_ok {
        wrong.push("icon needs a name and a fontFamily of fab, fas or far".into());
    }
    if !body["locations"].is_array() {
        wrong.push("locations must be an array".into());
    }
    if !wrong.is_empty() {
        let problem = format!("{}: {}", req.line(), wrong.join(", "));
        return Err(state.reject(problem, Reply::error(422, wrong)));
    }
    let mut menu = body;
    menu["id"] = json!(new_id("menu-"));
    state.menus.push(Menu {
        company_id: grant.company_id,
        body: menu.clone(),
    });
    Ok(Reply::json(201, json!({ "customMenu": menu })))
}

pub(super) fn delete(state: &mut State, req: &SeenRequest, id: &str) -> Result<Reply, Reply> {
    let grant = agency(state, req, "custom-menu-link.write")?;
    let before = state.menus.len();
    state
        .menus
        .retain(|m| !(m.company_id == grant.company_id && m.body["id"] == id));
    if state.menus.len() == before {
        let problem = format!("{}: no such custom menu", req.line());
        return Err(state.reject(problem, Reply::error(404, "Custom menu not found")));
    }
    Ok(Reply::ok(json!({
        "success": true, "message": "Custom menu successfully deleted",
        "deletedMenuId": id, "deletedAt": chrono::Utc::now().to_rfc3339(),
    })))
}
