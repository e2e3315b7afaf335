//! The instance registry held in memory beside its table, so the send
//! path's lookup costs no trip to SQLite. It is loaded once at open and
//! changed only together with the table, inside the writing connection's
//! lock, so it follows the table's order of changes (the embedded store
//! has one process: nothing else writes the table).

use crate::domain::InstanceId;
use crate::store::InstanceRecord;
use std::collections::HashMap;
use std::sync::RwLock;

pub(super) struct InstanceCache {
    records: RwLock<HashMap<InstanceId, InstanceRecord>>,
}

impl InstanceCache {
    pub(super) fn new(records: Vec<InstanceRecord>) -> Self {
        let records = records.into_iter().map(|r| (r.id.clone(), r)).collect();
        Self {
            records: RwLock::new(records),
        }
    }

    pub(super) fn get(&self, id: &InstanceId) -> Option<InstanceRecord> {
        let records = self.records.read().unwrap_or_else(|p| p.into_inner());
        records.get(id).cloned()
    }

    pub(super) fn put(&self, record: InstanceRecord) {
        let mut records = self.records.write().unwrap_or_else(|p| p.into_inner());
        records.insert(record.id.clone(), record);
    }

    pub(super) fn remove(&self, id: &InstanceId) {
        let mut records = self.records.write().unwrap_or_else(|p| p.into_inner());
        records.remove(id);
    }
}
