//! Every inbound event, typed (#24 item 4): each event type the sim can
//! inject (a reply's quote, reaction, edit, deletion, location, contact
//! card, poll, vote, missed call, a message that could not be decrypted)
//! reaches the webhook with its `type` and its own field, beside the
//! original gateway's keys; in provider mode each goes into the GHL
//! conversation as a note; an undecryptable message is counted in the
//! metrics and alerted on, and stays out of GHL.

use crate::common::fake_ghl::FakeGhl;
use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway, TestEnv};
use crate::ghl::provider_key;
use crate::ghl_provider::{finish, provider_gateway, LOCATION};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

crate::both_backends!(
    every_event_type_reaches_the_webhook_typed,
    typed_events_reach_conversations_as_notes,
);

const CONTACT: &str = "+5511999999999";

/// The contact writes `fields` (with id `id`) to wa-01.
async fn inject(gw: &Gateway, id: &str, mut fields: Value) {
    fields["from"] = json!(CONTACT);
    fields["id"] = json!(id);
    let (status, reply) = gw.post("/api/sim/wa-01/inbound", fields).await;
    assert_eq!(status, StatusCode::OK, "{id}: {reply}");
}

/// One of each event type, keyed by the id it is injected with; `ours` is
/// a message the gateway sent, which the reply quotes and the reaction is on.
fn one_of_each(ours: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "E-QUOTE",
            json!({ "text": "yes", "quotedId": ours, "quotedText": "see you at 5?" }),
        ),
        (
            "E-REACT",
            json!({ "type": "reaction", "reactTo": ours, "emoji": "👍" }),
        ),
        (
            "E-EDIT",
            json!({ "type": "edit", "edits": "E-QUOTE", "text": "yes, at 5" }),
        ),
        ("E-DELETE", json!({ "type": "delete", "deletes": "E-QUOTE" })),
        (
            "E-PLACE",
            json!({ "type": "location", "latitude": -23.5, "longitude": -46.25, "name": "Office" }),
        ),
        (
            "E-CARD",
            json!({ "type": "contact", "contactName": "Ana", "contactPhone": "+5511988887777" }),
        ),
        (
            "E-POLL",
            json!({ "type": "poll", "pollName": "Which day?", "options": ["Mon", "Tue"] }),
        ),
        (
            "E-VOTE",
            json!({ "type": "poll_vote", "pollId": "E-POLL", "options": ["Tue"] }),
        ),
        (
            "E-CALL",
            json!({ "type": "call", "callId": "E-CALL", "video": false }),
        ),
        ("E-LOST", json!({ "type": "undecryptable" })),
    ]
}

