//! One `Notifier` contract, run against the log outbox and SMTP (a local SMTP server): a notice
//! is delivered once, to its recipient, with its subject and every line of its body, also when
//! several are sent at once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use async_trait::async_trait;
use jobin_adapters::contract_suite;
use jobin_adapters::email::{LogOutbox, SmtpNotifier};
use jobin_adapters::testing::Subject;
use jobin_adapters::testing::smtp::FakeSmtp;
use jobin_core::ports::{Notice, Notifier};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

/// What reached the other side, one text per message (headers and body, or the outbox line).
#[async_trait]
trait Inbox: Send + Sync {
    /// Waits (a few seconds at most) until `n` messages arrived; returns what arrived.
    async fn wait_for(&self, n: usize) -> Vec<String>;
}

#[derive(Clone)]
struct Mail {
    notifier: Arc<dyn Notifier>,
    inbox: Arc<dyn Inbox>,
    /// Kept alive for the case (the outbox's directory).
    _dir: Arc<Option<tempfile::TempDir>>,
}

struct OutboxFile(std::path::PathBuf);

#[async_trait]
impl Inbox for OutboxFile {
    async fn wait_for(&self, n: usize) -> Vec<String> {
        let read = || -> Vec<String> {
            std::fs::read_to_string(&self.0)
                .unwrap_or_default()
                .lines()
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object per line");
                    let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
                    format!("To: {}\nSubject: {}\n\n{}", field("to"), field("subject"), field("body"))
                })
                .collect()
        };
        for _ in 0..50 {
            if read().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        read()
    }
}

struct SmtpInbox(FakeSmtp);

#[async_trait]
impl Inbox for SmtpInbox {
    async fn wait_for(&self, n: usize) -> Vec<String> {
        self.0.wait_for(n, Duration::from_secs(15)).await.into_iter().map(|m| m.data).collect()
    }
}

async fn outbox() -> Option<Subject<Mail>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail/outbox.jsonl");
    Some(Subject::new(Mail {
        notifier: Arc::new(LogOutbox::new(&path)),
        inbox: Arc::new(OutboxFile(path)),
        _dir: Arc::new(Some(dir)),
    }))
}

async fn smtp() -> Option<Subject<Mail>> {
    let server = FakeSmtp::start().await;
    let notifier = SmtpNotifier::new(&SecretString::from(server.url()), "JobIn <billing@jobin.test>").unwrap();
    Some(Subject::new(Mail { notifier: Arc::new(notifier), inbox: Arc::new(SmtpInbox(server)), _dir: Arc::new(None) }))
}

fn notice(to: &str, subject: &str) -> Notice {
    Notice {
        to: to.into(),
        subject: subject.into(),
        body: format!("Hello {to},\nyour plan is now pro.\nManage it: https://jobin.test/billing/portal\n"),
    }
}

fn assert_carries(message: &str, n: &Notice) {
    assert!(message.contains(&n.to), "recipient {} in {message}", n.to);
    assert!(message.contains(&n.subject), "subject {} in {message}", n.subject);
    for line in n.body.lines() {
        assert!(message.contains(line), "body line {line:?} in {message}");
    }
}

async fn a_notice_arrives_once_with_its_recipient_subject_and_body(mail: Mail) {
    let n = notice("ada@example.com", "Your JobIn plan is now pro");
    mail.notifier.send(&n).await.unwrap();
    let got = mail.inbox.wait_for(1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_carries(&got[0], &n);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(mail.inbox.wait_for(1).await.len(), 1, "delivered once");
}

async fn notices_sent_at_once_each_arrive_once(mail: Mail) {
    let notices: Vec<Notice> =
        (0..8).map(|i| notice(&format!("user{i}@example.com"), &format!("Notice {i}"))).collect();
    let sends = notices.iter().map(|n| {
        let notifier = mail.notifier.clone();
        let n = n.clone();
        tokio::spawn(async move { notifier.send(&n).await })
    });
    for r in futures::future::join_all(sends).await {
        r.unwrap().unwrap();
    }
    let got = mail.inbox.wait_for(notices.len()).await;
    assert_eq!(got.len(), notices.len(), "{got:?}");
    for n in &notices {
        let matching: Vec<&String> = got.iter().filter(|m| m.contains(&format!("{}\n", n.subject))).collect();
        assert_eq!(matching.len(), 1, "{} arrived once", n.subject);
        assert_carries(matching[0], n);
    }
}

contract_suite! {
    cases: [a_notice_arrives_once_with_its_recipient_subject_and_body, notices_sent_at_once_each_arrive_once];
    outbox => outbox(),
    smtp => smtp(),
}
