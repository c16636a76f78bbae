//! The wasm-bindgen glue, minified after Trunk's build. Trunk's own JS minifier gives up on
//! the glue (`export default`), and the glue is a tenth of a cold load: terser takes its
//! brotli size from about 7.0 KB to 5.1 KB. Trunk pins each file with a Subresource Integrity
//! hash in `index.html`, so the hash is replaced with the minified file's.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use sha2::{Digest, Sha384};

use crate::{tools, Result, StatusOk};

pub fn minify_glue(root: &Path, dist: &Path) -> Result {
    tools::ensure_terser(root)?;
    let index_path = dist.join("index.html");
    let mut index = read(&index_path)?;
    for entry in std::fs::read_dir(dist)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "js") {
            continue;
        }
        let before = integrity(&path)?;
        Command::new(root.join(".tools/node_modules/.bin/terser"))
            .arg(&path)
            .args(["--module", "--compress", "--mangle", "--output"])
            .arg(&path)
            .status_ok()?;
        let after = integrity(&path)?;
        if !index.contains(&before) {
            return Err(format!(
                "{} does not pin {}",
                index_path.display(),
                path.display()
            ));
        }
        index = index.replace(&before, &after);
    }
    std::fs::write(&index_path, index).map_err(|e| format!("writing {}: {e}", index_path.display()))
}

/// The `integrity` value a browser checks the file against.
fn integrity(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let digest = Sha384::digest(&bytes);
    Ok(format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    ))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}
