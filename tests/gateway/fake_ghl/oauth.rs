//! The fake's OAuth: installs, codes, single-use refresh tokens, expiry,
//! and a Company's locations.

use super::{install_url, Ghl, CONTACTS, OAUTH, SCOPES};
use crate::common::fake_ghl::{FakeGhl, SeenRequest};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_location_install_gives_tokens_whose_refresh_tokens_work_once() {
    let ghl = Ghl::start().await;
    let code = ghl.fake.location_install_code("loc1");
    let first = ghl.exchange_code(&code, "Location").await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["userType"], "Location");
    assert_eq!(first["locationId"], "loc1");
    assert_eq!(first["expires_in"], FakeGhl::TOKEN_LIFETIME_SECS);
    let used = ghl
        .oauth(&[("grant_type", "authorization_code"), ("code", &code)])
        .await;
    assert_eq!(
        used,
        (StatusCode::BAD_REQUEST, json!({ "error": "invalid_grant" }))
    );

    let old_refresh = first["refresh_token"].as_str().unwrap();
    let (status, second) = ghl.refresh(old_refresh).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["locationId"], "loc1");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(ghl.fake.refresh_count("loc1"), 1);
    let reused = ghl.refresh(old_refresh).await;
    assert_eq!(
        reused,
        (StatusCode::BAD_REQUEST, json!({ "error": "invalid_grant" }))
    );
    assert_eq!(ghl.fake.refresh_count("loc1"), 1);
    assert_eq!(ghl.problems_with("refresh token reused"), 1);
    assert_eq!(ghl.problems_with("already used code"), 1);

    let seen: Vec<SeenRequest> = ghl.fake.requests();
    let form = seen[0].form.as_ref().expect("the token request is form-encoded");
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["client_id"], FakeGhl::CLIENT_ID);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/oauth/token")
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_invalid_client() {
    let ghl = Ghl::start().await;
    let code = ghl.fake.location_install_code("loc1");
    let url = format!("{}/oauth/token", ghl.fake.base_url());
    let mut form = vec![
        ("client_id", FakeGhl::CLIENT_ID),
        ("grant_type", "authorization_code"),
    ];
    let (status, _) = Ghl::reply(ghl.http.post(&url).form(&form).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no secret");
    form.extend([("code", code.as_str()), ("client_secret", "nope")]);
    let reply = Ghl::reply(ghl.http.post(&url).form(&form).send().await.unwrap()).await;
    assert_eq!(
        reply,
        (StatusCode::UNAUTHORIZED, json!({ "error": "invalid_client" }))
    );
    assert_eq!(ghl.fake.problems().len(), 2, "{:?}", ghl.fake.problems());
}

#[tokio::test]
async fn an_expired_token_is_refused_until_refreshed() {
    let ghl = Ghl::start().await;
    ghl.fake.set_token_lifetime(0);
    let code = ghl.fake.location_install_code("loc1");
    let tokens = ghl.exchange_code(&code, "Location").await;
    assert_eq!(tokens["expires_in"], 0);
    let query = [("locationId", "loc1"), ("number", "+15551234567")];
    let token = tokens["access_token"].as_str().unwrap();
    let (status, body) = ghl
        .get("/contacts/search/duplicate", token, CONTACTS, &query)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "statusCode": 401, "message": "Invalid JWT" }));
    assert!(ghl.fake.problems().is_empty(), "expiry is normal life");

    ghl.fake.set_token_lifetime(3600);
    let (_, fresh) = ghl.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    let token = fresh["access_token"].as_str().unwrap();
    let (status, body) = ghl
        .get("/contacts/search/duplicate", token, CONTACTS, &query)
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "contact": null })));
}

#[tokio::test]
async fn a_company_install_lists_its_locations_and_mints_their_tokens() {
    let ghl = Ghl::start().await;
    let code = ghl.fake.company_install_code("agency1", &["loc1", "loc2"]);
    let company = ghl.exchange_code(&code, "Company").await;
    assert_eq!(
        (&company["userType"], &company["companyId"]),
        (&json!("Company"), &json!("agency1"))
    );
    assert!(company.get("locationId").is_none());
    let token = company["access_token"].as_str().unwrap();
    let query = [
        ("companyId", "agency1"),
        ("appId", FakeGhl::APP_ID),
        ("isInstalled", "true"),
    ];
    let (status, body) = ghl.get("/oauth/installedLocations", token, OAUTH, &query).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["count"].clone(), body["locations"][1]["_id"].clone()),
        (json!(2), json!("loc2"))
    );

    let minted = ghl.location_token_of(token, ["agency1", "loc2"]).await;
    assert_eq!(minted.0, StatusCode::OK, "{}", minted.1);
    assert_eq!(minted.1["locationId"], "loc2");
    for absent in ["refresh_token", "companyId", "userType"] {
        assert!(minted.1.get(absent).is_none(), "{absent}: {}", minted.1);
    }
    assert_eq!(ghl.fake.location_tokens_made("loc2"), 1);
    let (status, _) = ghl.location_token_of(token, ["agency1", "loc3"]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ghl.fake.problems().len(), 1, "{:?}", ghl.fake.problems());
}

