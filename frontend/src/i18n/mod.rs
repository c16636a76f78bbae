//! The widget in the agent's language: English, German or French, whichever comes first from
//! the element's `lang` attribute (or the page's `?lang=`), then the browser's languages;
//! English when none is one of them. The words are in the catalog crate ([`minivoice_i18n`]);
//! numbers, sizes and times are the browser's `Intl` ([`intl`]).
//!
//! Only English is in the wasm: the other catalogs are `i18n-de-<FINGERPRINT>.json` and
//! `i18n-fr-<FINGERPRINT>.json` beside it (`cargo xtask widget` writes them from the same
//! catalog), fetched when an agent needs one, so the cold load every English agent pays does
//! not grow with each language.

pub mod intl;
mod load;

use leptos::prelude::*;

pub use load::{choose_in_browser, when_loaded};
pub use minivoice_i18n::{Texts, EN};

/// A language the widget speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
}

impl Lang {
    /// Its BCP 47 tag: the widget root's `lang` and the catalog's file name.
    pub fn tag(self) -> &'static str {
        ["en", "de", "fr"][self as usize]
    }

    /// The language of a tag, whatever its region or case (`de-AT`, `FR_ch`). Its bytes, as
    /// the cheapest code for the byte budget: a `split` brings a searcher into the wasm.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.as_bytes();
        if !matches!(tag.get(2), None | Some(b'-' | b'_')) {
            return None;
        }
        // ASCII letters in lower case (a non-letter never lands on one).
        match [tag.first()? | 0x20, tag.get(1)? | 0x20] {
            [b'e', b'n'] => Some(Lang::En),
            [b'd', b'e'] => Some(Lang::De),
            [b'f', b'r'] => Some(Lang::Fr),
            _ => None,
        }
    }
}

/// `first`'s language if the widget speaks it (the element's `lang`, or the page's `?lang=`;
/// empty when not given), else the first of the browser's it speaks, else English.
pub fn choose(first: &str, browser: impl IntoIterator<Item = String>) -> Lang {
    Lang::from_tag(first)
        .or_else(|| browser.into_iter().find_map(|tag| Lang::from_tag(&tag)))
        .unwrap_or(Lang::En)
}

/// `template` split at its first `{}`, if it has one. A byte search: a pattern
/// (`split_once("{}")`) brings its searcher into the wasm, and slicing its panic messages.
pub fn split_slot(template: &str) -> Option<(&str, &str)> {
    let at = template.bytes().position(|b| b == b'{')?;
    Some((template.get(..at)?, template.get(at + 2..)?))
}

/// `template` with each `{}` replaced by the next of `values`.
pub fn fill(template: &str, values: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = template;
    for value in values {
        let Some((before, after)) = split_slot(rest) else {
            break;
        };
        out.push_str(before);
        out.push_str(value);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The language a widget shows: its words, and (its tag) the locale its numbers and times
/// follow. The language's own, not the browser's region: `en-GB`'s 24-hour clock is not worth
/// the wasm that keeping each page's tag costs.
#[derive(Clone, Copy)]
pub struct Language {
    pub lang: Lang,
    pub texts: &'static Texts,
}

impl Language {
    pub fn english() -> Language {
        Language {
            lang: Lang::En,
            texts: &EN,
        }
    }

    /// For `Intl`.
    pub fn locale(self) -> &'static str {
        self.lang.tag()
    }
}

/// The language of the widget being built (see `crate::mount`).
pub fn language() -> Language {
    use_context::<Language>().unwrap_or_else(Language::english)
}

/// The words of the widget being built.
pub fn texts() -> &'static Texts {
    language().texts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn the_first_language_spoken_wins_region_and_case_aside() {
        assert_eq!(choose("de-AT", tags(&["fr"])), Lang::De);
        assert_eq!(choose("", tags(&["FR_ch", "de"])), Lang::Fr);
        assert_eq!(choose("es", tags(&["pt-BR", "fr-FR"])), Lang::Fr);
        assert_eq!(choose("", tags(&["en-GB", "de"])), Lang::En);
        assert_eq!(choose("es", tags(&["es"])), Lang::En);
        assert_eq!(choose("", tags(&[])), Lang::En);
        assert_eq!(
            Lang::from_tag("deu"),
            None,
            "only the primary subtag, exactly"
        );
        assert_eq!(Lang::from_tag("d"), None);
        assert_eq!(Lang::from_tag("DE"), Some(Lang::De));
    }

    #[test]
    fn templates_take_values_in_order() {
        assert_eq!(
            fill("{} by {} failed ({})", &["Stop", "al", "x"]),
            "Stop by al failed (x)"
        );
        assert_eq!(fill("no slot", &["x"]), "no slot");
        assert_eq!(fill("{} and {}", &["a"]), "a and {}");
    }
}
