//! How the catalog (`crate::catalog`) becomes code: one type, `Texts`, with a method per text
//! and a constant per language, and the fingerprint that names a build's fetched catalogs.
//! Apart from the words themselves, so the catalog reads as the words alone.

macro_rules! catalog {
    ($($(#[$doc:meta])* $key:ident { en: $en:expr, de: $de:expr, fr: $fr:expr $(,)? })*) => {
        /// Where each text is in a language's list.
        #[allow(non_camel_case_types, clippy::enum_variant_names)]
        enum Key {
            $($key,)*
        }

        /// The widget's words in one language, in the order of the entries below. A list, not
        /// a struct: a fetched language is then one conversion, not code per text.
        pub struct Texts([&'static str; Texts::LEN]);

        impl Texts {
            /// How many texts a language has.
            pub const LEN: usize = [$(stringify!($key)),*].len();

            $($(#[$doc])* pub fn $key(&self) -> &'static str {
                self.0[Key::$key as usize]
            })*

            /// Every text with its name, in order: what the tests compare across languages,
            /// and what `cargo xtask widget` writes as a language's list (without the names).
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($key), self.$key()),)*]
            }

            /// A language whose `i`th text (in the order of [`Self::entries`]) is `text(i)`.
            pub fn from_fn(text: impl FnMut(usize) -> &'static str) -> Texts {
                Texts(std::array::from_fn(text))
            }
        }

        pub const EN: Texts = Texts([$($en),*]);
        pub const DE: Texts = Texts([$($de),*]);
        pub const FR: Texts = Texts([$($fr),*]);

        /// Every text of every language, summed up when the widget is built (no code in the
        /// wasm). It names the fetched catalogs (`i18n-de-<this>.json`), so a widget reads only
        /// the catalog built with it: behind several replicas mid-deploy, another build's list,
        /// read by position, would put its texts in the wrong places.
        pub const FINGERPRINT: u32 = $crate::texts::fingerprint(&[&EN.0, &DE.0, &FR.0]);
    };
}

pub(crate) use catalog;

/// FNV-1a over every text of every language, in order, at compile time (a `const fn`).
pub const fn fingerprint(languages: &[&[&str]]) -> u32 {
    const PRIME: u32 = 0x0100_0193;
    let mut hash: u32 = 0x811c_9dc5;
    let mut l = 0;
    while l < languages.len() {
        let texts = languages[l];
        let mut t = 0;
        while t < texts.len() {
            let bytes = texts[t].as_bytes();
            let mut b = 0;
            while b < bytes.len() {
                hash = (hash ^ bytes[b] as u32).wrapping_mul(PRIME);
                b += 1;
            }
            // Between texts: moving a word from one text to the next changes the sum.
            hash = (hash ^ 0xff).wrapping_mul(PRIME);
            t += 1;
        }
        l += 1;
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn the_fingerprint_follows_every_text_and_its_place() {
        let en: &[&str] = &["Call recordings", "No call selected"];
        let de: &[&str] = &["Anrufaufnahmen", "Kein Anruf ausgewählt"];
        assert_eq!(fingerprint(&[en, de]), fingerprint(&[en, de]));
        assert_ne!(fingerprint(&[en, de]), fingerprint(&[de, en]));
        // The same bytes in a row, split elsewhere.
        let moved: &[&str] = &["Call ", "recordingsNo call selected"];
        assert_ne!(fingerprint(&[en]), fingerprint(&[moved]));
    }
}
