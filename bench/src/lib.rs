//! Benchmarks live in `benches/`, the fixed-rate load generator in `src/bin/openloop.rs`; this
//! crate has no library code.
