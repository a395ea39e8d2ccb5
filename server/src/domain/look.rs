//! A municipality's look: its primary colour and logo. The colour carries
//! white button text on every page, so it must keep WCAG AA contrast; the
//! logo is shown inline on public pages, so an SVG may not run script or
//! fetch anything.

/// The least contrast ratio with white text (WCAG 2.1 AA, normal text).
pub const MIN_CONTRAST_WITH_WHITE: f64 = 4.5;

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 64 * 1024;

pub const PNG: &str = "image/png";
pub const SVG: &str = "image/svg+xml";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LookError {
    #[error("primary_colour must be #rrggbb")]
    ColourFormat,
    #[error("primary_colour has contrast {ratio:.2}:1 with white text; at least 4.5:1 is needed")]
    LowContrast { ratio: f64 },
    #[error("logo_type must be image/png or image/svg+xml")]
    LogoType,
    #[error("the logo is larger than 64 KiB")]
    LogoTooLarge,
    #[error("the logo is empty or not a PNG")]
    NotPng,
    #[error("the logo is not an SVG document")]
    NotSvg,
    #[error("the SVG logo contains {0}, which is not allowed")]
    UnsafeSvg(&'static str),
}

/// `#rrggbb` (any case) as lower-case text, refused below AA contrast with
/// white.
pub fn primary_colour(text: &str) -> Result<String, LookError> {
    let text = text.trim();
    let hex = text.strip_prefix('#').ok_or(LookError::ColourFormat)?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LookError::ColourFormat);
    }
    let channel =
        |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| LookError::ColourFormat);
    let ratio = contrast_with_white([channel(0)?, channel(2)?, channel(4)?]);
    if ratio < MIN_CONTRAST_WITH_WHITE {
        return Err(LookError::LowContrast { ratio });
    }
    Ok(format!("#{}", hex.to_ascii_lowercase()))
}

/// WCAG 2.1 contrast ratio of an sRGB colour with white.
pub fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
    1.05 / (l + 0.05)
}

/// Checks a logo's bytes against its declared type; answers the type.
pub fn logo(bytes: &[u8], content_type: &str) -> Result<&'static str, LookError> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(LookError::LogoTooLarge);
    }
    match content_type.trim() {
        PNG => {
            if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 8 {
                Ok(PNG)
            } else {
                Err(LookError::NotPng)
            }
        }
        SVG => {
            let text = std::str::from_utf8(bytes).map_err(|_| LookError::NotSvg)?;
            check_svg(text)?;
            Ok(SVG)
        }
        _ => Err(LookError::LogoType),
    }
}

/// Refuses script, event handlers, and anything that refers outside the
/// document (links, `url()`, entities, imports). Deliberately strict: a
/// simple drawn logo needs none of these.
fn check_svg(text: &str) -> Result<(), LookError> {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("<svg") {
        return Err(LookError::NotSvg);
    }
    for (needle, what) in [
        ("<script", "a script element"),
        ("javascript:", "a javascript: URL"),
        ("<!entity", "an entity declaration"),
        ("<!doctype", "a document type declaration"),
        ("<foreignobject", "a foreignObject element"),
        ("<iframe", "an iframe"),
        ("<image", "an image element"),
        ("<use", "a use element"),
        ("@import", "a style import"),
        ("<?xml-stylesheet", "a stylesheet link"),
    ] {
        if lower.contains(needle) {
            return Err(LookError::UnsafeSvg(what));
        }
    }
    // href / xlink:href / src pointing anywhere but into the document.
    for attr in ["href", "src"] {
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(attr) {
            let after = rest[at + attr.len()..].trim_start();
            if let Some(value) = after.strip_prefix('=') {
                let value = value.trim_start().trim_start_matches(['"', '\'']);
                if !value.starts_with('#') {
                    return Err(LookError::UnsafeSvg("an external reference"));
                }
            }
            rest = &rest[at + attr.len()..];
        }
    }
    // url(...) other than url(#id).
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("url(") {
        let value = rest[at + 4..].trim_start().trim_start_matches(['"', '\'']);
        if !value.starts_with('#') {
            return Err(LookError::UnsafeSvg("an external reference"));
        }
        rest = &rest[at + 4..];
    }
    // on...= event handler attributes: whitespace, "on", letters, "=".
    let bytes = lower.as_bytes();
    for i in 0..bytes.len() {
        let starts_attr = i > 0 && (bytes[i - 1].is_ascii_whitespace() || bytes[i - 1] == b'/');
        if starts_attr && bytes[i..].starts_with(b"on") {
            let name_end = bytes[i + 2..]
                .iter()
                .position(|b| !b.is_ascii_alphabetic())
                .map_or(bytes.len(), |p| i + 2 + p);
            if name_end > i + 2 {
                let after = lower[name_end..].trim_start();
                if after.starts_with('=') {
                    return Err(LookError::UnsafeSvg("an event handler attribute"));
                }
            }
        }
    }
    Ok(())
}

