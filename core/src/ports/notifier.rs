//! Sending a message to an account holder (plan changed, cancelled, payment failed).

use async_trait::async_trait;

/// A plain-text email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The mail server or outbox could not take the message; callers log it and go on (a
    /// notification never undoes the plan change it reports).
    #[error("the notification could not be sent")]
    Unavailable(#[source] anyhow::Error),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Hands `notice` to the transport. MUST return `Unavailable` when it cannot, and never log
    /// secrets (an SMTP URL with a password, say).
    async fn send(&self, notice: &Notice) -> Result<(), NotifyError>;
}
