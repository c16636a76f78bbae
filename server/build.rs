//! The widget is embedded from `../dist` (see `src/widget/files.rs`). The embedding itself
//! tracks each file's bytes, but not files added or removed when Trunk writes new hashed
//! names, so a change to the folder recompiles this crate. While `dist/` does not exist Cargo
//! finds this always stale and recompiles the crate on each build: the price of noticing the
//! widget as soon as it is built.

fn main() {
    println!("cargo:rerun-if-changed=../dist");
    // `sqlx::migrate!` embeds the migrations, and a new file there must recompile the crate
    // as a changed one does (what sqlx's documentation asks of a build script).
    println!("cargo:rerun-if-changed=migrations");
    if !std::path::Path::new("../dist/index.html").is_file() {
        println!(
            "cargo:warning=dist/ is not built: this binary will serve the widget only from \
             WIDGET_DIR. Run `cargo xtask widget` first to build it in."
        );
    }
}
