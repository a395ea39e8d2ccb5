//! Whatever the OCR hands over, the MRZ reader answers without panicking,
//! and an error never quotes the input.

#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match cho_core::mrz::parse(&text) {
        Ok(mrz) => {
            // Reading a parsed MRZ's fields, and its Debug (which must hide
            // them), must not panic either.
            let _ = format!("{mrz:?}");
            let _ = (
                mrz.surname.len(),
                mrz.given_names.len(),
                mrz.birth_date.len(),
            );
        }
        Err(e) => {
            let message = e.to_string();
            let _ = (e.line(), e.column());
            // An error names a line and column, never the content: no run of
            // 12 input characters (a name, a document number) may show up.
            if let Some(window) = text
                .as_bytes()
                .windows(12)
                .find(|w| w.iter().all(u8::is_ascii_alphanumeric))
            {
                let window = String::from_utf8_lossy(window);
                assert!(!message.contains(&*window), "error quotes the input");
            }
        }
    }
});
