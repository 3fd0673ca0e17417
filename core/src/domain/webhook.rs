//! Webhooks of saved searches (issue 20): where an event may be sent, how it is signed, and when a
//! failed delivery is tried again.
//!
//! Signing follows the common payment-provider scheme: the signature header's value is
//! `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the search's secret>`. A receiver
//! recomputes the HMAC over the exact bytes it received, compares in constant time and refuses a
//! `t` too far from its clock (replays).
//!
//! The secret is never stored: the store keeps a random nonce per webhook and the secret is the
//! server's peppered HMAC of it, so a copy of the database alone signs nothing.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{FieldError, SecretHasher};

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Longest webhook URL, in bytes.
pub const URL_MAX_BYTES: usize = 2_048;
/// Waits before the second, third… attempt: about 30 s, 2 min, 10 min, 1 h and 6 h. After the
/// last one fails the delivery is dead (kept, and retried only on request).
pub const BACKOFF_SECS: [i64; 5] = [30, 120, 600, 3_600, 21_600];
/// Attempts a delivery gets before it is dead.
pub const MAX_ATTEMPTS: u32 = BACKOFF_SECS.len() as u32 + 1;
/// A webhook that has failed every attempt for this long is disabled (and its owner told).
pub const DISABLE_AFTER: Duration = Duration::days(3);

/// A webhook URL's form: trimmed, at most [`URL_MAX_BYTES`], one word. Where it may point is the
/// outbound policy's to say ([`super::outbound::OutboundPolicy::url`]).
pub fn url(raw: &str) -> Result<String, FieldError> {
    let url = raw.trim();
    if url.len() > URL_MAX_BYTES {
        return Err(FieldError::new("webhook_url", format!("must be at most {URL_MAX_BYTES} bytes")));
    }
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldError::new("webhook_url", "must be a URL (https://…)"));
    }
    Ok(url.to_owned())
}

/// The signing secret of the webhook whose stored nonce is `nonce`.
pub fn secret(hasher: &SecretHasher, nonce: &str) -> String {
    format!("{SECRET_PREFIX}{}", hasher.hash(&format!("jobin webhook signing secret v1|{nonce}")).as_str())
}

/// The `JobIn-Signature` value for `body` sent at `t`.
pub fn signature(secret: &str, t: DateTime<Utc>, body: &[u8]) -> String {
    let stamp = t.timestamp();
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(format!("{stamp}.").as_bytes());
    mac.update(body);
    format!("t={stamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// When to try again after `attempts` attempts have failed; `None`: the delivery is dead.
pub fn retry_after(attempts: u32) -> Option<Duration> {
    let i = usize::try_from(attempts).ok()?.checked_sub(1)?;
    BACKOFF_SECS.get(i).map(|s| Duration::seconds(*s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_one_trimmed_word_of_bounded_length() {
        assert_eq!(url(" https://hooks.example.com/jobin ").unwrap(), "https://hooks.example.com/jobin");
        for bad in ["https://a b", "", "  ", "https://x\u{0}y"] {
            assert_eq!(url(bad).unwrap_err().field, "webhook_url", "{bad}");
        }
        assert!(url(&format!("https://x.example/{}", "a".repeat(URL_MAX_BYTES))).is_err());
    }

    /// The documented scheme, computed here independently of `signature`.
    #[test]
    fn the_signature_is_an_hmac_of_the_stamp_and_the_exact_body() {
        let t = DateTime::<Utc>::from_timestamp(1_796_551_200, 0).unwrap();
        let header = signature("whsec_test", t, br#"{"id":1}"#);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").unwrap();
        mac.update(b"1796551200.{\"id\":1}");
        assert_eq!(header, format!("t=1796551200,v1={}", hex::encode(mac.finalize().into_bytes())));
        assert_ne!(signature("whsec_test", t, br#"{"id":2}"#), header);
        assert_ne!(signature("whsec_other", t, br#"{"id":1}"#), header);
    }

    #[test]
    fn secrets_come_from_the_pepper_and_the_nonce() {
        let a = SecretHasher::new(b"pepper".to_vec());
        let s = secret(&a, "n1");
        assert!(s.starts_with("whsec_") && s.len() == 6 + 64, "{s}");
        assert_eq!(secret(&a, "n1"), s, "stable");
        assert_ne!(secret(&a, "n2"), s);
        assert_ne!(secret(&SecretHasher::new(b"other".to_vec()), "n1"), s);
    }

    #[test]
    fn retries_back_off_then_stop() {
        let waits: Vec<Option<i64>> = (0..=7).map(|n| retry_after(n).map(|d| d.num_seconds())).collect();
        assert_eq!(waits, [None, Some(30), Some(120), Some(600), Some(3_600), Some(21_600), None, None]);
        assert_eq!(MAX_ATTEMPTS, 6);
    }
}