async fn every_event_type_reaches_the_webhook_typed(env: TestEnv) {
    let receiver = Receiver::start().await;
    let gw = env.start(&[("ghl-inbound-url", receiver.url())]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let ours = gw.send_text("wa-01", CONTACT, "see you at 5?").await;
    let events = one_of_each(&ours);
    for (id, fields) in &events {
        inject(&gw, id, fields.clone()).await;
    }
    // The message that could not be decrypted arrives after all.
    inject(&gw, "E-LOST", json!({ "text": "found" })).await;
    eventually("the receiver got every event", || async {
        receiver.received().len() == events.len() + 1
    })
    .await;
    let (found, typed): (Vec<_>, Vec<_>) = receiver
        .received()
        .into_iter()
        .map(|r| r.body)
        .partition(|b| b["text"] == "found");
    assert_eq!(found.len(), 1, "stored apart from its undecryptable notice");
    let by_id: HashMap<String, Value> = typed
        .into_iter()
        .map(|b| (b["messageId"].as_str().unwrap().to_owned(), b))
        .collect();
    assert_eq!(by_id.len(), events.len());
    for body in by_id.values() {
        for key in ["instanceId", "from", "text", "timestamp"] {
            assert!(
                !body[key].is_null(),
                "the original gateway's {key} is kept: {body}"
            );
        }
    }
    let got = |id: &str| by_id.get(id).unwrap_or_else(|| panic!("{id} did not arrive"));
    let quote = got("E-QUOTE");
    assert_eq!(
        (quote["type"].as_str(), quote["text"].as_str()),
        (Some("text"), Some("yes"))
    );
    assert_eq!(
        quote["quoted"],
        json!({ "id": ours, "fromMe": true, "text": "see you at 5?" })
    );
    let react = got("E-REACT");
    assert_eq!(react["type"], "reaction");
    assert_eq!(react["reaction"]["emoji"], "👍");
    assert_eq!(react["reaction"]["target"]["id"], ours);
    assert_eq!(
        react["text"], "reacted 👍 to \"see you at 5?\"",
        "the target's text comes from the message log"
    );
    assert_eq!(
        got("E-EDIT")["edit"],
        json!({ "messageId": "E-QUOTE", "text": "yes, at 5" })
    );
    assert_eq!(got("E-EDIT")["text"], "edited: yes, at 5");
    assert_eq!(got("E-DELETE")["delete"], json!({ "messageId": "E-QUOTE" }));
    let place = &got("E-PLACE")["location"];
    assert_eq!(
        (place["latitude"].as_f64(), place["name"].as_str()),
        (Some(-23.5), Some("Office"))
    );
    assert!(
        place["url"].as_str().unwrap().ends_with("query=-23.5,-46.25"),
        "{place}"
    );
    assert_eq!(
        got("E-CARD")["contact"],
        json!({ "name": "Ana", "phone": "+5511988887777" })
    );
    assert_eq!(got("E-POLL")["poll"]["options"], json!(["Mon", "Tue"]));
    assert_eq!(
        got("E-VOTE")["pollVote"],
        json!({ "pollId": "E-POLL", "options": ["Tue"] })
    );
    assert_eq!(
        got("E-CALL")["call"],
        json!({ "callId": "E-CALL", "video": false })
    );
    assert_eq!(got("E-CALL")["text"], "missed voice call");
    assert_eq!(got("E-LOST")["type"], "undecryptable");
    for (id, _) in &events {
        assert_eq!(got(id)["type"] == "text", *id == "E-QUOTE", "{id} is typed");
    }
    gw.stop().await;
}

async fn typed_events_reach_conversations_as_notes(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = provider_gateway(&env, &ghl, provider_key().1, true).await;
    let (status, page) = ghl.install(&gw, &ghl.location_install_code(LOCATION)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ours = gw.send_text("wa-01", CONTACT, "see you at 5?").await;
    let events = one_of_each(&ours);
    for (id, fields) in &events {
        inject(&gw, id, fields.clone()).await;
    }
    let expected = events.len() - 1;
    eventually("GHL got every event but the undecryptable one", || async {
        ghl.inbound_messages().len() == expected
    })
    .await;
    let notes: HashMap<String, String> = ghl
        .inbound_messages()
        .into_iter()
        .map(|m| {
            assert_eq!(m["direction"], "inbound", "a workflow can trigger on it: {m}");
            let text = m["message"].as_str().unwrap().to_owned();
            (m["altId"].as_str().unwrap().to_owned(), text)
        })
        .collect();
    let note = |id: &str| {
        notes
            .get(id)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert_eq!(note("E-EDIT"), "edited: yes, at 5");
    assert_eq!(note("E-DELETE"), "deleted a message");
    assert_eq!(note("E-REACT"), "reacted 👍 to \"see you at 5?\"");
    assert_eq!(
        note("E-PLACE"),
        "location: Office\nhttps://www.google.com/maps/search/?api=1&query=-23.5,-46.25"
    );
    assert_eq!(note("E-CARD"), "contact card: Ana +5511988887777");
    assert_eq!(note("E-CALL"), "missed voice call");
    assert_eq!(note("E-VOTE"), "voted in a poll: Tue");
    assert!(
        !notes.contains_key("E-LOST"),
        "an undecryptable message is not a note in GHL"
    );
    finish(gw, &ghl).await;
}

#[tokio::test]
async fn an_undecryptable_message_is_counted_and_alerted_on() {
    let monitor = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[("alert-webhook-url", monitor.url())]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    for id in ["L1", "L2", "L1"] {
        inject(&gw, id, json!({ "type": "undecryptable" })).await;
    }
    eventually("the monitor hears of it", || async {
        monitor
            .received()
            .iter()
            .any(|a| a.body["event"] == "messages.undecryptable")
    })
    .await;
    let alert = monitor
        .received()
        .into_iter()
        .find(|a| a.body["event"] == "messages.undecryptable")
        .unwrap();
    assert_eq!(alert.body["instanceId"], "wa-01");
    assert_eq!(alert.body["severity"], "warning");
    let metrics = gw.metrics().await;
    assert!(
        metrics.contains("wagate_inbound_undecryptable_total{instance=\"wa-01\"} 2"),
        "a replayed one is counted once: {metrics}"
    );
    gw.stop().await;
}
