//! GHL provider state: tokens and reported statuses.

use crate::common::TestEnv;
use wagate::store::{StoredToken, TokenOwnerKind};

crate::both_backends!(
    a_token_is_replaced_only_over_the_version_it_was_made_from,
    reported_statuses_only_move_forward,
);

fn token(access: &str) -> StoredToken {
    StoredToken {
        owner_id: "loc1".into(),
        kind: TokenOwnerKind::Location,
        company_id: None,
        access_token: access.into(),
        refresh_token: Some(format!("refresh-for-{access}")),
        expires_at_ms: 1_000,
        scope: String::new(),
        version: 0,
        updated_at_ms: 0,
    }
}

async fn a_token_is_replaced_only_over_the_version_it_was_made_from(env: TestEnv) {
    let ghl = env.open_stores().await.ghl;
    assert!(ghl.replace_token(&token("a"), None).await.unwrap());
    assert_eq!(ghl.token("loc1").await.unwrap().unwrap().version, 1);
    assert!(ghl.replace_token(&token("b"), Some(1)).await.unwrap());
    assert!(
        !ghl.replace_token(&token("late"), Some(1)).await.unwrap(),
        "a stale writer loses"
    );
    let stored = ghl.token("loc1").await.unwrap().unwrap();
    assert_eq!((stored.version, stored.access_token.as_str()), (2, "b"));
    assert_eq!(stored.refresh_token.as_deref(), Some("refresh-for-b"));
}

async fn reported_statuses_only_move_forward(env: TestEnv) {
    let ghl = env.open_stores().await.ghl;
    assert!(ghl.advance_reported("g1", 1).await.unwrap());
    assert!(!ghl.advance_reported("g1", 0).await.unwrap());
    assert!(!ghl.advance_reported("g1", 1).await.unwrap());
    assert!(ghl.advance_reported("g1", 2).await.unwrap());
    assert_eq!(ghl.reported_rank("g1").await.unwrap(), Some(2));
}
