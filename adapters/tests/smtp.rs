//! The SMTP notifier against a local SMTP server: plain-text messages with the configured sender,
//! delivered from the background worker, retried after a transient refusal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jobin_adapters::email::SmtpNotifier;
use jobin_adapters::testing::smtp::FakeSmtp;
use jobin_core::ports::{Notice, Notifier};
use secrecy::SecretString;
use std::time::Duration;

fn notice(subject: &str) -> Notice {
    Notice {
        to: "ada@example.com".into(),
        subject: subject.into(),
        body: "Your plan is now pro.\n.A line starting with a dot survives.\nManage it: http://localhost:8080/billing/portal"
            .into(),
    }
}

#[tokio::test]
async fn notices_arrive_as_plain_text_mail_from_the_configured_sender() {
    let smtp = FakeSmtp::start().await;
    let notifier = SmtpNotifier::new(&SecretString::from(smtp.url()), "JobIn Billing <billing@jobin.test>").unwrap();
    notifier.send(&notice("Your JobIn plan is now pro")).await.unwrap();
    let got = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "one message delivered");
    let m = &got[0];
    assert_eq!(m.from, "<billing@jobin.test>");
    assert_eq!(m.to, ["<ada@example.com>"]);
    assert!(m.data.contains("Subject: Your JobIn plan is now pro"), "{}", m.data);
    assert!(m.data.contains("Content-Type: text/plain; charset=utf-8"), "{}", m.data);
    assert!(m.data.contains("From: \"JobIn Billing\" <billing@jobin.test>"), "{}", m.data);
    assert!(m.data.contains("\n.A line starting with a dot survives."), "{}", m.data);
}

#[tokio::test]
async fn a_transient_refusal_is_retried_and_the_message_still_arrives() {
    let smtp = FakeSmtp::start().await;
    smtp.refuse_next(1);
    let notifier = SmtpNotifier::new(&SecretString::from(smtp.url()), "billing@jobin.test").unwrap();
    notifier.send(&notice("Your JobIn payment failed")).await.unwrap();
    let got = smtp.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 1, "delivered on the second attempt");
    assert!(got[0].data.contains("Subject: Your JobIn payment failed"));
}

#[tokio::test]
async fn a_bad_recipient_is_refused_at_once() {
    let smtp = FakeSmtp::start().await;
    let notifier = SmtpNotifier::new(&SecretString::from(smtp.url()), "billing@jobin.test").unwrap();
    let mut n = notice("x");
    n.to = "not an address".into();
    assert!(notifier.send(&n).await.is_err());
}
