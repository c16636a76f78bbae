//! The wasm and its wasm-bindgen glue, slimmed after Trunk's build. Trunk's own JS minifier
//! gives up on the glue (`export default`), and the glue is a tenth of a cold load: terser
//! takes its brotli size from about 7.0 KB to 5.1 KB. Exports nothing calls are removed from
//! both (see [`UNUSED_CLASSES`]). Trunk pins each file with a Subresource Integrity hash in
//! `index.html`, so each hash is replaced with the rewritten file's.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use sha2::{Digest, Sha384};

use crate::{tools, Result, StatusOk};

/// wasm-bindgen classes every Leptos wasm exports and no CSR widget uses: Leptos always builds
/// `server_fn` with its `browser` feature, which links `wasm-streams`, whose
/// `#[wasm_bindgen]` stream adapters are exported. An export is never dead code to wasm-opt,
/// so their code (about 1 KB of brotli'd wasm) and their JS classes (a quarter KB) would ship
/// unused; nothing constructs them without server functions.
const UNUSED_CLASSES: [&str; 3] = [
    "IntoUnderlyingByteSource",
    "IntoUnderlyingSink",
    "IntoUnderlyingSource",
];

pub fn minify_glue(root: &Path, dist: &Path) -> Result {
    tools::ensure_terser(root)?;
    let index_path = dist.join("index.html");
    let mut index = read(&index_path)?;
    for entry in std::fs::read_dir(dist)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let before = integrity(&path)?;
        if name.ends_with("_bg.wasm") {
            // Their exports are `intounderlying…_method` and `__wbg_intounderlying…_free`;
            // a second -Oz after Trunk's first also shaves a little more.
            Command::new(root.join(".tools/node_modules/.bin/wasm-opt"))
                .arg(&path)
                .args([
                    "--remove-exports",
                    "--pass-arg=remove-exports@*intounderlying*",
                ])
                .args(["-Oz", "--output"])
                .arg(&path)
                .status_ok()?;
        } else if name.ends_with(".js") {
            let glue = without_unused_classes(&read(&path)?)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            std::fs::write(&path, glue).map_err(|e| format!("writing {}: {e}", path.display()))?;
            Command::new(root.join(".tools/node_modules/.bin/terser"))
                .arg(&path)
                .args(["--module", "--compress", "--mangle", "--output"])
                .arg(&path)
                .status_ok()?;
        } else {
            continue;
        }
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

/// The glue without [`UNUSED_CLASSES`]: each class, its `Symbol.dispose` line and its
/// finalization registry (a `new FinalizationRegistry` terser must keep, having side effects).
/// Fails, rather than ship a glue that calls a removed export, when wasm-bindgen writes them
/// differently.
fn without_unused_classes(glue: &str) -> Result<String> {
    let mut glue = glue.to_owned();
    for class in UNUSED_CLASSES {
        let Some(start) = glue.find(&format!("export class {class} {{")) else {
            continue; // A wasm without it (a Leptos that no longer links wasm-streams).
        };
        let end = glue[start..]
            .find("\n}\n")
            .ok_or_else(|| format!("the end of class {class}"))?;
        glue.replace_range(start..start + end + 3, "");
        glue = glue.replace(
            &format!(
                "if (Symbol.dispose) {class}.prototype[Symbol.dispose] = {class}.prototype.free;\n"
            ),
            "",
        );
        let registry = format!("const {class}Finalization = ");
        let start = glue
            .find(&registry)
            .ok_or_else(|| format!("{class}'s finalization registry"))?;
        let end = glue[start..]
            .find(";\n")
            .ok_or_else(|| format!("the end of {class}'s registry"))?;
        glue.replace_range(start..start + end + 2, "");
    }
    if glue.contains("wasm.intounderlying") || glue.contains("wasm.__wbg_intounderlying") {
        return Err("the glue still calls a removed export".into());
    }
    Ok(glue)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unused_classes_go_and_the_rest_stays() {
        let glue = "export class IntoUnderlyingSink {\n    free() {\n        wasm.__wbg_intounderlyingsink_free(1, 0);\n    }\n}\nif (Symbol.dispose) IntoUnderlyingSink.prototype[Symbol.dispose] = IntoUnderlyingSink.prototype.free;\n\nexport class WidgetHandle {\n}\nconst IntoUnderlyingSinkFinalization = (typeof FinalizationRegistry === 'undefined')\n    ? { register: () => {}, unregister: () => {} }\n    : new FinalizationRegistry(ptr => wasm.__wbg_intounderlyingsink_free(ptr, 1));\nconst WidgetHandleFinalization = 1;\n";
        assert_eq!(
            without_unused_classes(glue).unwrap(),
            "\nexport class WidgetHandle {\n}\nconst WidgetHandleFinalization = 1;\n"
        );
        let odd = glue.replace("const IntoUnderlyingSinkFinalization", "let X");
        assert!(without_unused_classes(&odd).is_err());
    }
}
