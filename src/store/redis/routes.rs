//! GHL location routes: one hash of location → route JSON; per location,
//! a hash of contact → instance overrides, a hash of new contact's phone →
//! the number it was given, and a round-robin counter.

use super::{unavailable, RedisStore};
use crate::domain::InstanceId;
use crate::store::{LocationRoute, LocationRoutes, StoreError, StoreResult};
use async_trait::async_trait;
use redis::AsyncCommands;

fn decode(json: &str) -> StoreResult<LocationRoute> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Routes as stored (JSON), by location id.
pub(super) fn decode_all(all: &[String]) -> StoreResult<Vec<LocationRoute>> {
    let mut routes = all
        .iter()
        .map(|json| decode(json))
        .collect::<StoreResult<Vec<_>>>()?;
    routes.sort_by(|a, b| a.location_id.cmp(&b.location_id));
    Ok(routes)
}

impl RedisStore {
    /// The instance a hash holds under `field`.
    async fn instance_in(&self, hash: String, field: &str) -> StoreResult<Option<InstanceId>> {
        let mut conn = self.conn().await?;
        let raw: Option<String> = conn.hget(hash, field).await.map_err(unavailable)?;
        Ok(raw.and_then(|raw| InstanceId::parse(&raw).ok()))
    }
}

#[async_trait]
impl LocationRoutes for RedisStore {
    async fn set_location(&self, route: &LocationRoute) -> StoreResult<()> {
        let json = serde_json::to_string(route).expect("plain data serialises");
        let mut conn = self.conn().await?;
        redis::pipe()
            .atomic()
            .hset(self.keys.locations(), &route.location_id, json)
            .incr(self.keys.routing_generation(), 1)
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn location(&self, location_id: &str) -> StoreResult<Option<LocationRoute>> {
        let mut conn = self.conn().await?;
        let json: Option<String> = conn
            .hget(self.keys.locations(), location_id)
            .await
            .map_err(unavailable)?;
        json.as_deref().map(decode).transpose()
    }

    async fn locations(&self) -> StoreResult<Vec<LocationRoute>> {
        let mut conn = self.conn().await?;
        let all: Vec<String> = conn.hvals(self.keys.locations()).await.map_err(unavailable)?;
        decode_all(&all)
    }

    async fn remove_location(&self, location_id: &str) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let (removed, _, _): (i64, i64, i64) = redis::pipe()
            .atomic()
            .hdel(self.keys.locations(), location_id)
            .del(&[
                self.keys.contact_routes(location_id),
                self.keys.new_contact_numbers(location_id),
                self.keys.location_turns(location_id),
            ])
            .incr(self.keys.routing_generation(), 1)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(removed > 0)
    }

    async fn set_contact_instance(
        &self,
        location_id: &str,
        contact_id: &str,
        instance: Option<&InstanceId>,
    ) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let key = self.keys.contact_routes(location_id);
        match instance {
            Some(instance) => conn.hset::<_, _, _, ()>(key, contact_id, instance.as_str()).await,
            None => conn.hdel::<_, _, ()>(key, contact_id).await,
        }
        .map_err(unavailable)
    }

    async fn contact_instance(&self, location_id: &str, contact_id: &str) -> StoreResult<Option<InstanceId>> {
        self.instance_in(self.keys.contact_routes(location_id), contact_id)
            .await
    }

    async fn new_contact_number(&self, location_id: &str, phone: &str) -> StoreResult<Option<InstanceId>> {
        self.instance_in(self.keys.new_contact_numbers(location_id), phone)
            .await
    }

    async fn give_new_contact_number(
        &self,
        location_id: &str,
        phone: &str,
        instance: &InstanceId,
        replace: bool,
    ) -> StoreResult<InstanceId> {
        let mut conn = self.conn().await?;
        let key = self.keys.new_contact_numbers(location_id);
        let mut pipe = redis::pipe();
        pipe.atomic();
        match replace {
            true => pipe.hset(&key, phone, instance.as_str()),
            false => pipe.hset_nx(&key, phone, instance.as_str()),
        };
        let (_, standing): (i64, String) = pipe
            .hget(&key, phone)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        InstanceId::parse(&standing).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn next_turn(&self, location_id: &str) -> StoreResult<u64> {
        let mut conn = self.conn().await?;
        let taken: u64 = conn
            .incr(self.keys.location_turns(location_id), 1)
            .await
            .map_err(unavailable)?;
        Ok(taken - 1)
    }
}
