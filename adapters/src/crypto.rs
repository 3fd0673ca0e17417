//! Cryptographic adapters: argon2id password hashing, HS256 session tokens, OS entropy.

pub mod argon;
pub mod entropy;
pub mod jwt;

pub use argon::Argon2Hasher;
pub use entropy::OsEntropy;
pub use jwt::JwtSigner;
