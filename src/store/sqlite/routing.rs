//! The routing generation of the embedded store: one counter row that
//! triggers move on whenever a location route is written or removed, a
//! token owner comes or goes (a refreshed token is not a change), or a
//! webhook is written or removed (its triggers are in `webhooks`). So the
//! counter moves in the very transaction that changes the routing, and a
//! snapshot read in one transaction is consistent with it.

use crate::store::InboundRouting;
use rusqlite::Connection;

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS routing_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT OR IGNORE INTO routing_generation (id, generation) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS routing_location_added AFTER INSERT ON locations
    BEGIN UPDATE routing_generation SET generation = generation + 1; END;
CREATE TRIGGER IF NOT EXISTS routing_location_changed AFTER UPDATE ON locations
    BEGIN UPDATE routing_generation SET generation = generation + 1; END;
CREATE TRIGGER IF NOT EXISTS routing_location_removed AFTER DELETE ON locations
    BEGIN UPDATE routing_generation SET generation = generation + 1; END;
CREATE TRIGGER IF NOT EXISTS routing_token_added AFTER INSERT ON ghl_tokens
    BEGIN UPDATE routing_generation SET generation = generation + 1; END;
CREATE TRIGGER IF NOT EXISTS routing_token_removed AFTER DELETE ON ghl_tokens
    BEGIN UPDATE routing_generation SET generation = generation + 1; END;
"#;

/// The current generation, as `conn` sees it.
pub fn generation(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached("SELECT generation FROM routing_generation WHERE id = 1")?
        .query_row([], |r| r.get::<_, i64>(0))
        .map(|generation| generation as u64)
}

/// The generation with the token owners and routes it stands for.
pub fn snapshot(conn: &mut Connection) -> rusqlite::Result<InboundRouting> {
    let tx = conn.transaction()?;
    let generation = generation(&tx)?;
    let installed = tx
        .prepare_cached("SELECT owner_id FROM ghl_tokens ORDER BY owner_id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let routes = super::routes::all_routes(&tx)?;
    let webhooks = super::webhooks::all_webhooks(&tx)?;
    Ok(InboundRouting {
        generation,
        installed,
        routes,
        webhooks,
    })
}
