//! `last_used_at` without a database write per request: uses are noted in memory and flushed to
//! the store in batches (periodically and at shutdown).

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::KeyId;
use crate::ports::{KeyStore, KeyStoreError};

#[derive(Default)]
pub struct LastUsedTracker {
    pending: Mutex<HashMap<KeyId, DateTime<Utc>>>,
}

impl LastUsedTracker {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<KeyId, DateTime<Utc>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts).
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a use; the latest time wins.
    pub fn record(&self, key: KeyId, at: DateTime<Utc>) {
        let mut map = self.map();
        let slot = map.entry(key).or_insert(at);
        if at > *slot {
            *slot = at;
        }
    }

    /// A use noted on this node and not yet flushed.
    pub fn pending(&self, key: KeyId) -> Option<DateTime<Utc>> {
        self.map().get(&key).copied()
    }

    /// Writes every noted use in one batch. On failure the uses are kept for the next flush.
    /// Returns how many keys were written.
    pub async fn flush(&self, store: &dyn KeyStore) -> Result<usize, KeyStoreError> {
        let batch: Vec<(KeyId, DateTime<Utc>)> = self.map().drain().collect();
        if batch.is_empty() {
            return Ok(0);
        }
        match store.record_key_use(&batch).await {
            Ok(()) => Ok(batch.len()),
            Err(e) => {
                for (key, at) in batch {
                    self.record(key, at);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::key_store::MockKeyStore;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(s, 0).unwrap()
    }

    #[tokio::test]
    async fn keeps_latest_use_and_flushes_once() {
        let tracker = LastUsedTracker::default();
        tracker.record(KeyId(1), t(10));
        tracker.record(KeyId(1), t(5));
        tracker.record(KeyId(2), t(7));
        assert_eq!(tracker.pending(KeyId(1)), Some(t(10)));

        let mut store = MockKeyStore::new();
        store
            .expect_record_key_use()
            .times(1)
            .withf(|uses| {
                let mut v = uses.to_vec();
                v.sort();
                v == vec![(KeyId(1), t(10)), (KeyId(2), t(7))]
            })
            .returning(|_| Ok(()));
        assert_eq!(tracker.flush(&store).await.unwrap(), 2);
        assert_eq!(tracker.pending(KeyId(1)), None);
        // Nothing pending: no store call.
        assert_eq!(tracker.flush(&store).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn failed_flush_loses_nothing() {
        let tracker = LastUsedTracker::default();
        tracker.record(KeyId(1), t(10));
        let mut store = MockKeyStore::new();
        store.expect_record_key_use().returning(|_| Err(KeyStoreError::Unavailable(anyhow::anyhow!("down"))));
        assert!(tracker.flush(&store).await.is_err());
        assert_eq!(tracker.pending(KeyId(1)), Some(t(10)));
    }
}
