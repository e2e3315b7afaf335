//! How a caller proves itself: the Bearer scheme in any case, an empty
//! header counted as none, two headers that disagree refused; and the
//! `Idempotency-Key`, which belongs to one caller and one instance and
//! never turns a different send into a silent duplicate.

use crate::common::{eventually, Gateway, TestEnv, KEY};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(an_idempotency_key_belongs_to_its_instance_and_its_request,);

async fn status_with(gw: &Gateway, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = gw.http.get(gw.url("/api/instances"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.unwrap();
    (answer.status(), answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_two_credentials_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let bearer = format!("Bearer {KEY}");
    let lower = format!("bearer {KEY}");
    let upper = format!("BEARER {KEY}");
    for headers in [
        vec![("authorization", lower.as_str())],
        vec![("authorization", upper.as_str())],
        vec![("x-api-key", ""), ("authorization", bearer.as_str())],
        vec![("x-api-key", KEY), ("authorization", bearer.as_str())],
    ] {
        let (status, answer) = status_with(&gw, &headers).await;
        assert_eq!(status, StatusCode::OK, "{headers:?}: {answer}");
    }
    let (status, answer) = status_with(&gw, &[("x-api-key", "wrong"), ("authorization", &bearer)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "ambiguous_credentials");
    let (status, _) = status_with(&gw, &[("x-api-key", KEY), ("authorization", "Bearer wrong")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, answer) = status_with(&gw, &[("authorization", &format!("Basic {KEY}"))]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    gw.stop().await;
}

async fn send_keyed(gw: &Gateway, key: &str, body: Value) -> (StatusCode, Value) {
    let answer = gw
        .http
        .post(gw.url("/api/send"))
        .header("x-api-key", KEY)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.json().await.unwrap())
}

async fn an_idempotency_key_belongs_to_its_instance_and_its_request(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.linked_instance("wa-02", "+15550000002").await;
    let first = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "from one" });
    let (status, one) = send_keyed(&gw, "K", first.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{one}");

    let (status, again) = send_keyed(&gw, "K", first).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["id"], one["id"]);

    let other_instance = json!({ "instanceId": "wa-02", "to": "+5511999999999", "message": "from two" });
    let (status, two) = send_keyed(&gw, "K", other_instance).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{two}");
    assert_eq!(
        two["duplicate"], false,
        "a key of wa-01 does not hold back wa-02's send"
    );
    assert_ne!(two["id"], one["id"]);

    let changed = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "something else" });
    let (status, refused) = send_keyed(&gw, "K", changed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "idempotency_key_reused");

    for instance in ["wa-01", "wa-02"] {
        eventually(&format!("{instance} sends its message"), || async {
            gw.sim_sent(instance).await.len() == 1
        })
        .await;
    }
    assert_eq!(gw.sim_sent("wa-02").await[0]["text"], "from two");
    assert_eq!(gw.sim_sent("wa-01").await[0]["text"], "from one");
    gw.stop().await;
}
