//! The widget's German and French catalogs as the JSON files it fetches
//! (`i18n-de-<fingerprint>.json`, … beside the wasm): written from the one catalog, the
//! `minivoice-i18n` crate, so a language is never out of step with the code. Only English is
//! built into the wasm, which keeps a cold load within its byte budget
//! (`frontend/src/i18n/mod.rs`).

use std::path::Path;

use minivoice_i18n as catalog;

/// Writes each language's texts, in the catalog's order, as a JSON array into `dist`.
pub fn write_catalogs(dist: &Path) -> Result<(), String> {
    for (tag, texts) in [("de", &catalog::DE), ("fr", &catalog::FR)] {
        let items: Vec<String> = texts.entries().iter().map(|(_, t)| quote(t)).collect();
        let path = dist.join(format!("i18n-{tag}-{}.json", catalog::FINGERPRINT));
        std::fs::write(&path, format!("[{}]\n", items.join(",")))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

/// `text` as a JSON string (the catalog's own texts: no need for a JSON library).
fn quote(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_json_strings() {
        assert_eq!(quote("a \"b\" \\ \n ü"), r#""a \"b\" \\ \u000a ü""#);
    }
}
