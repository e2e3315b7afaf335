//! Messages between the gateway and a simulated contact that is a real
//! whatsapp-rust client linked through the loopback server: what the
//! gateway sends is really decrypted by the contact, the contact's
//! receipts come back, and what the contact writes reaches the webhook.
//! One scenario per store, so each pair links once.

use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway, TestEnv};
use crate::{decrypted, forwarded_once, linked_pair};
use reqwest::StatusCode;
use serde_json::json;
use wa_loopback::{Contact, FileKind, LoopbackServer};
use warp::Filter;

const LINKED: &str = "+5511900000001";
const CONTACT: &str = "+5511977770007";

crate::both_backends!(a_contact_decrypts_texts_voice_notes_and_files_and_its_receipts_and_replies_come_back);

async fn a_contact_decrypts_texts_voice_notes_and_files_and_its_receipts_and_replies_come_back(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let receiver = Receiver::start().await;
    let (gw, contact) = linked_pair(&env, &server, &receiver, (LINKED, CONTACT), &[]).await;
    a_text_is_decrypted_and_its_receipts_come_back(&gw, &contact).await;
    a_voice_note_is_decrypted_as_one(&gw, &server, &contact).await;
    for sent in files() {
        a_file_is_decrypted_whole(&gw, &server, &contact, sent).await;
    }
    a_reply_reaches_the_webhook_once_with_the_phone_number(&contact, &receiver).await;
    gw.stop().await;
}

/// The contact's client decrypts the text, with the id the gateway gave
/// it at accept time, from the linked number, once; its delivery receipt
/// (sent as `type="inactive"`, as a companion that shows no presence does)
/// moves the message to delivered, and its read receipt to read.
async fn a_text_is_decrypted_and_its_receipts_come_back(gw: &Gateway, contact: &Contact) {
    let id = gw.send_text("wa-loop", CONTACT, "hello from the gateway").await;
    let got = decrypted(contact, &id).await;
    assert_eq!(got.text.as_deref(), Some("hello from the gateway"));
    assert_eq!(got.from, LINKED.trim_start_matches('+'));
    assert_eq!(contact.received().len(), 1, "once: {:?}", contact.received());
    assert_eq!(contact.redelivered(), 0, "no second copy");

    settles_as(gw, &id, "delivered").await;
    contact.read(&id).await.unwrap();
    settles_as(gw, &id, "read").await;
}

/// A 2 s mp3 sent as `type: "voice"` is uploaded to the server's media
/// host and decrypted by the contact as audio with the voice-note flag,
/// its length and a waveform.
async fn a_voice_note_is_decrypted_as_one(gw: &Gateway, server: &LoopbackServer, contact: &Contact) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/voice");
    let mp3 = std::fs::read(dir.join("tone-2s.mp3")).unwrap();
    let url = file_server("tone-2s.mp3", mp3, "audio/mpeg").await;
    let body = json!({ "instanceId": "wa-loop", "to": CONTACT, "type": "voice", "mediaUrl": url });
    let (status, reply) = gw.post("/api/send", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    let id = reply["id"].as_str().unwrap().to_owned();
    let got = decrypted(contact, &id).await;
    let audio = got.audio.expect("an audio message");
    assert!(audio.ptt, "the voice-note flag: {audio:?}");
    assert_eq!(audio.seconds, 2, "{audio:?}");
    assert!(!audio.waveform.is_empty(), "{audio:?}");
    assert!(audio.mimetype.starts_with("audio/ogg"), "{audio:?}");
    assert_eq!(server.uploads("audio"), 1);
}

/// A file sent by URL as an image, a video or a document, with a
/// caption, is fetched, uploaded to the server's media host under its
/// kind, and decrypted by the contact as that kind of message with the
/// served mimetype and the caption (a document also with the URL's last
/// segment as its name); the file the contact's client downloads from the
/// media host and decrypts is the one served, byte for byte.
async fn a_file_is_decrypted_whole(gw: &Gateway, server: &LoopbackServer, contact: &Contact, sent: Sent) {
    let url = file_server(sent.name, sent.bytes.clone(), sent.mimetype).await;
    let body = json!({
        "instanceId": "wa-loop", "to": CONTACT, "type": sent.kind,
        "mediaUrl": url, "caption": "a file from the gateway",
    });
    let (status, reply) = gw.post("/api/send", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    let id = reply["id"].as_str().unwrap().to_owned();
    let file = decrypted(contact, &id).await.file.expect("a file");
    assert_eq!(file.kind, sent.file_kind, "{file:?}");
    assert_eq!(file.mimetype, sent.mimetype);
    assert_eq!(file.caption.as_deref(), Some("a file from the gateway"));
    let name = (sent.file_kind == FileKind::Document).then(|| sent.name.to_owned());
    assert_eq!(file.file_name, name);
    assert_eq!(server.uploads(sent.kind), 1);
    assert!(
        contact.download(&id).await.unwrap() == sent.bytes,
        "the file differs"
    );
}

/// A file the gateway is asked to send.
struct Sent {
    /// The API's `type`, also the media host's upload kind.
    kind: &'static str,
    file_kind: FileKind,
    /// The last segment of its URL.
    name: &'static str,
    mimetype: &'static str,
    bytes: Vec<u8>,
}

/// A PNG image, bytes served as an MP4 video (the gateway and WhatsApp
/// carry them as they are) and a one-page PDF document.
fn files() -> [Sent; 3] {
    let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n%%EOF\n".to_vec();
    [
        Sent {
            kind: "image",
            file_kind: FileKind::Image,
            name: "picture.png",
            mimetype: "image/png",
            bytes: a_png(),
        },
        Sent {
            kind: "video",
            file_kind: FileKind::Video,
            name: "clip.mp4",
            mimetype: "video/mp4",
            bytes: vec![7; 4096],
        },
        Sent {
            kind: "document",
            file_kind: FileKind::Document,
            name: "quote.pdf",
            mimetype: "application/pdf",
            bytes: pdf,
        },
    ]
}

/// A 32×32 gradient as PNG bytes.
fn a_png() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(32, 32, |x, y| image::Rgb([(x * 8) as u8, (y * 8) as u8, 128]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// The contact writes to the linked number: the gateway forwards it to
/// the webhook once, from the contact's phone number (the server delivers
/// it from the contact's LID or phone address; either way the webhook sees
/// the phone number, never a LID's digits).
async fn a_reply_reaches_the_webhook_once_with_the_phone_number(contact: &Contact, receiver: &Receiver) {
    let id = contact
        .send_text(LINKED, "hi back from the contact")
        .await
        .unwrap();
    let body = &forwarded_once(receiver, &id).await;
    assert_eq!(body["from"], CONTACT, "{body}");
    assert_eq!(body["to"], LINKED, "{body}");
    assert_eq!(body["text"], "hi back from the contact");
}

pub(crate) async fn settles_as(gw: &Gateway, id: &str, wanted: &str) {
    let path = format!("/api/messages/{id}");
    eventually(&format!("the message is {wanted}"), || async {
        gw.get(&path).await.1["message"]["status"] == wanted
    })
    .await;
}

/// Serves `bytes` as `content_type` at `/name` on 127.0.0.1: its URL.
async fn file_server(name: &str, bytes: Vec<u8>, content_type: &'static str) -> String {
    let file = warp::path(name.to_owned())
        .and(warp::path::end())
        .map(move || warp::reply::with_header(bytes.clone(), "content-type", content_type));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(file).incoming(listener).run());
    format!("http://{addr}/{name}")
}
