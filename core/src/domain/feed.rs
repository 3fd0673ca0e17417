//! The feed's building blocks: a job's content hash (what "changed" means), and the opaque,
//! tamper-evident cursors of the feed and the expired stream.
//!
//! Every stored change (a new job, an edit, a reactivation, an expiry) takes the next value of one
//! store-wide change sequence. A cursor is the last sequence value a client has seen, bound by an
//! HMAC to the server's key, to the stream (feed or expired) and to the request's filters, so a
//! forged, garbled or re-used-with-other-filters cursor is refused rather than silently skipping
//! or repeating jobs.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::domain::Job;

/// The hex SHA-256 of a job's content: everything a client sees except when we fetched it. Two
/// fetches of an unchanged posting hash the same; any edit (title, salary, copies, …) changes it.
pub fn content_hash(job: &Job) -> String {
    let mut canonical = job.clone();
    canonical.fetched_at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    canonical.copies.sort();
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// Which stream a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Feed,
    Expired,
    /// Pages of a corpus search.
    Corpus,
}

impl Stream {
    const fn tag(self) -> &'static str {
        match self {
            Stream::Feed => "feed",
            Stream::Expired => "expired",
            Stream::Corpus => "corpus",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid cursor")]
pub struct InvalidCursor;

/// Signs and checks cursors with a server-side key (derived from the key pepper, so it survives
/// restarts and is shared by every node).
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(<key>)")
    }
}

/// Bytes of MAC kept in a cursor (128 bits).
const MAC_BYTES: usize = 16;

