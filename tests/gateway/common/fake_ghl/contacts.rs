//! Contacts: the duplicate search by phone and the upsert (one contact
//! per phone in a location).

use super::http::{Reply, SeenRequest};
use super::state::{is_e164, Contact, State, CONTACTS_VERSION};
use serde_json::{json, Value};

fn contact_json(contact: &Contact) -> Value {
    json!({
        "id": contact.id,
        "phone": contact.phone,
        "locationId": contact.location_id,
        "name": contact.name,
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
