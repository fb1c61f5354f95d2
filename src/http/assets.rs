//! Static files compiled into the binary, served at content-hashed URLs with an immutable cache.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

/// file name → "/static/<hash>/<file>"
static URLS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    Assets::iter()
        .filter_map(|name| {
            let file = Assets::get(&name)?;
            let hash = hex::encode(&file.metadata.sha256_hash()[..6]);
            Some((name.to_string(), format!("/static/{hash}/{name}")))
        })
        .collect()
});

/// The fingerprinted URL of a static file. Panics at first use for a file that does not exist,
/// which the template tests catch.
pub fn url(file: &str) -> &'static str {
    URLS.get(file)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no static file {file}"))
}

pub async fn serve(Path((hash, file)): Path<(String, String)>) -> Response {
    let Some(asset) = Assets::get(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let current = hex::encode(&asset.metadata.sha256_hash()[..6]);
    let cache = if hash == current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mime = asset.metadata.mimetype().to_owned();
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&mime)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.data.into_owned(),
    )
        .into_response()
}
