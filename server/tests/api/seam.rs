//! The services are the only seam between the skins (the JSON API, the web
//! pages) and the storage: the services never reach into the HTTP layer,
//! and the HTTP handlers never into the storage. Checked on the source.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn src(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir)
}

#[test]
fn the_services_never_use_the_http_layer() {
    let files = rust_files(&src("services"));
    assert!(files.len() > 5);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains("crate::http") && !code.contains("super::super::http"),
                "{}:{}: the services must not use crate::http",
                file.display(),
                n + 1
            );
        }
    }
}

/// Handlers (the JSON API's and the pages') call services only.
#[test]
fn http_handlers_never_use_the_storage() {
    for file in rust_files(&src("http"))
        .into_iter()
        .chain(rust_files(&src("web")))
    {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let touches = code.contains("storage::") || code.contains("app.db");
            assert!(
                !touches,
                "{}:{}: a handler reaches into the storage: {line}",
                file.display(),
                n + 1
            );
        }
    }
}
