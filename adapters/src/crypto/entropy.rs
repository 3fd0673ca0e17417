//! The operating system's CSPRNG.

use jobin_core::ports::Entropy;

#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, dest: &mut [u8]) {
        // The port allows a panic here: continuing without entropy would mint guessable keys.
        #[allow(clippy::expect_used)]
        getrandom::fill(dest).expect("the OS random number generator failed");
    }
}
