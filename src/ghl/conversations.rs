//! Inbound WhatsApp messages into a GHL location's Conversations: find the
//! contact by phone (every WhatsApp form of the number) or create it, find
//! or start its conversation, put media where GHL can show it (see
//! [`super::media`]), then add the message to that conversation with
//! `altId` = the WhatsApp id. Messages typed on the linked phone go in as
//! `outbound`.

use super::client::{text_field, GhlClient, GhlError, CONTACTS_VERSION, CONVERSATIONS_VERSION};
use super::group_contacts::GroupChat;
use super::media::{MediaFiles, Prepared};
use crate::domain::Phone;
use crate::store::{ForwardTarget, GroupContacts, NewForward};
use crate::support::secrets::SecretText;
use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// A conversation job's body: one message for one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MirrorJob {
    pub location_id: String,
    pub wa_message_id: String,
    /// The contact's E.164 number (in a group: the member who wrote, or
    /// empty when WhatsApp hid it).
    pub contact_phone: String,
    /// The group it was written in; the group is then the GHL contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupChat>,
    /// Typed on the linked phone rather than received.
    pub from_me: bool,
    pub push_name: Option<String>,
    pub text: String,
    pub media_url: Option<String>,
    pub mime_type: Option<String>,
    pub timestamp_ms: i64,
}

impl MirrorJob {
    /// The location and the contact's number, or the group, whose GHL
    /// conversation the message goes in.
    pub fn conversation_key(&self) -> String {
        match &self.group {
            Some(group) => format!("{}:{}", self.location_id, group.id.as_str()),
            None => format!("{}:{}", self.location_id, self.contact_phone),
        }
    }

    pub fn into_forward(self) -> NewForward {
        NewForward {
            id: format!("ghl-in:{}:{}", self.location_id, self.wa_message_id),
            target: ForwardTarget::GhlConversation,
            body: serde_json::to_string(&self).expect("plain data serialises"),
        }
    }
}

pub struct Mirror {
    pub client: Arc<GhlClient>,
    pub files: MediaFiles,
    pub groups: Arc<dyn GroupContacts>,
}

/// Where an upload belongs in GHL.
struct UploadPlace<'a> {
    location: &'a str,
    contact: &'a str,
    conversation: &'a str,
}

impl Mirror {
    /// Adds the job's message to the location's Conversations: in the
    /// contact's conversation, with every field apps/conversations.json's
    /// ProcessMessageBodyDto requires (type, conversationId, contactId,
    /// conversationProviderId).
    pub async fn mirror(
        &self,
        token: &SecretText,
        provider_id: &str,
        job: &MirrorJob,
    ) -> Result<(), GhlError> {
        let contact = self.contact_for(token, job).await?;
        let conversation = self.conversation_for(token, &job.location_id, &contact).await?;
        let place = UploadPlace {
            location: &job.location_id,
            contact: &contact,
            conversation: &conversation,
        };
        let (attachments, link) = self.attachments(token, job, &place).await?;
        let mut message = job.text.clone();
        if let Some(link) = link {
            message = if message.is_empty() {
                link
            } else {
                format!("{message}\n{link}")
            };
        }
        let body = json!({
            "type": "SMS",
            "conversationId": conversation,
            "contactId": contact,
            "conversationProviderId": provider_id,
            "message": message,
            "attachments": attachments,
            "direction": if job.from_me { "outbound" } else { "inbound" },
            "date": crate::support::clock::rfc3339(job.timestamp_ms),
            "altId": job.wa_message_id,
        });
        let request = self
            .client
            .request(
                Method::POST,
                "/conversations/messages/inbound",
                CONVERSATIONS_VERSION,
                Some(token),
            )
            .json(&body);
        let answer = self.client.send(&job.location_id, request).await?;
        text_field(&answer, "/messageId").map(drop)
    }

    /// The GHL contact with this number (or standing for this group), made
    /// when there is none. The caller holds the conversation's turn
    /// (`GhlJobs::contact_order`), so two messages from a new number make
    /// one contact.
    async fn contact_for(&self, token: &SecretText, job: &MirrorJob) -> Result<String, GhlError> {
        if let Some(group) = &job.group {
            return self.group_contact(token, &job.location_id, group).await;
        }
        for number in search_forms(&job.contact_phone) {
            let request = self
                .client
                .request(
                    Method::GET,
                    "/contacts/search/duplicate",
                    CONTACTS_VERSION,
                    Some(token),
                )
                .query(&[
                    ("locationId", job.location_id.as_str()),
                    ("number", number.as_str()),
                ]);
            let answer = self.client.send(&job.location_id, request).await?;
            if let Ok(id) = text_field(&answer, "/contact/id") {
                return Ok(id);
            }
        }
        let mut body = json!({
            "locationId": job.location_id,
            "phone": job.contact_phone,
            "source": "WhatsApp (wagate)",
        });
        if let Some(name) = &job.push_name {
            body["name"] = json!(name);
        }
        let request = self
            .client
            .request(Method::POST, "/contacts/upsert", CONTACTS_VERSION, Some(token))
            .json(&body);
        let answer = self.client.send(&job.location_id, request).await?;
        text_field(&answer, "/contact/id")
    }