#[tokio::test]
async fn tokens_reach_only_the_scopes_the_install_url_asked_for() {
    let ghl = Ghl::start().await;
    let code = ghl.fake.location_install_code("loc1");
    let narrow = "contacts.write conversations/message.write";
    let token = ghl.exchange_scoped(&code, "Location", narrow).await;
    assert_eq!(token["scope"], narrow);
    let token = token["access_token"].as_str().unwrap();
    let query = [("locationId", "loc1"), ("number", "+15551234567")];
    let (status, body) = ghl
        .get("/contacts/search/duplicate", token, CONTACTS, &query)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no contacts.readonly: {body}");
    let upsert = json!({ "locationId": "loc1", "phone": "+15551234567" });
    let (status, body) = ghl.post("/contacts/upsert", token, CONTACTS, upsert).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ghl.problems_with("lacks scope contacts.readonly"), 1);

    let agency = ghl.fake.company_install_code("agency1", &["loc1"]);
    let agency = ghl
        .exchange_scoped(&agency, "Company", SCOPES.replace("oauth.write", "").as_str())
        .await;
    let agency = agency["access_token"].as_str().unwrap();
    let (status, _) = ghl.location_token_of(agency, ["agency1", "loc1"]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no oauth.write");
}

#[tokio::test]
async fn only_ghls_own_install_url_with_this_client_is_consented() {
    let ghl = Ghl::start().await;
    let code = ghl.fake.location_install_code("loc1");
    let old_path = install_url("marketplace.gohighlevel.com", SCOPES).replace("/v2/", "/");
    assert!(ghl.fake.try_consent(&old_path, &code).is_err());
    let foreign = install_url("marketplace.example.com", SCOPES);
    assert!(ghl.fake.try_consent(&foreign, &code).is_err());
    let (status, _) = ghl
        .oauth(&[("grant_type", "authorization_code"), ("code", &code)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "never consented");
    let white_label = install_url("marketplace.leadconnectorhq.com", SCOPES);
    assert_eq!(
        ghl.fake.try_consent(&white_label, &code),
        Ok(format!("code={code}"))
    );
}

#[tokio::test]
async fn installed_locations_come_in_pages_of_twenty_unless_asked_otherwise() {
    let ghl = Ghl::start().await;
    let ids: Vec<String> = (0..45).map(|n| format!("loc{n:02}")).collect();
    let names: Vec<&str> = ids.iter().map(String::as_str).collect();
    let code = ghl.fake.company_install_code("agency1", &names);
    let company = ghl.exchange_code(&code, "Company").await;
    let token = company["access_token"].as_str().unwrap();
    let (first, count) = listed(&ghl, token, &[]).await;
    assert_eq!((first.len(), count), (20, json!(45)));
    let (last, _) = listed(&ghl, token, &[("skip", "40")]).await;
    assert_eq!(last, ["loc40", "loc41", "loc42", "loc43", "loc44"]);
    let (big, _) = listed(&ghl, token, &[("limit", "50")]).await;
    assert_eq!(big.len(), 45);
    let (one, _) = listed(&ghl, token, &[("locationId", "loc07")]).await;
    assert_eq!(one, ["loc07"]);
}

/// The ids and `count` of one installedLocations page of agency1.
async fn listed(ghl: &Ghl, token: &str, extra: &[(&str, &str)]) -> (Vec<String>, serde_json::Value) {
    let mut query = vec![("companyId", "agency1"), ("appId", FakeGhl::APP_ID)];
    query.extend_from_slice(extra);
    let (status, body) = ghl.get("/oauth/installedLocations", token, OAUTH, &query).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let locations = body["locations"].as_array().unwrap();
    let ids = locations
        .iter()
        .map(|l| l["_id"].as_str().unwrap().to_owned())
        .collect();
    (ids, body["count"].clone())
}
