//! Notifier adapters. `LogOutbox` (the default) appends each message as one JSON line to a file
//! and logs its recipient and subject, so an operator without a mail server still sees what would
//! have been sent.

use async_trait::async_trait;
use jobin_core::ports::{Notice, Notifier, NotifyError};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

pub struct LogOutbox {
    path: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl LogOutbox {
    /// Messages go to `path` (created with its directory on first use).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), lock: tokio::sync::Mutex::new(()) }
    }
}

#[async_trait]
impl Notifier for LogOutbox {
    async fn send(&self, notice: &Notice) -> Result<(), NotifyError> {
        let line = serde_json::json!({
            "at": chrono::Utc::now().to_rfc3339(),
            "to": notice.to,
            "subject": notice.subject,
            "body": notice.body,
        })
        .to_string();
        let _guard = self.lock.lock().await;
        let write = async {
            if let Some(dir) = self.path.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            let mut f = tokio::fs::OpenOptions::new().create(true).append(true).open(&self.path).await?;
            f.write_all(format!("{line}\n").as_bytes()).await?;
            f.flush().await
        };
        write.await.map_err(|e| NotifyError::Unavailable(e.into()))?;
        tracing::info!(to = %notice.to, subject = %notice.subject, outbox = %self.path.display(), "email written to the outbox");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_are_appended_one_json_line_each() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = LogOutbox::new(dir.path().join("mail/outbox.jsonl"));
        for subject in ["one", "two"] {
            let n = Notice { to: "a@example.com".into(), subject: subject.into(), body: "line 1\nline 2".into() };
            outbox.send(&n).await.unwrap();
        }
        let text = std::fs::read_to_string(dir.path().join("mail/outbox.jsonl")).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[1]["to"].as_str(), lines[1]["subject"].as_str()), (Some("a@example.com"), Some("two")));
        assert_eq!(lines[0]["body"], "line 1\nline 2");
    }

    #[tokio::test]
    async fn an_unwritable_outbox_is_unavailable_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let outbox = LogOutbox::new(file.join("outbox.jsonl"));
        let n = Notice { to: "a@example.com".into(), subject: "s".into(), body: "b".into() };
        assert!(matches!(outbox.send(&n).await, Err(NotifyError::Unavailable(_))));
    }
}
