//! What the widget weighs: each built asset raw, gzip and brotli (the `.gz`/`.br` copies
//! beside it), and the page as the proxy compresses it per request.

use std::net::SocketAddr;
use std::path::Path;

/// Raw / gzip / brotli bytes of one kind of asset (summed if Trunk made several).
#[derive(Clone, Copy, Default)]
pub struct Sizes {
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

pub const KINDS: [(&str, &str); 4] = [
    ("index.html", "page"),
    ("_bg.wasm", "WASM"),
    (".js", "JS glue"),
    (".css", "CSS"),
];

/// Per kind in [`KINDS`] order; `None` where the build has no such asset.
pub async fn assets(dist: &Path, server: SocketAddr) -> Vec<Option<Sizes>> {
    let mut out = vec![Some(page(dist, server).await)];
    for (suffix, _) in &KINDS[1..] {
        let mut total: Option<Sizes> = None;
        for entry in std::fs::read_dir(dist).unwrap().filter_map(|e| e.ok()) {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            // `x.js.br` and `x.js.gz` end otherwise, so only the raw asset matches.
            if !name.ends_with(suffix) {
                continue;
            }
            let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            let sizes = total.get_or_insert_with(Sizes::default);
            sizes.raw += len(&path);
            sizes.gzip += len(&dist.join(format!("{name}.gz")));
            sizes.brotli += len(&dist.join(format!("{name}.br")));
        }
        out.push(total);
    }
    out
}

/// `index.html` has no precompressed copies: the proxy compresses it per request (it
/// stamps its CSP on each answer), so its compressed sizes are what the proxy sends.
async fn page(dist: &Path, server: SocketAddr) -> Sizes {
    // This client has no decompression built in: the body is counted as it came.
    let client = reqwest::Client::new();
    let mut sent = [0u64; 2];
    for (slot, encoding) in sent.iter_mut().zip(["gzip", "br"]) {
        let answer = client
            .get(format!("http://{server}/"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        let used = answer
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("identity")
            .to_owned();
        assert_eq!(used, encoding, "the page was not sent with {encoding}");
        *slot = answer.bytes().await.unwrap().len() as u64;
    }
    Sizes {
        raw: std::fs::metadata(dist.join("index.html")).unwrap().len(),
        gzip: sent[0],
        brotli: sent[1],
    }
}
