//! The catalogues: the same keys in every language, no empty text, and
//! every key a template or a page handler uses is in them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn catalogue(lang: &str) -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("locales/{lang}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_key_is_in_both_languages() {
    let nl = catalogue("nl");
    let en = catalogue("en");
    let nl_keys: BTreeSet<_> = nl.keys().collect();
    let en_keys: BTreeSet<_> = en.keys().collect();
    let only_nl: Vec<_> = nl_keys.difference(&en_keys).collect();
    let only_en: Vec<_> = en_keys.difference(&nl_keys).collect();
    assert!(only_nl.is_empty(), "only in nl.json: {only_nl:?}");
    assert!(only_en.is_empty(), "only in en.json: {only_en:?}");
    for (key, text) in nl.iter().chain(en.iter()) {
        assert!(!text.trim().is_empty(), "{key} is empty");
        // A `{0}` in one language is a `{0}` in the other.
        assert_eq!(
            nl[key].contains("{0}"),
            en[key].contains("{0}"),
            "{key}: placeholders differ"
        );
    }
}

/// The keys in `t("...")` and `t1("...", ...)` calls of a text.
fn used_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for call in ["t(\"", "t1(\""] {
        let mut rest = text;
        while let Some(at) = rest.find(call) {
            let preceded_by_word = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            rest = &rest[at + call.len()..];
            let Some(end) = rest.find('"') else { break };
            if !preceded_by_word {
                keys.push(rest[..end].to_owned());
            }
        }
    }
    keys
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_key_used_by_a_template_or_page_is_in_the_catalogue() {
    let nl = catalogue("nl");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("templates"), &mut paths);
    files(&root.join("src/web"), &mut paths);
    let mut used = 0;
    let mut missing = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        // Comments (the module docs' examples) use no keys.
        let code: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for key in used_keys(&code) {
            used += 1;
            if !nl.contains_key(&key) {
                missing.push(format!("{}: {key}", path.display()));
            }
        }
    }
    assert!(used > 50, "the scan found only {used} keys");
    assert!(
        missing.is_empty(),
        "keys missing from the catalogue: {missing:#?}"
    );
}

#[test]
fn the_scan_finds_keys() {
    assert_eq!(
        used_keys(r#"{{ page.tr.t("a.b") }} x.t1("c", 1) format("d") tr.t("e")"#),
        ["a.b", "e", "c"]
    );
}
