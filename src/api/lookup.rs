//! `GET /api/instances/{id}/contacts/{phone}`: is this number on WhatsApp,
//! and under which WhatsApp id? Asked through the instance's own session
//! (wherever it runs). WhatsApp watches numbers that check many others, so
//! each instance may ask at most LOOKUPS_PER_MINUTE times a minute in this
//! process; more get 429 with Retry-After.

use super::common::{control, find_instance, ok, with_state};
use super::error::{reply, ApiError};
use super::send::parse_phone;
use super::state::AppState;
use crate::cluster::control::Control;
use crate::domain::InstanceId;
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

const WINDOW: Duration = Duration::from_secs(60);

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limiter = Arc::new(Limiter::new(state.settings.wa.lookups_per_minute));
    warp::path!("instances" / String / "contacts" / String)
        .and(warp::get())
        .and(with_state(state))
        .and(warp::any().map(move || limiter.clone()))
        .and_then(lookup)
        .boxed()
}

async fn lookup(
    raw_id: String,
    raw_phone: String,
    state: AppState,
    limiter: Arc<Limiter>,
) -> Result<warp::reply::Response, warp::Rejection> {
    let record = find_instance(&state, &raw_id).await?;
    let digits = raw_phone.trim_start_matches("%2B").trim_start_matches('+');
    let phone = parse_phone("phone", &format!("+{digits}"), &state)?;
    if let Err(wait) = limiter.take(&record.id, Instant::now()) {
        let message = format!(
            "at most {} lookups a minute per number; try again later",
            limiter.per_minute
        );
        let refused = reply(&ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            message,
        ));
        let seconds = wait.as_secs() + 1;
        return Ok(warp::reply::with_header(refused, "retry-after", seconds.to_string()).into_response());
    }
    let jid = control(&state, &record, Control::Lookup { phone: phone.clone() }).await?;
    let answer = ok(json!({
        "instanceId": record.id,
        "phone": phone.e164(),
        "onWhatsApp": jid.is_some(),
        "jid": jid,
    }))?;
    Ok(answer.into_response())
}

/// At most `per_minute` lookups per instance in any minute.
struct Limiter {
    per_minute: u32,
    asked: Mutex<HashMap<InstanceId, VecDeque<Instant>>>,
}

impl Limiter {
    fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            asked: Mutex::default(),
        }
    }

    /// Counts a lookup, or says how long until one is allowed.
    fn take(&self, id: &InstanceId, now: Instant) -> Result<(), Duration> {
        let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        let times = asked.entry(id.clone()).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            times.pop_front();
        }
        if times.len() >= self.per_minute as usize {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(WINDOW.saturating_sub(now.duration_since(oldest)));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_instance_gets_its_own_minute() {
        let limiter = Limiter::new(2);
        let (wa01, wa02) = (
            InstanceId::parse("wa-01").unwrap(),
            InstanceId::parse("wa-02").unwrap(),
        );
        let start = Instant::now();
        assert!(limiter.take(&wa01, start).is_ok());
        assert!(limiter.take(&wa01, start + Duration::from_secs(10)).is_ok());
        let wait = limiter.take(&wa01, start + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        assert!(
            limiter.take(&wa02, start + Duration::from_secs(20)).is_ok(),
            "another instance"
        );
        assert!(
            limiter.take(&wa01, start + Duration::from_secs(60)).is_ok(),
            "the first one left the minute"
        );
    }
}
