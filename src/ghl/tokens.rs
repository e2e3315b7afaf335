//! OAuth tokens per location: stored sealed on install, handed out to API
//! calls, and refreshed before they expire. One refresh at a time per
//! owner in this process (a lock), and across processes the store's
//! version check: the new grant (with its single-use refresh token) is
//! written only over the version it was made from, so a second refresher
//! loses cleanly and uses the winner's token.

use super::client::{GhlClient, GhlError};
use super::marketplace_app::{AppCredentials, GhlApp};
use super::menu_link;
use super::oauth::{self, TokenGrant};
use crate::store::{GhlState, StoredToken, TokenOwnerKind};
use crate::support::clock::now_ms;
use crate::support::keyed_lock::KeyedLocks;
use crate::support::secrets::SecretText;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The longest a token is refreshed ahead of its expiry by the background
/// task (GHL's tokens last a day), and ahead of a call.
const REFRESH_AHEAD_MS: i64 = 60 * 60 * 1000;
const CALL_MARGIN_MS: i64 = 60 * 1000;
/// How often the background task looks for tokens to refresh.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

pub struct TokenKeeper {
    store: Arc<dyn GhlState>,
    app: Arc<GhlApp>,
    client: Arc<GhlClient>,
    refreshing: KeyedLocks,
    /// The panel's public URL, for the agency's Custom Menu Link; `None`
    /// (no PUBLIC_BASE_URL): no link is made.
    panel_url: Option<String>,
}

impl TokenKeeper {
    pub fn new(
        store: Arc<dyn GhlState>,
        app: Arc<GhlApp>,
        client: Arc<GhlClient>,
        panel_url: Option<String>,
    ) -> Self {
        Self {
            store,
            app,
            client,
            refreshing: KeyedLocks::default(),
            panel_url,
        }
    }

    /// Finishes an install: exchanges the code and stores a token for each
    /// location it covers (an agency install covers every location that has
    /// the app). Returns those locations.
    pub async fn install(&self, code: &str) -> Result<Vec<String>, GhlError> {
        let app = self.app.credentials().await?;
        let grant = oauth::exchange_code(&self.client, &app, code).await?;
        if !grant.is_company() {
            let location = grant
                .location_id
                .clone()
                .ok_or_else(|| GhlError::BadAnswer("a location grant without locationId".into()))?;
            self.save_new(&location, TokenOwnerKind::Location, &grant).await?;
            return Ok(vec![location]);
        }
        let company = grant
            .company_id
            .clone()
            .ok_or_else(|| GhlError::BadAnswer("a company grant without companyId".into()))?;
        self.save_new(&company, TokenOwnerKind::Company, &grant).await?;
        let locations =
            oauth::installed_locations(&self.client, &grant.access_token, &company, &app.app_id).await?;
        for location in &locations {
            let made = oauth::location_token(&self.client, &grant.access_token, &company, location).await?;
            self.save_new(location, TokenOwnerKind::Location, &made).await?;
        }
        self.add_menu_link(&company, &grant.access_token).await;
        Ok(locations)
    }

    /// The panel's Custom Menu Link in the agency's GHL (`menu_link`). A
    /// failure is logged and the install stands: the link can be added by
    /// hand.
    async fn add_menu_link(&self, company: &str, token: &SecretText) {
        let Some(panel_url) = &self.panel_url else {
            tracing::info!(
                company,
                "no PUBLIC_BASE_URL: the panel's GHL menu link is not made"
            );
            return;
        };
        match menu_link::ensure(&self.client, token, company, panel_url).await {
            Ok(id) => tracing::info!(company, menu = %id, "the panel is in the agency's GHL menu"),
            Err(e) => {
                tracing::warn!(company, error = %e, "the panel's GHL menu link could not be made; add it by hand")
            }
        }
    }

    /// Removes the panel's menu link while the agency's token still works
    /// (GHL's docs do not say whether it does after an uninstall); a
    /// refusal is logged and the uninstall goes on.
    async fn remove_menu_link(&self, company: &str) {
        let Some(panel_url) = &self.panel_url else { return };
        let removed = match self.access_token(company).await {
            Ok(token) => menu_link::remove(&self.client, &token, company, panel_url).await,
            Err(e) => Err(e),
        };
        match removed {
            Ok(Some(id)) => tracing::info!(company, menu = %id, "the panel's GHL menu link was removed"),
            Ok(None) => {}
            Err(e) => tracing::info!(company, error = %e, "the panel's GHL menu link was not removed"),
        }
    }

