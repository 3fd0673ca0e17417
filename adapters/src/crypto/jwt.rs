//! Session access tokens: HS256 JWTs with the account id, the session family and the expiry.
//! Expiry is checked against the injected clock, not the system's.

use chrono::{DateTime, Utc};
use jobin_core::domain::AccountId;
use jobin_core::ports::{AccessClaims, TokenError, TokenSigner};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "jobin";
const AUDIENCE: &str = "jobin-session";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    sid: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
}

pub struct JwtSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtSigner {
    pub fn new(secret: &[u8]) -> Self {
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }
}

impl TokenSigner for JwtSigner {
    fn issue(&self, claims: &AccessClaims, now: DateTime<Utc>) -> String {
        let c = Claims {
            sub: claims.account_id.0.to_string(),
            sid: claims.family.clone(),
            iat: now.timestamp(),
            exp: claims.expires_at.timestamp(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        // HS256 over a plain struct cannot fail to encode.
        encode(&Header::new(Algorithm::HS256), &c, &self.encoding).unwrap_or_default()
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false; // checked below against the injected clock
        v.required_spec_claims = ["exp", "sub", "iss", "aud"].iter().map(|s| s.to_string()).collect();
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        let data = decode::<Claims>(token, &self.decoding, &v).map_err(|_| TokenError::Invalid)?;
        let c = data.claims;
        let account = c.sub.parse::<i64>().map_err(|_| TokenError::Invalid)?;
        let expires_at = DateTime::<Utc>::from_timestamp(c.exp, 0).ok_or(TokenError::Invalid)?;
        if now >= expires_at {
            return Err(TokenError::Expired);
        }
        Ok(AccessClaims { account_id: AccountId(account), family: c.sid, expires_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(s, 0).unwrap()
    }

    fn claims() -> AccessClaims {
        AccessClaims { account_id: AccountId(42), family: "fam".into(), expires_at: t(1_000 + 3600) }
    }

    #[test]
    fn round_trips_and_expires_on_time() {
        let s = JwtSigner::new(b"0123456789abcdef0123456789abcdef");
        let token = s.issue(&claims(), t(1_000));
        assert_eq!(s.verify(&token, t(1_000)).unwrap(), claims());
        assert_eq!(s.verify(&token, t(1_000 + 3599)).unwrap(), claims());
        assert_eq!(s.verify(&token, t(1_000 + 3600)), Err(TokenError::Expired));
    }

    #[test]
    fn rejects_other_secrets_tampering_and_alg_none() {
        let s = JwtSigner::new(b"0123456789abcdef0123456789abcdef");
        let other = JwtSigner::new(b"another-secret-another-secret-xx");
        let token = other.issue(&claims(), t(1_000));
        assert_eq!(s.verify(&token, t(1_000)), Err(TokenError::Invalid));

        let good = s.issue(&claims(), t(1_000));
        let mut parts: Vec<&str> = good.split('.').collect();
        // {"alg":"none","typ":"JWT"}
        parts[0] = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        let none = format!("{}.{}.", parts[0], parts[1]);
        assert_eq!(s.verify(&none, t(1_000)), Err(TokenError::Invalid));
        assert_eq!(s.verify("garbage", t(1_000)), Err(TokenError::Invalid));
    }
}
