//! Stylesheets embedded in the binary and served under content-hashed
//! URLs (`/assets/site.<hash>.css`), so browsers keep them for a year
//! (`immutable`) and a new build changes the URL. Each is gzipped once,
//! at start, and sent gzipped to browsers that accept it.

use std::io::Write;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ring::digest::{SHA256, digest};

/// One embedded file.
pub struct Asset {
    /// `site.<hash>.css`: what the URL ends in.
    pub file_name: String,
    /// `/assets/<file_name>`.
    pub url: String,
    pub content_type: &'static str,
    pub plain: Vec<u8>,
    pub gzip: Vec<u8>,
}

/// The site's stylesheet: the neutral NL Design System theme, the Utrecht
/// component CSS (both vendored, EUPL-1.2, see their SOURCE notes) and our
/// own layout, in that order, as one file (one request).
const SITE_CSS: [&[u8]; 3] = [
    include_bytes!("../../assets/vendor/voorbeeld-design-tokens-7.4.1/theme.css"),
    include_bytes!("../../assets/vendor/utrecht-component-library-css-9.0.4/index.css"),
    include_bytes!("../../assets/cho.css"),
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![asset(
        "site",
        "css",
        "text/css; charset=utf-8",
        &SITE_CSS.concat(),
    )]
});

fn asset(stem: &str, extension: &str, content_type: &'static str, plain: &[u8]) -> Asset {
    let hash = digest(&SHA256, plain);
    let hex: String = hash.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let file_name = format!("{stem}.{hex}.{extension}");
    Asset {
        url: format!("/assets/{file_name}"),
        file_name,
        content_type,
        plain: plain.to_vec(),
        gzip: gzip(plain),
    }
}

/// Gzip at the best level; empty when that fails (then the plain file is
/// sent).
fn gzip(plain: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(plain)
        .and_then(|()| encoder.finish())
        .unwrap_or_default()
}

/// Builds (hashes and compresses) the assets now rather than on the first
/// request.
pub fn init() {
    LazyLock::force(&ASSETS);
}

/// Every embedded asset.
pub fn all() -> &'static [Asset] {
    &ASSETS
}

/// The URL of the site's stylesheet.
pub fn stylesheet_url() -> &'static str {
    ASSETS
        .first()
        .map_or("/assets/missing.css", |a| a.url.as_str())
}

/// Whether `Accept-Encoding` allows gzip (a `q=0` refuses it).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = all().iter().find(|a| a.file_name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let gzipped = accepts_gzip(&headers) && !asset.gzip.is_empty();
    let body = if gzipped { &asset.gzip } else { &asset.plain };
    let mut response = body.clone().into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzipped {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_chosen_by_accept_encoding() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
            );
            accepts_gzip(&h)
        };
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, gzip;q=0.8"));
        assert!(with("*"));
        assert!(!with("br"));
        assert!(!with("gzip;q=0"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    /// An unclosed block swallows every rule after it without a word from
    /// the browser (cho.css once lost a `}` that way): outside comments,
    /// every block closes, and a rule opens only at the top or inside an
    /// at-rule (`@media`).
    #[test]
    #[allow(clippy::unwrap_used, clippy::expect_used)]
    fn our_stylesheet_closes_every_block() {
        let css = std::str::from_utf8(SITE_CSS[2]).unwrap();
        let mut open: Vec<bool> = Vec::new(); // Whether each is an at-rule.
        let mut prelude = String::new();
        let mut rest = css;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("/*") {
                let end = after.find("*/").expect("a comment that ends");
                rest = &after[end + 2..];
                continue;
            }
            match c {
                '{' => {
                    let at_rule = prelude.trim_start().starts_with('@');
                    assert!(
                        open.iter().all(|&at| at),
                        "a rule inside a rule (a lost `}}`?) at {:?}",
                        prelude.trim()
                    );
                    open.push(at_rule);
                    prelude.clear();
                }
                '}' => {
                    assert!(open.pop().is_some(), "a `}}` too many");
                    prelude.clear();
                }
                ';' => prelude.clear(),
                _ => prelude.push(c),
            }
            rest = &rest[c.len_utf8()..];
        }
        assert!(open.is_empty(), "cho.css leaves a block open");
    }

    #[test]
    fn the_stylesheet_is_hashed_and_compressed() {
        let site = &all()[0];
        assert!(site.file_name.starts_with("site.") && site.file_name.ends_with(".css"));
        assert_eq!(site.url, stylesheet_url());
        assert!(!site.gzip.is_empty() && site.gzip.len() < site.plain.len() / 4);
    }
}
