//! The embedded database's tables and indexes, and the one-time rebuilds
//! that bring a database made by an older wagate to the current layout.
//!
//! `messages` keeps two indexes besides its row order: `messages_identity`
//! (unique per instance and direction, and led by the id so lookups by id
//! use it too) and the partial `messages_queued` for queue heads. Every
//! insert pays for each index, so there are no others. Its `seq` is a plain
//! row id: messages are never deleted, so the next is always the highest
//! plus one, as AUTOINCREMENT would make it without reading and rewriting
//! `sqlite_sequence` on every insert.

use rusqlite::{Connection, OptionalExtension};

const TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    alias TEXT,
    phone TEXT,
    created_at INTEGER NOT NULL,
    last_connected_at INTEGER,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS locations (
    location_id TEXT PRIMARY KEY,
    route TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contact_routes (
    location_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    PRIMARY KEY (location_id, contact_id)
);
CREATE TABLE IF NOT EXISTS new_contact_numbers (
    location_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    PRIMARY KEY (location_id, phone)
);
CREATE TABLE IF NOT EXISTS location_turns (
    location_id TEXT PRIMARY KEY,
    turn INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pacing (
    instance_id TEXT PRIMARY KEY,
    last_send_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS forwards (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT 'webhook'
);
CREATE TABLE IF NOT EXISTS write_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS forwards_due ON forwards (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS forwards_by_status ON forwards (status, created_at);
"#;

/// The columns of `messages` an older layout may be rebuilt from, in their
/// stored order (`details` came later: see [`add_message_details`]).
const MESSAGE_COLUMNS: &str = "seq, id, instance_id, direction, kind, from_phone, to_phone, text, media_url,
    caption, status, error, attempts, created_at, updated_at, request_id";

fn messages_table(name: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {name} (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            direction TEXT NOT NULL,
            kind TEXT NOT NULL,
            from_phone TEXT,
            to_phone TEXT,
            text TEXT NOT NULL,
            media_url TEXT,
            caption TEXT,
            status TEXT NOT NULL,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            request_id TEXT,
            details TEXT
        )"
    )
}

const MESSAGE_INDEXES: &str = r#"
DROP INDEX IF EXISTS messages_by_id;
DROP INDEX IF EXISTS messages_by_time;
CREATE UNIQUE INDEX IF NOT EXISTS messages_identity ON messages (id, instance_id, direction);
CREATE INDEX IF NOT EXISTS messages_queued ON messages (instance_id, seq) WHERE status = 'queued';
"#;

/// Creates what is missing and rebuilds an older `messages` table.
pub(super) fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(TABLES)?;
    if has_table_level_identity(conn)? || has_autoincrement(conn)? {
        rebuild_messages(conn)?;
    }
    conn.execute_batch(&messages_table("messages"))?;
    conn.execute_batch(MESSAGE_INDEXES)?;
    conn.execute_batch(super::ghl::SCHEMA)?;
    conn.execute_batch(super::routing::SCHEMA)?;
    conn.execute_batch(super::group_contacts::SCHEMA)?;
    conn.execute_batch(super::webhooks::SCHEMA)?;
    super::sending::prepare(conn)?;
    add_message_details(conn)?;
    add_forward_targets(conn)
}

/// Databases from before this layout declared the identity as a table
/// constraint, whose index (instance first) cannot serve lookups by id and
/// cannot be dropped without rebuilding the table.
fn has_table_level_identity(conn: &Connection) -> rusqlite::Result<bool> {
    finds_row(
        conn,
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'
           AND name LIKE 'sqlite_autoindex_messages_%'",
    )
}

/// Databases from before `seq` was a plain row id.
fn has_autoincrement(conn: &Connection) -> rusqlite::Result<bool> {
    finds_row(
        conn,
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'
           AND sql LIKE '%AUTOINCREMENT%'",
    )
}

fn finds_row(conn: &Connection, sql: &str) -> rusqlite::Result<bool> {
    conn.query_row(sql, [], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// Copies every message, with its sequence number, into a table of the
/// current layout, in one transaction: a crash leaves the old table whole.
fn rebuild_messages(conn: &Connection) -> rusqlite::Result<()> {
    tracing::info!("rebuilding the messages table for the current layout (once)");
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(&format!(
        "DROP TABLE IF EXISTS messages_rebuilt;
         {table};
         INSERT INTO messages_rebuilt ({MESSAGE_COLUMNS}) SELECT {MESSAGE_COLUMNS} FROM messages;
         DROP TABLE messages;
         ALTER TABLE messages_rebuilt RENAME TO messages;
         {MESSAGE_INDEXES}",
        table = messages_table("messages_rebuilt"),
    ))?;
    tx.commit()
}

/// Databases made before sends had details (quotes, reactions, locations,
/// contact cards) get the column; their messages have none.
fn add_message_details(conn: &Connection) -> rusqlite::Result<()> {
    if !has_column(conn, "messages", "details")? {
        conn.execute_batch("ALTER TABLE messages ADD COLUMN details TEXT")?;
    }
    Ok(())
}

fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |r| r.get(0),
    )
}

/// Databases made before forwards had targets get the column (all their
/// forwards were webhooks).
fn add_forward_targets(conn: &Connection) -> rusqlite::Result<()> {
    if !has_column(conn, "forwards", "target")? {
        conn.execute_batch("ALTER TABLE forwards ADD COLUMN target TEXT NOT NULL DEFAULT 'webhook'")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `messages` table as wagate made it before this layout.
    const OLD_MESSAGES: &str = "CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, instance_id TEXT NOT NULL,
        direction TEXT NOT NULL, kind TEXT NOT NULL, from_phone TEXT, to_phone TEXT, text TEXT NOT NULL,
        media_url TEXT, caption TEXT, status TEXT NOT NULL, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, request_id TEXT,
        UNIQUE (instance_id, direction, id));
        CREATE INDEX messages_by_id ON messages (id);
        CREATE INDEX messages_by_time ON messages (created_at);
        CREATE INDEX messages_queued ON messages (instance_id, seq) WHERE status = 'queued';";

    fn indexes(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name",
            )
            .unwrap();
        let names = stmt.query_map([], |r| r.get(0)).unwrap();
        names.map(Result::unwrap).collect()
    }

    fn insert(conn: &Connection, id: &str) {
        conn.execute(
            "INSERT INTO messages (id, instance_id, direction, kind, text, status, created_at, updated_at)
             VALUES (?1, 'wa-01', 'outbound', 'text', 'hi', 'queued', 1, 1)",
            [id],
        )
        .unwrap();
    }

    /// Every message's (seq, id), in order.
    fn in_order(conn: &Connection) -> Vec<(i64, String)> {
        let mut stmt = conn.prepare("SELECT seq, id FROM messages ORDER BY seq").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn a_new_database_gets_the_two_message_indexes() {
        let conn = Connection::open_in_memory().unwrap();
        prepare(&conn).unwrap();
        assert_eq!(indexes(&conn), ["messages_identity", "messages_queued"]);
    }

    #[test]
    fn an_older_database_is_rebuilt_keeping_every_message_and_its_order() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(OLD_MESSAGES).unwrap();
        for id in ["b", "a", "c"] {
            insert(&conn, id);
        }
        prepare(&conn).unwrap();
        assert_eq!(indexes(&conn), ["messages_identity", "messages_queued"]);
        assert_eq!(
            in_order(&conn),
            [(1, "b".into()), (2, "a".into()), (3, "c".into())]
        );
        insert(&conn, "d");
        let next: i64 = conn
            .query_row("SELECT seq FROM messages WHERE id = 'd'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(next, 4, "sequence numbers carry on after the rebuild");
    }

    #[test]
    fn a_table_with_autoincrement_is_rebuilt_with_a_plain_row_id() {
        let conn = Connection::open_in_memory().unwrap();
        let previous = messages_table("messages").replace("PRIMARY KEY,", "PRIMARY KEY AUTOINCREMENT,");
        conn.execute_batch(&previous).unwrap();
        conn.execute_batch(MESSAGE_INDEXES).unwrap();
        insert(&conn, "a");
        insert(&conn, "b");
        assert!(has_autoincrement(&conn).unwrap());
        prepare(&conn).unwrap();
        assert!(!has_autoincrement(&conn).unwrap());
        insert(&conn, "c");
        assert_eq!(
            in_order(&conn),
            [(1, "a".into()), (2, "b".into()), (3, "c".into())]
        );
    }

    #[test]
    fn a_database_from_before_details_gets_the_column_and_keeps_its_messages() {
        let conn = Connection::open_in_memory().unwrap();
        let previous = messages_table("messages").replace(",\n            details TEXT", "");
        assert!(!previous.contains("details"), "{previous}");
        conn.execute_batch(&previous).unwrap();
        insert(&conn, "a");
        prepare(&conn).unwrap();
        assert!(has_column(&conn, "messages", "details").unwrap());
        assert_eq!(in_order(&conn), [(1, "a".into())]);
        prepare(&conn).unwrap();
    }

    #[test]
    fn the_identity_stays_unique_after_a_rebuild() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(OLD_MESSAGES).unwrap();
        insert(&conn, "a");
        prepare(&conn).unwrap();
        let again = conn.execute(
            "INSERT OR IGNORE INTO messages (id, instance_id, direction, kind, text, status, created_at, updated_at)
             VALUES ('a', 'wa-01', 'outbound', 'text', 'hi', 'queued', 1, 1)",
            [],
        );
        assert_eq!(again.unwrap(), 0);
        prepare(&conn).unwrap();
        assert_eq!(
            indexes(&conn),
            ["messages_identity", "messages_queued"],
            "preparing twice changes nothing"
        );
    }
}
