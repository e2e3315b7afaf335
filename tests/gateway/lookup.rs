//! "Is this number on WhatsApp?" through an instance, rate-limited per
//! instance; the sim's unregistered numbers say no and refuse sends.

use crate::common::{eventually, TestEnv};
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(a_lookup_says_whether_a_number_is_on_whatsapp_within_a_rate,);

const ABSENT: &str = "+5511977770007";

async fn a_lookup_says_whether_a_number_is_on_whatsapp_within_a_rate(env: TestEnv) {
    let gw = env.start(&[("lookups-per-minute", "2".to_owned())]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let (status, body) = gw.get("/api/instances/wa-01/contacts/+5511999999999").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["onWhatsApp"], true);
    assert_eq!(body["jid"], "5511999999999@s.whatsapp.net");
    assert_eq!(body["phone"], "+5511999999999");

    let unregister = json!({ "phone": ABSENT });
    assert_eq!(
        gw.post("/api/sim/wa-01/unregistered", unregister).await.0,
        StatusCode::OK
    );
    let (_, body) = gw.get("/api/instances/wa-01/contacts/5511977770007").await;
    assert_eq!(
        (body["onWhatsApp"].clone(), body["jid"].clone()),
        (json!(false), json!(null)),
        "{body}"
    );
    let id = gw.send_text("wa-01", ABSENT, "anyone there?").await;
    eventually("a send to a number not on WhatsApp fails", || async {
        gw.get(&format!("/api/messages/{id}")).await.1["message"]["status"] == "failed"
    })
    .await;

    let bad = gw.get("/api/instances/wa-01/contacts/not-a-number").await;
    assert_eq!(bad.0, StatusCode::BAD_REQUEST, "{}", bad.1);
    let limited = reqwest::Client::new()
        .get(gw.url("/api/instances/wa-01/contacts/+5511999999999"))
        .header("x-api-key", crate::common::KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        limited.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the third lookup in a minute"
    );
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        gw.get("/api/instances/wa-77/contacts/+5511999999999").await.0,
        StatusCode::NOT_FOUND
    );
    gw.stop().await;
}