    /// Uploaded attachment URLs, or a link to put in the text instead.
    async fn attachments(
        &self,
        token: &SecretText,
        job: &MirrorJob,
        place: &UploadPlace<'_>,
    ) -> Result<(Vec<String>, Option<String>), GhlError> {
        let Some(url) = &job.media_url else {
            return Ok((Vec::new(), None));
        };
        let Prepared::Upload { bytes, mime } = self.files.prepare(url, job.mime_type.as_deref()).await else {
            return Ok((Vec::new(), Some(url.clone())));
        };
        let filename = format!(
            "{}.{}",
            job.wa_message_id,
            crate::inbound::media_store::extension_for(Some(&mime))
        );
        match self.upload(token, place, bytes, &mime, filename).await {
            Ok(uploaded) => Ok((vec![uploaded], None)),
            Err(GhlError::Status {
                status: 413 | 415, ..
            }) => Ok((Vec::new(), Some(url.clone()))),
            Err(e) => Err(e),
        }
    }

    /// The contact's conversation (one per contact): found with GET
    /// /conversations/search, else made with POST /conversations/
    /// (apps/conversations.json).
    async fn conversation_for(
        &self,
        token: &SecretText,
        location: &str,
        contact: &str,
    ) -> Result<String, GhlError> {
        let request = self
            .client
            .request(
                Method::GET,
                "/conversations/search",
                CONVERSATIONS_VERSION,
                Some(token),
            )
            .query(&[("locationId", location), ("contactId", contact)]);
        let answer = self.client.send(location, request).await?;
        if let Ok(id) = text_field(&answer, "/conversations/0/id") {
            return Ok(id);
        }
        let request = self
            .client
            .request(
                Method::POST,
                "/conversations/",
                CONVERSATIONS_VERSION,
                Some(token),
            )
            .json(&json!({ "locationId": location, "contactId": contact }));
        let answer = self.client.send(location, request).await?;
        text_field(&answer, "/conversation/id")
    }

    async fn upload(
        &self,
        token: &SecretText,
        place: &UploadPlace<'_>,
        bytes: Bytes,
        mime: &str,
        filename: String,
    ) -> Result<String, GhlError> {
        let file = Part::stream(bytes)
            .file_name(filename)
            .mime_str(mime)
            .map_err(|e| GhlError::BadAnswer(format!("media type {mime:?}: {e}")))?;
        let form = Form::new()
            .part("fileAttachment", file)
            .text("conversationId", place.conversation.to_owned())
            .text("contactId", place.contact.to_owned())
            .text("locationId", place.location.to_owned());
        let request = self
            .client
            .request(
                Method::POST,
                "/conversations/messages/upload",
                CONVERSATIONS_VERSION,
                Some(token),
            )
            .multipart(form);
        let answer = self.client.send(place.location, request).await?;
        uploaded_url(&answer)
    }
}

/// The one URL in an upload's `uploadedFiles` map.
fn uploaded_url(answer: &Value) -> Result<String, GhlError> {
    answer
        .get("uploadedFiles")
        .and_then(Value::as_object)
        .and_then(|files| files.values().find_map(Value::as_str))
        .map(str::to_owned)
        .ok_or_else(|| GhlError::BadAnswer("no uploadedFiles in GHL's answer".into()))
}

/// The numbers to look a contact up by: its E.164 form first, then the
/// other forms WhatsApp knows it by (Brazil's ninth digit, Mexico's 521).
fn search_forms(e164: &str) -> Vec<String> {
    match Phone::parse(e164, None) {
        Ok(phone) => {
            let mut forms = vec![phone.e164().to_owned()];
            forms.extend(
                phone
                    .whatsapp_variants()
                    .into_iter()
                    .skip(1)
                    .map(|d| format!("+{d}")),
            );
            forms
        }
        Err(_) => vec![e164.to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_searched_by_every_form_of_the_number() {
        assert_eq!(
            search_forms("+5511987654321"),
            ["+5511987654321", "+551187654321"]
        );
        assert_eq!(search_forms("+5215512345678").len(), 2);
        assert_eq!(search_forms("+14155550123"), ["+14155550123"]);
    }

    #[test]
    fn upload_answers_give_their_file_url() {
        let answer = json!({"uploadedFiles": {"a.jpg": "https://cdn.example/a.jpg"}});
        assert_eq!(uploaded_url(&answer).unwrap(), "https://cdn.example/a.jpg");
        assert!(uploaded_url(&json!({})).is_err());
    }

    #[test]
    fn mirror_jobs_are_keyed_by_location_and_whatsapp_id() {
        let job = MirrorJob {
            location_id: "loc".into(),
            wa_message_id: "ABC".into(),
            contact_phone: "+14155550123".into(),
            group: None,
            from_me: false,
            push_name: None,
            text: "hi".into(),
            media_url: None,
            mime_type: None,
            timestamp_ms: 0,
        };
        assert_eq!(job.into_forward().id, "ghl-in:loc:ABC");
    }
}