/// A short content hash for cache-busting URLs (hex of SHA-256, 16 chars).
pub fn content_hash(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn colours_keep_white_text_readable() {
        assert_eq!(primary_colour("#1D4F91"), Ok("#1d4f91".to_owned()));
        assert_eq!(primary_colour("#000000"), Ok("#000000".to_owned()));
        // #767676 is the lightest grey that passes (4.54:1); #777777 fails.
        assert!(primary_colour("#767676").is_ok());
        assert!(matches!(
            primary_colour("#777777"),
            Err(LookError::LowContrast { .. })
        ));
        assert!(matches!(
            primary_colour("#ffcc00"),
            Err(LookError::LowContrast { .. })
        ));
        for bad in [
            "1d4f91", "#1d4f9", "#1d4f911", "#ggggggg", "#gggggg", "red", "",
        ] {
            assert_eq!(primary_colour(bad), Err(LookError::ColourFormat), "{bad}");
        }
        let white = contrast_with_white([255, 255, 255]);
        assert!((white - 1.0).abs() < 1e-9);
        let black = contrast_with_white([0, 0, 0]);
        assert!((black - 21.0).abs() < 1e-9);
    }

    const SHIELD: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 12"><defs><linearGradient id="g"/></defs><path d="M0 0h10v6L5 12 0 6z" fill="url(#g)"/><a href="#g"/></svg>"##;

    #[test]
    fn a_plain_svg_and_a_png_pass() {
        assert_eq!(logo(SHIELD.as_bytes(), SVG), Ok(SVG));
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&[0; 20]);
        assert_eq!(logo(&png, PNG), Ok(PNG));
        // The xmlns URL is a namespace name, not a reference.
        assert!(SHIELD.contains("http://"));
    }

    #[test]
    fn unsafe_or_wrong_logos_are_refused() {
        let with =
            |inner: &str| format!(r#"<svg xmlns="http://www.w3.org/2000/svg">{inner}</svg>"#);
        for (svg, why) in [
            (with("<script>alert(1)</script>"), "a script element"),
            (with("<SCRIPT src='x'/>"), "a script element"),
            (
                with(r#"<rect onload="alert(1)"/>"#),
                "an event handler attribute",
            ),
            (
                with(r#"<rect OnClick = 'x'/>"#),
                "an event handler attribute",
            ),
            (
                with(r#"<a href="https://evil.example/"/>"#),
                "an external reference",
            ),
            (
                with(r#"<a xlink:href = 'http://x'/>"#),
                "an external reference",
            ),
            (
                with(r#"<rect fill="url(https://x/y.svg#a)"/>"#),
                "an external reference",
            ),
            (
                with(r#"<image href="data:image/png;base64,AAAA"/>"#),
                "an image element",
            ),
            (with("<style>@import 'x.css';</style>"), "a style import"),
            (
                with(r#"<a href="javascript:alert(1)"/>"#),
                "a javascript: URL",
            ),
            (
                format!(
                    "<!DOCTYPE svg [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>{}",
                    with("")
                ),
                "an entity declaration",
            ),
        ] {
            assert_eq!(
                logo(svg.as_bytes(), SVG),
                Err(LookError::UnsafeSvg(why)),
                "{svg}"
            );
        }
        // "one=" inside a value or a word like "onion" is no handler.
        assert!(logo(with(r#"<path d="M0 0" class="onion"/>"#).as_bytes(), SVG).is_ok());
        assert_eq!(logo(b"<html/>", SVG), Err(LookError::NotSvg));
        assert_eq!(logo(&[0xff, 0xfe], SVG), Err(LookError::NotSvg));
        assert_eq!(logo(SHIELD.as_bytes(), PNG), Err(LookError::NotPng));
        assert_eq!(
            logo(SHIELD.as_bytes(), "image/gif"),
            Err(LookError::LogoType)
        );
        let big = with(&" ".repeat(MAX_LOGO_BYTES));
        assert_eq!(logo(big.as_bytes(), SVG), Err(LookError::LogoTooLarge));
    }

    #[test]
    fn the_hash_changes_with_the_bytes() {
        assert_eq!(content_hash(b"a").len(), 16);
        assert_ne!(content_hash(b"a"), content_hash(b"b"));
    }
}