    /// A location the app reached after an agency install (GHL's INSTALL
    /// event; installed via future locations it names no company, see
    /// docs/webhook events/AppInstall.md): its token is made from the token
    /// of the agency whose install covers it. The agency, or `None` when no
    /// agency held here covers it.
    pub async fn add_location(
        &self,
        location: &str,
        named: Option<&str>,
    ) -> Result<Option<String>, GhlError> {
        let Some(company) = self.agency_of(location, named).await? else {
            return Ok(None);
        };
        let company_token = self.access_token(&company).await?;
        let made = oauth::location_token(&self.client, &company_token, &company, location).await?;
        self.save_new(location, TokenOwnerKind::Location, &made).await?;
        Ok(Some(company))
    }

    /// The agency held here whose install covers `location`: the one the
    /// event names; else the one its stored token came from; else the one
    /// GHL lists it under (installedLocations filtered by `locationId`).
    async fn agency_of(&self, location: &str, named: Option<&str>) -> Result<Option<String>, GhlError> {
        let tokens = self.store.tokens().await?;
        let agencies: Vec<&str> = tokens
            .iter()
            .filter(|t| t.kind == TokenOwnerKind::Company)
            .map(|t| t.owner_id.as_str())
            .collect();
        if let Some(named) = named {
            return Ok(agencies.contains(&named).then(|| named.to_owned()));
        }
        let stored = tokens.iter().find(|t| t.owner_id == location);
        if let Some(company) = stored.and_then(|t| t.company_id.as_deref()) {
            return Ok(agencies.contains(&company).then(|| company.to_owned()));
        }
        let app_id = self.app.credentials().await?.app_id;
        for agency in agencies {
            let token = self.access_token(agency).await?;
            if oauth::installed_in(&self.client, &token, agency, &app_id, location).await? {
                return Ok(Some(agency.to_owned()));
            }
        }
        Ok(None)
    }

    /// Whether `owner` has a token.
    pub async fn has(&self, owner: &str) -> Result<bool, GhlError> {
        Ok(self.store.token(owner).await?.is_some())
    }

    /// Forgets an agency's token and every location token installed under
    /// it or made from it (GHL's agency UNINSTALL, docs/webhook
    /// events/AppUninstall.md). Returns the ids forgotten.
    pub async fn forget_agency(&self, company: &str) -> Result<Vec<String>, GhlError> {
        if self.has(company).await? {
            self.remove_menu_link(company).await;
        }
        let tokens = self.store.tokens().await?;
        let of_agency = tokens
            .iter()
            .filter(|t| t.owner_id == company || t.company_id.as_deref() == Some(company));
        let mut forgotten = Vec::new();
        for token in of_agency {
            if self.forget(&token.owner_id).await? {
                forgotten.push(token.owner_id.clone());
            }
        }
        Ok(forgotten)
    }

    /// Forgets an owner's tokens (GHL's UNINSTALL event); false when none.
    pub async fn forget(&self, owner: &str) -> Result<bool, GhlError> {
        let removed = self.store.remove_token(owner).await?;
        if removed {
            tracing::info!(owner, "forgot a GHL token: the app was uninstalled");
        }
        Ok(removed)
    }

    async fn save_new(&self, owner: &str, kind: TokenOwnerKind, grant: &TokenGrant) -> Result<(), GhlError> {
        let token = self.sealed(owner, kind, grant, grant.company_id.clone());
        self.store.replace_token(&token, None).await?;
        tracing::info!(owner, ?kind, "stored a GHL token");
        Ok(())
    }

    fn sealed(
        &self,
        owner: &str,
        kind: TokenOwnerKind,
        grant: &TokenGrant,
        company: Option<String>,
    ) -> StoredToken {
        let secrets = self.app.secrets();
        StoredToken {
            owner_id: owner.to_owned(),
            kind,
            company_id: company,
            access_token: secrets.seal(grant.access_token.expose()),
            refresh_token: grant.refresh_token.as_ref().map(|r| secrets.seal(r.expose())),
            expires_at_ms: now_ms() + grant.expires_in_secs * 1000,
            scope: grant.scope.clone(),
            version: 0,
            updated_at_ms: now_ms(),
        }
    }

    /// A usable access token for `location`, refreshed first when it is
    /// about to expire.
    pub async fn access_token(&self, location: &str) -> Result<SecretText, GhlError> {
        let token = self.stored(location).await?;
        let token = if now_ms() + call_margin(&token) >= token.expires_at_ms {
            self.refresh(&token).await?
        } else {
            token
        };
        Ok(SecretText::new(self.app.secrets().open(&token.access_token)?))
    }

    /// Refreshes `location`'s token now (GHL refused it before its time).
    pub async fn renew(&self, location: &str) -> Result<(), GhlError> {
        let token = self.stored(location).await?;
        self.refresh(&token).await.map(drop)
    }

    async fn stored(&self, owner: &str) -> Result<StoredToken, GhlError> {
        self.store
            .token(owner)
            .await?
            .ok_or_else(|| GhlError::NotInstalled(owner.to_owned()))
    }

