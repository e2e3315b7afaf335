//! The loopback server's control API (issue #20, item 2), driven over HTTP
//! as a demo drives the `wa-loopback` program: a gateway is linked (by QR
//! and, a second number, by phone code),
//! messages go both ways and are read, a call rings and is missed,
//! connections are dropped and the number is logged out, all through the
//! API.

use crate::common::{eventually, Gateway, TestEnv};
use crate::support::eventually_within;
use crate::{goes_online, real_gateway, shown_qr, LINK_LIMIT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use wa_loopback::{control, LoopbackServer};

const LINKED: &str = "+5511900000001";
const CONTACT: &str = "+5511933330003";
/// The number the second instance links by phone code.
const BY_CODE: &str = "+5511900000009";

crate::both_backends!(the_control_api_links_sends_reads_rings_drops_and_logs_out);

/// The control API at `base`.
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(&self, post: Option<Value>, path: &str) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.base);
        let request = match post {
            Some(body) => self.http.post(url).json(&body),
            None => self.http.get(url),
        };
        let response = request.send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Some(body), path).await
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(None, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }
}

async fn the_control_api_links_sends_reads_rings_drops_and_logs_out(env: TestEnv) {
    let server = Arc::new(LoopbackServer::start().await.unwrap());
    let (addr, _serving) = control::serve(server.clone(), 0).unwrap();
    let api = Api {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
    };
    let gw = real_gateway(&env, &server).await;
    link_through_the_api(&gw, &api).await;
    link_by_code_through_the_api(&gw, &api).await;
    let (status, body) = api.post("/contacts", json!({ "phone": CONTACT })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = api.post("/contacts", json!({ "phone": CONTACT })).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let id = gw.send_text("wa-loop", CONTACT, "through the loopback").await;
    let received = format!("/contacts/{CONTACT}/received");
    eventually("the contact lists the message", || async {
        api.get(&received).await[0]["id"] == id.as_str()
    })
    .await;
    let got = &api.get(&received).await[0];
    assert_eq!(
        (got["from"].as_str(), got["text"].as_str()),
        (Some(LINKED), Some("through the loopback"))
    );
    assert!(got["timestamp"].is_i64(), "{got}");
    let (status, body) = api
        .post(&format!("/contacts/{CONTACT}/read"), json!({ "id": id }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("the message is read", || async {
        gw.get(&format!("/api/messages/{id}")).await.1["message"]["status"] == "read"
    })
    .await;
    let (status, reply) = api
        .post(
            &format!("/contacts/{CONTACT}/send"),
            json!({ "to": LINKED, "text": "and back" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    eventually("the gateway has the reply", || async {
        let history = gw
            .get("/api/messages/history?instanceId=wa-loop&type=inbound")
            .await
            .1;
        history["messages"][0]["from"] == CONTACT
    })
    .await;
    a_call_nobody_answers_is_missed(&gw, &api).await;
    bad_input_is_a_json_error(&api).await;
    let stats = api.get("/stats").await;
    assert!(
        stats["routed"].as_u64() >= Some(3),
        "message, receipts, reply: {stats}"
    );

    let before = stats["ikHandshakes"].as_u64().unwrap();
    assert_eq!(api.post("/drop", json!({})).await.0, StatusCode::OK);
    eventually_within("the gateway reconnects", LINK_LIMIT, || async {
        api.get("/stats").await["ikHandshakes"].as_u64().unwrap() > before
            && gw.status_of("wa-loop").await == "ONLINE"
    })
    .await;
    let (status, _) = api.post(&format!("/accounts/{LINKED}/logout"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    gw.wait_status("wa-loop", "LOGGED_OUT").await;
    gw.stop().await;
}

/// A second instance asks for a code for its number; `POST /codes` with
/// another code is refused, with the code the gateway showed links it.
async fn link_by_code_through_the_api(gw: &Gateway, api: &Api) {
    shown_qr(gw, "wa-code").await;
    let phone = json!({ "phone": BY_CODE });
    let (status, body) = gw.post("/api/wa/pair-code/wa-code", phone).await;
    assert!(status.is_success(), "{status} {body}");
    let code = body["pairCode"].as_str().unwrap().to_owned();
    let wrong = crate::pairing_code::wrong_code(&code);
    let (status, body) = api
        .post("/codes", json!({ "phone": BY_CODE, "code": wrong }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = api
        .post("/codes", json!({ "phone": BY_CODE, "code": code }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    goes_online(gw, "wa-code").await;
}

/// The instance shows a QR code; `POST /scan` links it.
async fn link_through_the_api(gw: &Gateway, api: &Api) {
    let qr = shown_qr(gw, "wa-loop").await;
    let (status, body) = api.post("/scan", json!({ "qr": qr, "phone": LINKED })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    goes_online(gw, "wa-loop").await;
}

/// `POST /calls` rings the linked number from the contact; nobody answers,
/// so the gateway's inbound history gets a missed call under the call's id.
async fn a_call_nobody_answers_is_missed(gw: &Gateway, api: &Api) {
    let (status, reply) = api
        .post("/calls", json!({ "from": CONTACT, "to": LINKED, "video": true }))
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let call_id = reply["callId"].as_str().unwrap().to_owned();
    eventually("the gateway has the missed call", || async {
        let history = gw
            .get("/api/messages/history?instanceId=wa-loop&type=inbound")
            .await
            .1;
        let messages = history["messages"].as_array().cloned().unwrap_or_default();
        messages
            .iter()
            .any(|m| m["id"] == call_id.as_str() && m["messageType"] == "call" && m["from"] == CONTACT)
    })
    .await;
}

async fn bad_input_is_a_json_error(api: &Api) {
    let unreadable = api.post("/scan", json!("a QR code")).await;
    let unknown_qr = api
        .post(
            "/scan",
            json!({ "qr": "2@nobody,AAAA,AAAA,AAAA,0", "phone": LINKED }),
        )
        .await;
    let no_contact = api
        .post("/contacts/+5511000000000/read", json!({ "id": "X" }))
        .await;
    let no_message = api
        .post(&format!("/contacts/{CONTACT}/read"), json!({ "id": "X" }))
        .await;
    let no_caller = api.post("/calls", json!({ "from": "12", "to": LINKED })).await;
    for ((status, body), wanted) in [
        (unreadable, StatusCode::BAD_REQUEST),
        (unknown_qr, StatusCode::UNPROCESSABLE_ENTITY),
        (no_contact, StatusCode::NOT_FOUND),
        (no_message, StatusCode::NOT_FOUND),
        (no_caller, StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(status, wanted, "{body}");
        assert!(body["error"].is_string(), "{body}");
    }
}
