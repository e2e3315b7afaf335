//! Voice notes (`type: voice`): an mp3 and a webm served on 127.0.0.1
//! become Ogg/Opus voice notes on the sim, with the ptt flag, their length
//! and a waveform; a file that cannot be decoded, or is too long, ends the
//! message `failed` with the reason; a URL naming a format that cannot be
//! read is refused at intake (422). In provider mode, GHL audio
//! attachments go out as voice notes unless GHL_AUDIO_AS_VOICE is off.

use crate::common::{eventually, Gateway, TestEnv};
use crate::ghl::{deliver, provider_key};
use base64::Engine;
use ed25519_dalek::Signer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use warp::Filter;

crate::both_backends!(
    an_mp3_and_a_webm_become_voice_notes_of_their_length,
    audio_that_cannot_be_decoded_or_is_too_long_fails_with_the_reason,
    a_voice_url_naming_an_unreadable_format_is_refused_at_intake,
    ghl_audio_attachments_go_out_as_voice_notes,
    ghl_audio_attachments_go_out_as_audio_when_turned_off,
);

/// Serves the fixtures of tests/fixtures/voice, and `broken.mp3` (text
/// served as audio/mpeg), at /voice/*.
async fn audio_server() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/voice");
    let files = warp::path!("voice" / String).map(move |name: String| {
        let (bytes, mime) = match name.as_str() {
            "broken.mp3" => (b"not audio, only words ".repeat(40), "audio/mpeg"),
            "tone-2s.mp3" => (std::fs::read(dir.join(&name)).unwrap(), "audio/mpeg"),
            _ => (std::fs::read(dir.join(&name)).unwrap(), "audio/webm"),
        };
        warp::reply::with_header(bytes, "content-type", mime)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(files).incoming(listener).run());
    format!("http://{addr}/voice")
}

async fn voice_gateway(env: &TestEnv, max_seconds: u32) -> Gateway {
    voice_gateway_with(env, max_seconds, &[]).await
}

