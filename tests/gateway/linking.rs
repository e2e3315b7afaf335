//! Linking a number: create, QR (JSON and PNG), scan, ONLINE; reconnect
//! after a dropped connection; logout from the phone; auth.

use crate::common::{eventually, TestEnv, KEY};
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(
    create_then_qr_png_then_scan_makes_the_instance_online,
    a_dropped_connection_comes_back_by_itself,
    a_logout_on_the_phone_shows_logged_out_and_clear_offers_a_new_qr,
    every_api_route_needs_the_key_but_health_does_not,
);

async fn create_then_qr_png_then_scan_makes_the_instance_online(env: TestEnv) {
    let gw = env.start(&[]).await;
    let (status, body) = gw
        .post(
            "/api/instances",
            json!({ "instanceId": "wa-01", "phoneAlias": "Sales" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["instance"]["phoneAlias"], "Sales");

    eventually("a QR code is shown", || async {
        gw.get("/api/wa/qr/wa-01").await.1["qr"].is_string()
    })
    .await;
    let (_, qr) = gw.get("/api/wa/qr/wa-01").await;
    assert_eq!(qr["detailedStatus"], "PAIRING");
    assert!(qr["qrImage"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,"));
    let png = gw
        .http
        .get(gw.url("/api/wa/qr/wa-01?format=png"))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let image = image::load_from_memory(&png.bytes().await.unwrap()).expect("a real PNG");
    assert!(image.width() >= 300);

    let (status, _) = gw
        .post("/api/sim/wa-01/scan", json!({ "phone": "+15550000001" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    gw.wait_status("wa-01", "ONLINE").await;
    let (_, list) = gw.get("/api/instances").await;
    assert_eq!(list["instances"][0]["phone"], "+15550000001");
    assert_eq!(list["instances"][0]["hasQR"], false);
    let (status, body) = gw.get("/api/wa/qr/wa-01?format=png").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    gw.stop().await;
}

async fn a_dropped_connection_comes_back_by_itself(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let (status, _) = gw.post("/api/sim/wa-01/drop", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    gw.wait_status("wa-01", "ONLINE").await;
    gw.send_text("wa-01", "+5511999999999", "after the drop").await;
    eventually("the send after a drop arrives", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    gw.stop().await;
}

async fn a_logout_on_the_phone_shows_logged_out_and_clear_offers_a_new_qr(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.post("/api/sim/wa-01/logout", json!({})).await;
    gw.wait_status("wa-01", "LOGGED_OUT").await;
    let (status, body) = gw
        .post(
            "/api/send",
            json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "instance_not_linked");
    gw.post("/api/wa/clear/wa-01", json!({})).await;
    gw.wait_status("wa-01", "PAIRING").await;
    gw.stop().await;
}

async fn every_api_route_needs_the_key_but_health_does_not(env: TestEnv) {
    let gw = env.start(&[]).await;
    let none = gw.http.get(gw.url("/api/instances")).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = none.json().await.unwrap();
    assert_eq!(
        (body["success"].clone(), body["code"].clone()),
        (json!(false), json!("unauthorized"))
    );
    let wrong = gw
        .http
        .get(gw.url("/api/instances"))
        .header("x-api-key", "nope-nope-nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let bearer = gw
        .http
        .get(gw.url("/api/instances"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let sim = gw.http.post(gw.url("/api/sim/wa-01/scan")).send().await.unwrap();
    assert_eq!(sim.status(), StatusCode::UNAUTHORIZED);
    for open in ["/healthz", "/readyz", "/api/health"] {
        assert_eq!(
            gw.http.get(gw.url(open)).send().await.unwrap().status(),
            StatusCode::OK,
            "{open}"
        );
    }
    gw.stop().await;
}

#[tokio::test]
async fn without_api_key_a_key_file_is_made_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let config = wagate::config::Config::from_args(
        ["wagate", "--wa-backend=sim"]
            .into_iter()
            .map(String::from)
            .chain([format!("--session-dir={}", dir.path().display())]),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(wagate::app::run(
        config.validate().unwrap(),
        listener,
        stop.clone(),
    ));
    let key_path = dir.path().join("api-key");
    eventually("the key file exists", || async { key_path.exists() }).await;
    let key = std::fs::read_to_string(&key_path).unwrap().trim().to_owned();
    let http = reqwest::Client::new();
    let with_key = http
        .get(format!("http://{addr}/api/instances"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status(), StatusCode::OK);
    stop.cancel();
    task.await.unwrap().unwrap();
}
