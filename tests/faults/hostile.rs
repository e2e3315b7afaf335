//! Malformed and hostile input: arbitrary JSON values and arbitrary bytes
//! as the body of every JSON route, and arbitrary strings as phone numbers.
//! Nothing panics; every answer is a success or a 4xx JSON error.

use crate::gateway::{Api, InProcess};
use proptest::collection::{hash_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};
use wagate::domain::{parse_country, Phone};

const CASES: u32 = 96;

/// The routes that take a JSON body; `px-1` exists but is not linked, so
/// nothing is ever sent out.
const ROUTES: &[&str] = &[
    "/api/send",
    "/api/instances",
    "/api/ghl/outbound",
    "/api/wa/pair-code/px-1",
    "/api/sim/px-1/inbound",
];

/// Field names the routes read, so generated objects reach deep code.
const FIELDS: &[&str] = &[
    "instanceId",
    "to",
    "type",
    "message",
    "mediaUrl",
    "caption",
    "phone",
    "from",
    "text",
    "id",
    "pushName",
    "phoneAlias",
    "forceNew",
    "locationId",
    "contactId",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        Just(Value::String("px-1".into())),
        Just(Value::String("+5511999999999".into())),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            hash_map(".{0,12}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects with the API's own field names and arbitrary values.
fn api_object() -> impl Strategy<Value = Value> {
    hash_map(prop::sample::select(FIELDS), json_value(), 0..8).prop_map(|fields| {
        let map: Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Value::Object(map)
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        api_object().prop_map(|v| v.to_string().into_bytes()),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        vec(any::<u8>(), 0..200),
    ]
}

fn check_answer(status: StatusCode, reply: &Value) -> Result<(), TestCaseError> {
    prop_assert!(
        status.is_success() || status.is_client_error(),
        "status {status}: {reply}"
    );
    prop_assert!(reply.is_object(), "not a JSON object: {reply}");
    if status.is_client_error() {
        prop_assert_eq!(&reply["success"], &Value::Bool(false), "{}", reply);
        prop_assert!(reply["error"].is_string(), "{reply}");
    }
    Ok(())
}

#[test]
fn every_json_route_answers_hostile_bodies_with_json() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (gateway, api): (InProcess, Api) = runtime.block_on(async {
        let gateway = InProcess::start(dir.path(), &[]).await;
        let api = gateway.api.clone();
        let (status, reply) = api
            .post("/api/instances", serde_json::json!({ "instanceId": "px-1" }))
            .await;
        assert!(status.is_success(), "{reply}");
        (gateway, api)
    });
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let strategy = (prop::sample::select(ROUTES), body());
    let outcome = runner.run(&strategy, |(route, bytes)| {
        let (status, reply) = runtime.block_on(api.raw(Method::POST, route, Some(bytes)));
        check_answer(status, &reply)
    });
    drop(api);
    runtime.block_on(gateway.stop());
    outcome.unwrap();
}

proptest! {
    #![proptest_config(Config::with_cases(256))]
    #[test]
    fn phone_parsing_never_panics(raw in ".{0,60}", digits in "[+0-9 ()-]{0,30}") {
        let brazil = parse_country("BR").ok();
        for input in [&raw, &digits] {
            let _ = Phone::parse(input, None);
            let _ = Phone::parse(input, brazil);
        }
    }
}