async fn voice_gateway_with(env: &TestEnv, max_seconds: u32, more: &[(&str, String)]) -> Gateway {
    let mut extra = vec![
        ("allow-private-media-urls", "true".to_owned()),
        ("voice-max-seconds", max_seconds.to_string()),
    ];
    extra.extend_from_slice(more);
    let gw = env.start(&extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw
}

async fn send_voice(gw: &Gateway, url: String) -> (StatusCode, Value) {
    let body = json!({ "instanceId": "wa-01", "to": "+5511999999999", "type": "voice", "mediaUrl": url });
    gw.post("/api/send", body).await
}

async fn queued_voice(gw: &Gateway, url: String) -> String {
    let (status, reply) = send_voice(gw, url).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    assert_eq!(reply["type"], "voice");
    reply["id"].as_str().unwrap().to_owned()
}

async fn an_mp3_and_a_webm_become_voice_notes_of_their_length(env: TestEnv) {
    let gw = voice_gateway(&env, 900).await;
    let audio = audio_server().await;
    let mp3 = queued_voice(&gw, format!("{audio}/tone-2s.mp3")).await;
    let webm = queued_voice(&gw, format!("{audio}/tone-3s.webm")).await;
    eventually("both notes reach the sim", || async {
        gw.sim_sent("wa-01").await.len() == 2
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    for (entry, id, seconds) in [(&sent[0], &mp3, 2), (&sent[1], &webm, 3)] {
        assert_eq!(&entry["id"], id.as_str());
        assert_eq!(entry["type"], "voice");
        let voice = &entry["voice"];
        assert_eq!(voice["ptt"], true, "{entry}");
        assert_eq!(voice["mimetype"], "audio/ogg; codecs=opus");
        assert_eq!(voice["seconds"], seconds);
        let ms = voice["durationMs"].as_i64().unwrap();
        assert!((ms - seconds * 1000).abs() <= 30, "{ms} ms for {seconds} s");
        let waveform: Vec<u64> = serde_json::from_value(voice["waveform"].clone()).unwrap();
        assert_eq!(waveform.len(), 64);
        assert!(waveform.iter().all(|&v| v <= 100));
        assert!(waveform.iter().any(|&v| v != waveform[0]), "{waveform:?}");
        assert!(voice["bytes"].as_u64().unwrap() > 1000);
    }
    eventually("the notes are read", || async {
        gw.get(&format!("/api/messages/{webm}")).await.1["message"]["status"] == "read"
    })
    .await;
    gw.stop().await;
}

async fn audio_that_cannot_be_decoded_or_is_too_long_fails_with_the_reason(env: TestEnv) {
    let gw = voice_gateway(&env, 2).await;
    let audio = audio_server().await;
    let broken = queued_voice(&gw, format!("{audio}/broken.mp3")).await;
    let long = queued_voice(&gw, format!("{audio}/tone-3s.webm")).await;
    let short = queued_voice(&gw, format!("{audio}/tone-2s.mp3")).await;
    eventually("the short note is sent", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    for (id, reason) in [(&broken, "could not be read"), (&long, "limit of 2 seconds")] {
        let message = gw.get(&format!("/api/messages/{id}")).await.1["message"].clone();
        assert_eq!(message["status"], "failed", "{message}");
        let error = message["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("voice note refused") && error.contains(reason),
            "{error}"
        );
    }
    assert_eq!(gw.sim_sent("wa-01").await[0]["id"], short.as_str());
    gw.stop().await;
}

async fn a_voice_url_naming_an_unreadable_format_is_refused_at_intake(env: TestEnv) {
    let gw = voice_gateway(&env, 900).await;
    let (status, reply) = send_voice(&gw, "https://example.com/photo.jpg".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert_eq!(reply["code"], "unsupported_voice_format");
    assert_eq!(reply["field"], "mediaUrl");
    assert!(reply["error"].as_str().unwrap().contains(".jpg"), "{reply}");
    let (status, _) = send_voice(&gw, "https://example.com/call.amr".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = gw.get("/api/messages/history?instanceId=wa-01").await;
    assert_eq!(list["count"], 0, "nothing was queued");
    gw.stop().await;
}

/// A signed Delivery URL request (as tests/gateway/ghl.rs sends them) with
/// an mp3 attachment, on a gateway whose GHL_AUDIO_AS_VOICE is `as_voice`.
async fn ghl_sends_the_mp3(env: &TestEnv, as_voice: bool) -> Vec<Value> {
    let (signing, public) = provider_key();
    let settings = [
        ("ghl-webhook-public-key", public),
        ("ghl-audio-as-voice", as_voice.to_string()),
    ];
    let gw = voice_gateway_with(env, 900, &settings).await;
    let route = json!({ "defaultInstanceId": "wa-01" });
    let (status, _) = gw.call(Method::PUT, "/api/ghl/locations/loc1", Some(route)).await;
    assert_eq!(status, StatusCode::OK);
    let audio = audio_server().await;
    let body = json!({
        "contactId": "c1", "locationId": "loc1", "messageId": "ghl-v1", "type": "SMS",
        "phone": "+5511999999999", "attachments": [format!("{audio}/tone-2s.mp3")],
    })
    .to_string();
    let signature =
        base64::engine::general_purpose::STANDARD.encode(signing.sign(body.as_bytes()).to_bytes());
    let (status, reply) = deliver(&gw, &body, Some(signature)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    eventually("the attachment is sent", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    gw.stop().await;
    sent
}

async fn ghl_audio_attachments_go_out_as_voice_notes(env: TestEnv) {
    let sent = ghl_sends_the_mp3(&env, true).await;
    assert_eq!(sent[0]["type"], "voice");
    assert_eq!(sent[0]["voice"]["ptt"], true);
    assert_eq!(sent[0]["voice"]["seconds"], 2);
}

async fn ghl_audio_attachments_go_out_as_audio_when_turned_off(env: TestEnv) {
    let sent = ghl_sends_the_mp3(&env, false).await;
    assert_eq!(sent[0]["type"], "audio");
    assert!(sent[0].get("voice").is_none(), "{}", sent[0]);
}
