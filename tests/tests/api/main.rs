//! Black-box API tests: one binary, one module per area.

mod keys;
mod register_login;
mod system;