impl CursorCodec {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, stream: Stream, seq: i64, anchor: i64, filters: &str) -> Vec<u8> {
        // An HMAC key of any length is valid, so this never fails.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return vec![0; MAC_BYTES],
        };
        mac.update(stream.tag().as_bytes());
        mac.update(b"\0");
        mac.update(&seq.to_be_bytes());
        mac.update(&anchor.to_be_bytes());
        mac.update(b"\0");
        mac.update(filters.as_bytes());
        mac.finalize().into_bytes()[..MAC_BYTES].to_vec()
    }

    /// The cursor after change `seq` of `stream`, for requests with these `filters` (a canonical
    /// string of the request's filter values). `anchor` is a non-negative value the stream keeps
    /// fixed for a whole pass (the expired stream's default `expired_since`), returned by `decode`.
    pub fn encode(&self, stream: Stream, seq: i64, anchor: i64, filters: &str) -> String {
        format!("{seq:x}.{anchor:x}.{}", hex::encode(self.mac(stream, seq, anchor, filters)))
    }

    /// A cursor carrying `payload` (a position in some order: letters, digits, `.` and `-`
    /// only), as `payload~mac`.
    pub fn encode_text(&self, stream: Stream, payload: &str, filters: &str) -> String {
        format!("{payload}~{}", hex::encode(self.text_mac(stream, payload, filters)))
    }

    /// The payload of a cursor from [`CursorCodec::encode_text`]; `InvalidCursor` for anything
    /// this server did not issue for this stream and these filters.
    pub fn decode_text(&self, stream: Stream, raw: &str, filters: &str) -> Result<String, InvalidCursor> {
        let (payload, mac_hex) = raw.trim().rsplit_once('~').ok_or(InvalidCursor)?;
        if payload.len() > 1_024 || mac_hex.len() != MAC_BYTES * 2 {
            return Err(InvalidCursor);
        }
        let given = hex::decode(mac_hex).map_err(|_| InvalidCursor)?;
        let expected = self.text_mac(stream, payload, filters);
        if subtle::ConstantTimeEq::ct_eq(given.as_slice(), expected.as_slice()).into() {
            Ok(payload.to_owned())
        } else {
            Err(InvalidCursor)
        }
    }

    fn text_mac(&self, stream: Stream, payload: &str, filters: &str) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else { return vec![0; MAC_BYTES] };
        mac.update(stream.tag().as_bytes());
        mac.update(b"\0text\0");
        mac.update(payload.as_bytes());
        mac.update(b"\0");
        mac.update(filters.as_bytes());
        mac.finalize().into_bytes()[..MAC_BYTES].to_vec()
    }

    /// The `(seq, anchor)` a cursor carries; `InvalidCursor` for anything this server did not
    /// issue for this stream and these filters.
    pub fn decode(&self, stream: Stream, raw: &str, filters: &str) -> Result<(i64, i64), InvalidCursor> {
        let mut parts = raw.trim().split('.');
        let (Some(seq_hex), Some(anchor_hex), Some(mac_hex), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(InvalidCursor);
        };
        let number = |h: &str| -> Result<i64, InvalidCursor> {
            if h.is_empty() || h.len() > 16 {
                return Err(InvalidCursor);
            }
            let n = i64::from_str_radix(h, 16).map_err(|_| InvalidCursor)?;
            if n < 0 || format!("{n:x}") != h {
                return Err(InvalidCursor);
            }
            Ok(n)
        };
        let (seq, anchor) = (number(seq_hex)?, number(anchor_hex)?);
        if mac_hex.len() != MAC_BYTES * 2 {
            return Err(InvalidCursor);
        }
        let given = hex::decode(mac_hex).map_err(|_| InvalidCursor)?;
        let expected = self.mac(stream, seq, anchor, filters);
        if subtle::ConstantTimeEq::ct_eq(given.as_slice(), expected.as_slice()).into() {
            Ok((seq, anchor))
        } else {
            Err(InvalidCursor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{JobCopy, SourceId};
    use proptest::prelude::*;

    #[test]
    fn the_hash_ignores_the_fetch_time_and_copy_order_but_sees_every_edit() {
        let mut a = Job::sample(SourceId::Reed, "1", "Rust Engineer", "Acme", "London");
        a.copies = vec![
            JobCopy { source: SourceId::Reed, id: "reed:1".into(), url: "u1".into() },
            JobCopy { source: SourceId::Adzuna, id: "adzuna:9".into(), url: "u2".into() },
        ];
        let mut b = a.clone();
        b.fetched_at = chrono::Utc::now();
        b.copies.reverse();
        assert_eq!(content_hash(&a), content_hash(&b));
        let mut c = a.clone();
        c.title = "Senior Rust Engineer".into();
        assert_ne!(content_hash(&a), content_hash(&c));
        let mut d = a.clone();
        d.skills.push("Rust".into());
        assert_ne!(content_hash(&a), content_hash(&d));
    }

    #[test]
    fn cursors_round_trip_and_are_bound_to_key_stream_and_filters() {
        let codec = CursorCodec::new(b"server key");
        let c = codec.encode(Stream::Feed, 42, 7, "country=gb");
        assert_eq!(codec.decode(Stream::Feed, &c, "country=gb"), Ok((42, 7)));
        assert_eq!(codec.decode(Stream::Feed, &c, "country=us"), Err(InvalidCursor), "other filters");
        assert_eq!(codec.decode(Stream::Expired, &c, "country=gb"), Err(InvalidCursor), "other stream");
        assert_eq!(CursorCodec::new(b"other key").decode(Stream::Feed, &c, "country=gb"), Err(InvalidCursor));
        let forged = c.replacen("2a.", "2b.", 1);
        assert_eq!(codec.decode(Stream::Feed, &forged, "country=gb"), Err(InvalidCursor), "{forged}");
        for garbage in
            ["", ".", "abc", "zz.00", "-1.00000000000000000000000000000000", "2a.xyz", "02a.00", &c[..c.len() - 1]]
        {
            assert_eq!(codec.decode(Stream::Feed, garbage, "country=gb"), Err(InvalidCursor), "{garbage:?}");
        }
    }

    #[test]
    fn text_cursors_round_trip_and_are_bound_to_key_stream_and_filters() {
        let codec = CursorCodec::new(b"server key");
        let c = codec.encode_text(Stream::Corpus, "12.-3.6164", "sort=posted_at");
        assert_eq!(codec.decode_text(Stream::Corpus, &c, "sort=posted_at"), Ok("12.-3.6164".to_owned()));
        assert_eq!(codec.decode_text(Stream::Corpus, &c, "sort=salary"), Err(InvalidCursor));
        assert_eq!(codec.decode_text(Stream::Feed, &c, "sort=posted_at"), Err(InvalidCursor));
        let forged = c.replacen("12.", "13.", 1);
        assert_eq!(codec.decode_text(Stream::Corpus, &forged, "sort=posted_at"), Err(InvalidCursor));
        for garbage in ["", "~", "abc", "1.2.3~zz", &c[..c.len() - 1]] {
            assert_eq!(codec.decode_text(Stream::Corpus, garbage, "sort=posted_at"), Err(InvalidCursor), "{garbage:?}");
        }
    }

    proptest! {
        #[test]
        fn any_string_is_refused_or_is_a_cursor_we_issued(raw in ".{0,80}", seq in 0i64..i64::MAX, anchor in 0i64..i64::MAX) {
            let codec = CursorCodec::new(b"k");
            prop_assert_eq!(codec.decode(Stream::Feed, &codec.encode(Stream::Feed, seq, anchor, ""), ""), Ok((seq, anchor)));
            if let Ok((s, a)) = codec.decode(Stream::Feed, &raw, "") {
                prop_assert_eq!(codec.encode(Stream::Feed, s, a, ""), raw.trim());
            }
        }
    }
}
