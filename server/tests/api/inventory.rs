//! Issue 9, item 9: the data inventory covers every column of a fully
//! migrated database (so a migration adding an undeclared column fails
//! here), and `cho-server privacy inventory` prints it as Markdown and
//! JSON.

use std::collections::BTreeSet;
use std::process::Command;

use sqlx::Row;

use crate::both;
use crate::harness::*;

both!(every_column_of_the_schema_is_declared_in_the_inventory);
async fn every_column_of_the_schema_is_declared_in_the_inventory(app: TestApp) {
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        }
    };
    let schema: BTreeSet<(String, String)> = sqlx::query(sql)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>("t"), r.get::<String, _>("c")))
        .filter(|(t, _)| t != "_sqlx_migrations")
        .collect();
    assert!(schema.len() > 50, "{schema:?}");
    let declared: BTreeSet<(String, String)> = cho_server::privacy::COLUMNS
        .iter()
        .map(|c| (c.table.to_owned(), c.column.to_owned()))
        .collect();
    let undeclared: Vec<_> = schema.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "columns not in the data inventory (server/src/privacy.rs): {undeclared:?}"
    );
    let stale: Vec<_> = declared.difference(&schema).collect();
    assert!(
        stale.is_empty(),
        "declared but not in the schema: {stale:?}"
    );
}

fn inventory(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cho-server"))
        .args(["privacy", "inventory"])
        .args(args)
        .env_remove("CHO_DATA_DIR")
        .output()
        .expect("run cho-server");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_inventory_command_prints_markdown_and_json() {
    let md = inventory(&[]);
    assert_eq!(md, inventory(&["--format", "md"]));
    assert!(md.starts_with("# Data inventory"), "{md}");
    for needle in [
        "| Table | Column | Purpose | Legal basis | Retention | Stored | Readers |",
        "| bans | personal_data |",
        "| sealed |",
        "| ban_tokens | token |",
        "| hashed |",
        "| accounts | username |",
        "## Other columns (not personal)",
        "| ban_counts | bans |",
    ] {
        assert!(md.contains(needle), "markdown lacks {needle}");
    }
    let json: serde_json::Value = serde_json::from_str(&inventory(&["--format", "json"])).unwrap();
    let columns = json["columns"].as_array().unwrap();
    assert_eq!(columns.len(), cho_server::privacy::COLUMNS.len());
    let personal_data = columns
        .iter()
        .find(|c| c["table"] == "bans" && c["column"] == "personal_data")
        .unwrap();
    assert_eq!(personal_data["personal"], true);
    assert_eq!(personal_data["protection"], "sealed");
    assert!(
        personal_data["legal_basis"]
            .as_str()
            .unwrap()
            .contains("6(1)(f)")
    );
    assert!(
        personal_data["retention"]
            .as_str()
            .unwrap()
            .contains("retention")
    );
    assert!(!personal_data["readers"].as_array().unwrap().is_empty());
    let not_personal = columns
        .iter()
        .find(|c| c["table"] == "ban_counts" && c["column"] == "bans")
        .unwrap();
    assert_eq!(not_personal["personal"], false);
    assert!(not_personal.get("legal_basis").is_none());
    // An unknown format is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_cho-server"))
        .args(["privacy", "inventory", "--format", "xml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
