//! Contacts: the duplicate search by phone, the upsert (one contact per
//! phone in a location) and Create Contact (a contact without a phone, as
//! a WhatsApp group's is).

use super::http::{Reply, SeenRequest};
use super::state::{is_e164, Contact, State, CONTACTS_VERSION};
use serde_json::{json, Value};

pub(super) fn contact_json(contact: &Contact) -> Value {
    json!({
        "id": contact.id,
        "phone": Some(&contact.phone).filter(|phone| !phone.is_empty()),
        "locationId": contact.location_id,
        "name": contact.name,
        "tags": contact.tags,
    })
}

fn check_phone(state: &mut State, req: &SeenRequest, phone: &str) -> Result<(), Reply> {
    if is_e164(phone) {
        return Ok(());
    }
    let problem = format!("{}: phone {phone:?} is not E.164", req.line());
    Err(state.reject(problem, Reply::error(422, vec!["phone must be E.164"])))
}

fn find<'a>(state: &'a State, location_id: &str, phone: &str) -> Option<&'a Contact> {
    state
        .contacts
        .iter()
        .find(|contact| contact.location_id == location_id && contact.phone == phone)
}

/// GET /contacts/search/duplicate (apps/contacts.json: scope contacts.readonly)
pub(super) fn search_duplicate(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, CONTACTS_VERSION)?;
    state.scoped(req, "contacts.readonly")?;
    let [location_id, phone] = state.require(req, &req.query, ["locationId", "number"])?;
    state.location_bearer(req, &location_id)?;
    check_phone(state, req, &phone)?;
    let contact = find(state, &location_id, &phone).map(contact_json);
    Ok(Reply::ok(json!({ "contact": contact })))
}

/// POST /contacts/upsert (apps/contacts.json: scope contacts.write)
pub(super) fn upsert(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, CONTACTS_VERSION)?;
    state.scoped(req, "contacts.write")?;
    let fields = req.json_fields();
    let [location_id, phone] = state.require(req, &fields, ["locationId", "phone"])?;
    state.location_bearer(req, &location_id)?;
    check_phone(state, req, &phone)?;
    let name = fields.get("name").cloned();
    let existing = state
        .contacts
        .iter_mut()
        .find(|contact| contact.location_id == location_id && contact.phone == phone);
    let is_new = existing.is_none();
    match existing {
        Some(contact) => contact.name = name.or(contact.name.take()),
        None => _ = state.add_contact(&location_id, &phone, name),
    }
    let contact = find(state, &location_id, &phone).map(contact_json);
    Ok(Reply::ok(json!({ "new": is_new, "contact": contact })))
}

/// POST /contacts/ (apps/contacts.json "Create Contact": scope
/// contacts.write, Version 2021-07-28, `CreateContactDto` requires only
/// `locationId`; answers 201 `{contact}`). A phone, when given, must be
/// new in the location: "Allow Duplicate Contact" is off by default (the
/// Upsert description in apps/contacts.json), and Create does not merge.
pub(super) fn create(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, CONTACTS_VERSION)?;
    state.scoped(req, "contacts.write")?;
    let fields = req.json_fields();
    let [location_id] = state.require(req, &fields, ["locationId"])?;
    state.location_bearer(req, &location_id)?;
    let phone = fields.get("phone").cloned().unwrap_or_default();
    if !phone.is_empty() {
        check_phone(state, req, &phone)?;
        if find(state, &location_id, &phone).is_some() {
            let problem = format!("{}: a second contact with phone {phone}", req.line());
            let refusal = Reply::error(400, "This location does not allow duplicated contacts.");
            return Err(state.reject(problem, refusal));
        }
    }
    let id = state.add_contact(&location_id, &phone, fields.get("name").cloned());
    let tags: Vec<String> = req
        .json
        .as_ref()
        .and_then(|body| body.get("tags"))
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let contact = state.contacts.iter_mut().find(|c| c.id == id).expect("just made");
    contact.tags = tags;
    Ok(Reply::json(201, json!({ "contact": contact_json(contact) })))
}