    /// Replaces `seen` with a fresh grant, unless someone already did.
    async fn refresh(&self, seen: &StoredToken) -> Result<StoredToken, GhlError> {
        let _held = self.refreshing.lock(&seen.owner_id).await;
        let current = self.stored(&seen.owner_id).await?;
        if current.version != seen.version {
            return Ok(current);
        }
        let app = self.app.credentials().await?;
        let grant = match self.new_grant(&app, &current).await {
            Ok(grant) => grant,
            Err(e) => return self.after_failed_refresh(&current, e).await,
        };
        let fresh = self.sealed(
            &current.owner_id,
            current.kind,
            &grant,
            current.company_id.clone(),
        );
        if !self.store.replace_token(&fresh, Some(current.version)).await? {
            tracing::info!(owner = %current.owner_id, "another process refreshed this GHL token first");
        } else {
            tracing::info!(owner = %current.owner_id, "refreshed a GHL token");
        }
        self.stored(&current.owner_id).await
    }

    async fn new_grant(&self, app: &AppCredentials, token: &StoredToken) -> Result<TokenGrant, GhlError> {
        let secrets = self.app.secrets();
        if let Some(sealed) = &token.refresh_token {
            let refresh_token = SecretText::new(secrets.open(sealed)?);
            let user_type = match token.kind {
                TokenOwnerKind::Company => "Company",
                TokenOwnerKind::Location => "Location",
            };
            return oauth::refresh(&self.client, app, &refresh_token, user_type).await;
        }
        let company = token.company_id.as_deref().ok_or(GhlError::NotConfigured(
            "a location token without a refresh token or agency",
        ))?;
        let company_token = self.access_token_of_company(company).await?;
        oauth::location_token(&self.client, &company_token, company, &token.owner_id).await
    }

    async fn access_token_of_company(&self, company: &str) -> Result<SecretText, GhlError> {
        Box::pin(self.access_token(company)).await
    }

    /// A refresh GHL refused may have lost a race with another process:
    /// if the stored token moved on meanwhile, that one is good.
    async fn after_failed_refresh(
        &self,
        seen: &StoredToken,
        error: GhlError,
    ) -> Result<StoredToken, GhlError> {
        let current = self.stored(&seen.owner_id).await?;
        if current.version != seen.version {
            return Ok(current);
        }
        tracing::warn!(owner = %seen.owner_id, error = %error, "could not refresh a GHL token; reinstall the app if this persists");
        Err(error)
    }

    /// Refreshes every token that expires soon, until `stop`.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        loop {
            self.refresh_expiring().await;
            tokio::select! {
                _ = tokio::time::sleep(SWEEP_EVERY) => {},
                _ = stop.cancelled() => return,
            }
        }
    }

    async fn refresh_expiring(&self) {
        let tokens = match self.store.tokens().await {
            Ok(tokens) => tokens,
            Err(e) => return tracing::warn!(error = %e, "cannot read GHL tokens"),
        };
        let soon = tokens
            .iter()
            .filter(|t| now_ms() + refresh_ahead(t) >= t.expires_at_ms);
        for token in soon {
            if let Err(e) = self.refresh(token).await {
                tracing::warn!(owner = %token.owner_id, error = %e, "GHL token refresh failed; will try again");
            }
        }
    }
}

/// A token's lifetime as it was granted.
fn lifetime_ms(token: &StoredToken) -> i64 {
    (token.expires_at_ms - token.updated_at_ms).max(0)
}

/// How early the background task refreshes: an hour, or a quarter of a
/// short lifetime.
fn refresh_ahead(token: &StoredToken) -> i64 {
    REFRESH_AHEAD_MS.min(lifetime_ms(token) / 4)
}

/// How close to expiry a token is refreshed before a call.
fn call_margin(token: &StoredToken) -> i64 {
    CALL_MARGIN_MS.min(lifetime_ms(token) / 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(lifetime_ms: i64) -> StoredToken {
        StoredToken {
            owner_id: "loc".into(),
            kind: TokenOwnerKind::Location,
            company_id: None,
            access_token: "plain:a".into(),
            refresh_token: Some("plain:r".into()),
            expires_at_ms: 1_000 + lifetime_ms,
            scope: String::new(),
            version: 1,
            updated_at_ms: 1_000,
        }
    }

    #[test]
    fn day_long_tokens_refresh_an_hour_ahead_and_a_minute_before_a_call() {
        let day = token(86_399_000);
        assert_eq!(refresh_ahead(&day), 3_600_000);
        assert_eq!(call_margin(&day), 60_000);
    }

    #[test]
    fn short_tokens_refresh_in_proportion() {
        let short = token(4_000);
        assert_eq!(refresh_ahead(&short), 1_000);
        assert_eq!(call_margin(&short), 400);
    }
}
