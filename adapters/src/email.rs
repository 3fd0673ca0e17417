//! Notifier adapters. `LogOutbox` (the default) appends each message as one JSON line to a file
//! and logs its recipient and subject, so an operator without a mail server still sees what would
//! have been sent. `SmtpNotifier` (with `JOBIN_SMTP_URL`) sends plain-text mail through lettre.

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
            // Owner-only: notices carry account emails.
            let mut options = tokio::fs::OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            options.mode(0o600);
            let mut f = options.open(&self.path).await?;
            f.write_all(format!("{line}\n").as_bytes()).await?;
            // On disk before the notice counts as sent.
            f.sync_data().await
        };
        write.await.map_err(|e| NotifyError::Unavailable(e.into()))?;
        tracing::info!(to = %notice.to, subject = %notice.subject, outbox = %self.path.display(), "email written to the outbox");
        Ok(())
    }
}

/// How long one SMTP delivery may take (connect, TLS, dialogue).
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Delivery attempts per message (1 s, then 4 s apart).
const SMTP_ATTEMPTS: u32 = 3;
/// Messages waiting for the mail server; beyond this `send` answers `Unavailable`.
const SMTP_QUEUE: usize = 1_000;

/// Sends each notice as a plain-text email through an SMTP server, from a background worker: the
/// webhook that caused it answers Stripe at once instead of waiting on the mail server. A message
/// that still fails after `SMTP_ATTEMPTS` is logged (recipient and subject; never the server URL,
/// which may hold a password).
pub struct SmtpNotifier {
    queue: tokio::sync::mpsc::Sender<lettre::Message>,
    from: lettre::message::Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    /// The URL is not an `smtp://` or `smtps://` URL lettre understands (the URL itself is not
    /// repeated: it may hold a password).
    #[error("not an smtp:// or smtps:// URL ({0})")]
    Url(String),
    #[error("not a valid sender address: {0}")]
    From(String),
}

impl SmtpNotifier {
    /// `url`: `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required`, or plain
    /// `smtp://host:port` for a local relay. `from`: the sender, such as `JobIn <billing@example.com>`.
    /// Spawns the delivery worker, so call it inside a Tokio runtime.
    pub fn new(url: &secrecy::SecretString, from: &str) -> Result<Self, SmtpConfigError> {
        use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
        use secrecy::ExposeSecret;
        let from: lettre::message::Mailbox =
            from.parse().map_err(|e: lettre::address::AddressError| SmtpConfigError::From(e.to_string()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| SmtpConfigError::Url(scrub_smtp_error(&e.to_string(), url.expose_secret())))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let (queue, mut rx) = tokio::sync::mpsc::channel::<lettre::Message>(SMTP_QUEUE);
        tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                let to = message.envelope().to().iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                let subject = message.headers().get_raw("Subject").map(str::to_owned).unwrap_or_default();
                let mut wait = std::time::Duration::from_secs(1);
                for attempt in 1..=SMTP_ATTEMPTS {
                    match transport.send(message.clone()).await {
                        Ok(_) => {
                            tracing::info!(%to, %subject, "email sent");
                            break;
                        }
                        Err(e) if attempt < SMTP_ATTEMPTS && !e.is_permanent() => {
                            tracing::warn!(%to, %subject, attempt, error = %e, "email not sent yet; retrying");
                            tokio::time::sleep(wait).await;
                            wait *= 4;
                        }
                        Err(e) => {
                            tracing::error!(%to, %subject, attempt, error = %e, "email not sent; giving up");
                            break;
                        }
                    }
                }
            }
        });
        Ok(Self { queue, from })
    }
}

/// lettre's URL errors do not echo the URL, but make sure: the password never reaches a message.
fn scrub_smtp_error(message: &str, url: &str) -> String {
    match url.split_once("://").and_then(|(_, rest)| rest.split_once('@')).map(|(cred, _)| cred) {
        Some(cred) if !cred.is_empty() => message.replace(cred, "***"),
        _ => message.to_owned(),
    }
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn send(&self, notice: &Notice) -> Result<(), NotifyError> {
        let to: lettre::message::Mailbox =
            notice.to.parse().map_err(|e: lettre::address::AddressError| NotifyError::Unavailable(e.into()))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(notice.subject.clone())
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(notice.body.clone())
            .map_err(|e| NotifyError::Unavailable(e.into()))?;
        self.queue.try_send(message).map_err(|e| {
            NotifyError::Unavailable(anyhow::anyhow!(
                "the email queue is {}",
                match e {
                    tokio::sync::mpsc::error::TrySendError::Full(_) => "full",
                    tokio::sync::mpsc::error::TrySendError::Closed(_) => "closed",
                }
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_credentials_never_reach_an_error_message() {
        let url = "smtps://mailer:hunter2@smtp.example.com:465";
        assert_eq!(scrub_smtp_error("bad mailer:hunter2 here", url), "bad *** here");
        let bad = secrecy::SecretString::from("ftp://mailer:hunter2@x");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let err = rt.block_on(async { SmtpNotifier::new(&bad, "JobIn <billing@example.com>").err() }).unwrap();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let ok = secrecy::SecretString::from("smtp://127.0.0.1:2525");
        let err = rt.block_on(async { SmtpNotifier::new(&ok, "not an address").err() }).unwrap();
        assert!(matches!(err, SmtpConfigError::From(_)), "{err}");
    }

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
