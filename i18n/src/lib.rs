//! The widget's words, in each language it speaks: one catalog ([`catalog`]) that three
//! crates read. The widget (`frontend/`) builds English into its wasm and fetches the others;
//! `cargo xtask widget` writes those others as the JSON files it fetches; the browser tests
//! (`tests/`) know from it which English words must not show in another language.
//!
//! Plain data and `const`s, no dependencies: what the widget does not name stays out of its
//! wasm (only English is), so this crate costs the byte budget nothing of its own.

mod catalog;
mod texts;

pub use catalog::{Texts, DE, EN, FINGERPRINT, FR};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_says_everything_with_the_same_slots() {
        let slots = |t: &str| t.matches("{}").count();
        for texts in [&DE, &FR] {
            for ((key, en), (_, other)) in EN.entries().into_iter().zip(texts.entries()) {
                assert!(!other.trim().is_empty(), "{key} is empty");
                assert_eq!(slots(en), slots(other), "{key}: {other:?}");
            }
        }
    }
}
