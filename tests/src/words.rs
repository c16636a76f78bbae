//! Which English words the widget shows: the checks behind the language tests
//! (`tests/i18n.rs`), against the widget's own catalog.

use crate::Harness;

/// The one catalog, as the widget is built from it: its English words must not show.
pub use minivoice_i18n as catalog;

/// The words of each English text, as the widget could show them: its pieces around each
/// `{}`, trimmed of punctuation; pieces of fewer than three letters ("by") are no evidence.
pub fn english_pieces() -> Vec<&'static str> {
    let mut pieces = vec![];
    for (_, text) in catalog::EN.entries() {
        for piece in text.split("{}") {
            let piece = piece.trim_matches(|c: char| !c.is_alphanumeric());
            if piece.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
                pieces.push(piece);
            }
        }
    }
    pieces
}

/// Whether `word` is in `text` as a whole word or phrase (an ID's `_` is part of a word).
pub fn has_word(text: &str, word: &str) -> bool {
    let is_word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(word).any(|(at, _)| {
        !is_word_char(text[..at].chars().next_back())
            && !is_word_char(text[at + word.len()..].chars().next())
    })
}

/// The English pieces that are also words of `language` (case aside): honest collisions
/// ("Pause" is German too), which the page may show.
pub fn shared_words(language: &catalog::Texts) -> Vec<&'static str> {
    let words: Vec<String> = language
        .entries()
        .iter()
        .map(|(_, t)| t.to_lowercase())
        .collect();
    english_pieces()
        .into_iter()
        .filter(|p| words.iter().any(|w| has_word(w, &p.to_lowercase())))
        .collect()
}

/// Fails with every English piece `text` shows, bar the words `language` shares with English.
pub fn assert_no_english(text: &str, language: &catalog::Texts, when: &str) {
    let english = english_in(text, language);
    assert!(
        english.is_empty(),
        "{when}: English {english:?} in {text:?}"
    );
}

/// The English pieces `text` shows, bar the words `language` shares with English.
pub fn english_in(text: &str, language: &catalog::Texts) -> Vec<&'static str> {
    let shared = shared_words(language);
    english_pieces()
        .into_iter()
        .filter(|p| !shared.contains(p) && has_word(text, p))
        .collect()
}

impl Harness {
    /// What the widget shows and says (its text, screen-reader text included, and every
    /// `aria-label` and `title`) under `root` (`document`, or an element's `shadowRoot`), with
    /// MiniVoice's event types (`recording.started`: names, not words) taken out.
    pub async fn shown_words(&self, root: &str) -> String {
        let text = self
            .js(&format!(
                "(() => {{ const w = {root}.querySelector('[data-testid=widget]'); \
                   const named = [w, ...w.querySelectorAll('[aria-label], [title]')] \
                     .flatMap(e => [e.getAttribute('aria-label'), e.getAttribute('title')]); \
                   return [w.innerText, ...named.filter(Boolean)].join('\\n'); }})()"
            ))
            .await;
        let text = text.as_str().unwrap().to_owned();
        let event_type = |token: &str| {
            let token = token.trim_end_matches([',', '.']);
            token.contains('.')
                && token
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || "._".contains(c))
        };
        text.split_whitespace()
            .filter(|token| !event_type(token))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
