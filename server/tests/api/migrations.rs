//! Migrations on a database filled by the version before (issue 9): 0070
//! rebuilds `bans` and `accounts` on SQLite to widen two CHECKs and turns
//! the free-text notification into the notice; 0071 adds the letter's
//! controller fields and category texts. Each test migrates a fresh
//! database only up to the version before, fills it with that version's
//! SQL, then starts the current server on it.

use std::path::Path;

use serde_json::json;
use sqlx::AnyPool;
use sqlx::Row;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

use crate::both;
use crate::fixtures::{contains, row_values};
use crate::harness::*;
use cho_server::domain::ban::BanStatus;
use cho_server::domain::notice::NoticeMethod;
use cho_server::domain::roles::{Actor, Role};

/// A fresh database of `backend` migrated up to `last` (inclusive) only.
async fn at_version(backend: Backend, last: i64) -> (TestDb, AnyPool) {
    sqlx::any::install_default_drivers();
    let db = TestDb::new(backend).await.expect("database");
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    sqlx::Executor::execute(&mut *conn, "PRAGMA foreign_keys = ON").await?;
                }
                Ok(())
            })
        })
        .connect(&db.url)
        .await
        .expect("connect");
    let dir = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let mut migrator = Migrator::new(Path::new(&format!(
        "{}/../migrations/{dir}",
        env!("CARGO_MANIFEST_DIR")
    )))
    .await
    .expect("migrations");
    let older: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= last)
        .cloned()
        .collect();
    assert!(
        older.iter().any(|m| m.version == last),
        "no migration {last}"
    );
    migrator.migrations = older.into();
    migrator.run(&pool).await.expect("older migrations");
    (db, pool)
}

async fn insert_id(pool: &AnyPool, sql: &'static str, binds: Vec<serde_json::Value>) -> i64 {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = match b {
            serde_json::Value::Null => q.bind(None::<i64>),
            serde_json::Value::Number(n) => q.bind(n.as_i64().unwrap()),
            serde_json::Value::String(s) => q.bind(s),
            other => panic!("bind {other}"),
        };
    }
    q.fetch_one(pool).await.expect(sql).get::<i64, _>("id")
}

/// Area, venue, category and accounts as any version since 0001 writes
/// them (columns up to 0060).
struct Old {
    area: i64,
    venue: i64,
    category: i64,
    owner: i64,
}

async fn fill_area(pool: &AnyPool) -> Old {
    let municipality = insert_id(
        pool,
        "INSERT INTO municipalities (name, created_at) VALUES ($1, $2) RETURNING id",
        vec![json!("Zwolle"), json!(START)],
    )
    .await;
    let area = insert_id(
        pool,
        "INSERT INTO areas (municipality_id, name, permit_reference, permit_granted_on, permit_expires_on, \
         complaint_window_days, retention_days, max_list_age_seconds, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        vec![
            json!(municipality),
            json!("Binnenstad Zwolle"),
            json!("AP z2025-04711"),
            json!("2025-01-01"),
            json!("2030-12-31"),
            json!(14),
            json!(0),
            json!(86_400),
            json!(START),
        ],
    )
    .await;
    let venue = insert_id(
        pool,
        "INSERT INTO venues (area_id, name, address, kvk_number, admitted_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        vec![
            json!(area),
            json!("Café De Kroon"),
            json!("Grote Markt 1, Zwolle"),
            json!("12345678"),
            json!("2026-01-01"),
            json!(START),
        ],
    )
    .await;
    let category = insert_id(
        pool,
        "INSERT INTO offence_categories (area_id, code, name, default_days, max_days) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        vec![
            json!(area),
            json!("geweld"),
            json!("Vechtpartij"),
            json!(182),
            json!(365),
        ],
    )
    .await;
    let account = |name: &'static str, role: &'static str, area: Option<i64>| {
        insert_id(
            pool,
            "INSERT INTO accounts (username, password_hash, role, area_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![
                json!(name),
                json!("$argon2id$not-a-real-hash"),
                json!(role),
                area.map_or(serde_json::Value::Null, |a| json!(a)),
                json!(START),
            ],
        )
    };
    account("operator", "operator", None).await;
    account("beheerder", "beheerder", Some(area)).await;
    let owner = account("kroon", "owner", Some(area)).await;
    sqlx::query("INSERT INTO account_venues (account_id, venue_id) VALUES ($1, $2)")
        .bind(owner)
        .bind(venue)
        .execute(pool)
        .await
        .unwrap();
    Old {
        area,
        venue,
        category,
        owner,
    }
}

/// A ban as version 0060 wrote it: personal data sealed to its record id,
/// the optional notification as a date and free text, two tokens.
async fn old_ban(
    app: &TestApp,
    pool: &AnyPool,
    old: &Old,
    surname: &str,
    notification: Option<&str>,
    n: u8,
) -> i64 {
    let record_id = vec![n; 16];
    let mut aad = format!("cho-ban-personal-data/2:{}:", old.area).into_bytes();
    aad.extend_from_slice(&record_id);
    let person = json!({"surname": surname, "given_names": "Piet", "birth_date": "1990-01-02",
        "incident_description": "Sloeg een gast", "hearing_statement": "Uitgedaagd",
        "not_heard_reason": null});
    let sealed = app
        .app
        .master_key()
        .seal(&aad, person.to_string().as_bytes())
        .unwrap();
    let id = sqlx::query(
        "INSERT INTO bans (area_id, venue_id, category_id, issued_by, starts_on, ends_on, status, incident_at, heard, \
         notified_on, notification_method, name_truncated, personal_data, created_at, record_id) \
         VALUES ($1, $2, $3, $4, '2026-11-28', '2027-05-28', 'active', $5, 1, $6, $7, 0, $8, $9, $10) RETURNING id",
    )
    .bind(old.area)
    .bind(old.venue)
    .bind(old.category)
    .bind(old.owner)
    .bind(START - 12 * 3600)
    .bind(notification.map(|_| "2026-11-28"))
    .bind(notification)
    .bind(sealed)
    .bind(START)
    .bind(record_id)
    .fetch_one(pool)
    .await
    .unwrap()
    .get::<i64, _>("id");
    for t in 0..2_u8 {
        sqlx::query(
            "INSERT INTO ban_tokens (ban_id, area_id, key_epoch, token, strength) VALUES ($1, $2, 1, $3, 2)",
        )
        .bind(id)
        .bind(old.area)
        .bind(vec![n * 10 + t; 16])
        .execute(pool)
        .await
        .unwrap();
    }
    id
}

/// The current server on the database at `url`, with `keys`' secrets.
async fn start_current(app: &TestApp, url: &str) -> cho_server::services::App {
    let db = cho_server::storage::Db::connect(url)
        .await
        .expect("migrate to the current version");
    let secrets = cho_server::secrets::Secrets::load(app.keys_dir()).expect("keys");
    let current = cho_server::app(
        db,
        secrets,
        app.clock.clone(),
        cho_server::services::auth::PasswordHashing::fast_for_tests(),
    );
    cho_server::on_start(&current).await.expect("start");
    current
}

async fn tokens(pool: &AnyPool) -> Vec<(i64, Vec<u8>)> {
    sqlx::query("SELECT ban_id, token FROM ban_tokens ORDER BY ban_id, token")
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("ban_id"), r.get("token")))
        .collect()
}

async fn count(pool: &AnyPool, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

both!(migration_0070_keeps_the_data_and_turns_the_notification_into_the_notice);
async fn migration_0070_keeps_the_data_and_turns_the_notification_into_the_notice(app: TestApp) {
    let (old_db, pool) = at_version(app.backend, 60).await;
    let old = fill_area(&pool).await;
    let free = old_ban(&app, &pool, &old, "Jansen", Some("letter handed over"), 1).await;
    let known = old_ban(&app, &pool, &old, "de Vries", Some("post"), 2).await;
    let none = old_ban(&app, &pool, &old, "Öztürk", None, 3).await;
    let tokens_before = tokens(&pool).await;
    let sealed_before: Vec<Vec<u8>> = sqlx::query("SELECT personal_data FROM bans ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("personal_data"))
        .collect();
    pool.close().await;

    let current = start_current(&app, &old_db.url).await;
    let pool = current.db.pool().clone();

    // Data and foreign keys kept.
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM bans").await, 3);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM accounts").await, 3);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM account_venues").await, 1);
    assert_eq!(tokens(&pool).await, tokens_before, "tokens kept");
    let sealed_after: Vec<Vec<u8>> = sqlx::query("SELECT personal_data FROM bans ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("personal_data"))
        .collect();
    assert_eq!(sealed_after, sealed_before);
    if app.backend == Backend::Sqlite {
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert!(broken.is_empty(), "foreign keys broken by the rebuild");
    }

    // The notice: a known method kept, free text `other` with the text as
    // a sealed note the owner reads; no notification, no notice.
    let owner = Actor {
        account_id: old.owner,
        role: Role::Owner,
        area_id: Some(old.area),
        venue_ids: vec![old.venue],
        municipality_id: None,
        must_change_password: false,
    };
    let read = |id| cho_server::services::bans::get(&current, &owner, id);
    let ban = read(free).await.expect("read the migrated ban");
    let notice = ban.notice.expect("notice");
    assert_eq!(notice.notified_on, "2026-11-28");
    assert_eq!(notice.method, NoticeMethod::Other);
    assert_eq!(notice.note.as_deref(), Some("letter handed over"));
    assert_eq!(ban.person.expect("person").surname, "Jansen");
    let ban = read(known).await.unwrap();
    let notice = ban.notice.expect("notice");
    assert_eq!((notice.method, notice.note), (NoticeMethod::Post, None));
    assert!(read(none).await.unwrap().notice.is_none());
    // No plaintext of the free text left anywhere.
    for table in ["bans", "audit_events"] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(&pool)
            .await
            .unwrap();
        for row in &rows {
            for (column, value) in row_values(row) {
                assert!(
                    !contains(&value, "handed over"),
                    "plaintext in {table}.{column}"
                );
            }
        }
    }
    let sealed: Vec<String> =
        sqlx::query("SELECT action FROM audit_events WHERE action = 'ban.notice.seal'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("action"))
            .collect();
    assert_eq!(sealed.len(), 1);

    // The widened CHECKs take the new values, and still refuse others.
    let municipality: i64 = count(&pool, "SELECT MIN(id) FROM municipalities").await;
    sqlx::query(
        "INSERT INTO accounts (username, password_hash, role, municipality_id, created_at) \
         VALUES ('raad', 'x', 'municipality', $1, $2)",
    )
    .bind(municipality)
    .bind(START)
    .execute(&pool)
    .await
    .expect("role municipality accepted");
    assert!(
        sqlx::query(
            "INSERT INTO accounts (username, password_hash, role, created_at) VALUES ('x', 'x', 'municipality', $1)"
        )
        .bind(START)
        .execute(&pool)
        .await
        .is_err(),
        "a municipality account without its municipality"
    );
    sqlx::query("UPDATE bans SET status = 'requested' WHERE id = $1")
        .bind(none)
        .execute(&pool)
        .await
        .expect("status requested accepted");
    assert_eq!(
        read(none).await.unwrap().status,
        BanStatus::Requested,
        "the server reads the new state"
    );
    assert!(
        sqlx::query("UPDATE bans SET status = 'paused' WHERE id = $1")
            .bind(none)
            .execute(&pool)
            .await
            .is_err()
    );
    // The tokens still hang off their ban: deleting it takes them along,
    // and a token of a missing ban is refused.
    sqlx::query("DELETE FROM bans WHERE id = $1")
        .bind(none)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM ban_tokens").await, 4);
    assert!(
        sqlx::query(
            "INSERT INTO ban_tokens (ban_id, area_id, key_epoch, token, strength) VALUES (999999, 1, 1, $1, 2)"
        )
        .bind(vec![9_u8; 16])
        .execute(&pool)
        .await
        .is_err()
    );
    current.db.close().await;
}

both!(migration_0071_applies_on_a_filled_0070_database);
async fn migration_0071_applies_on_a_filled_0070_database(app: TestApp) {
    let (old_db, pool) = at_version(app.backend, 70).await;
    let old = fill_area(&pool).await;
    pool.close().await;
    let current = start_current(&app, &old_db.url).await;
    let pool = current.db.pool().clone();
    let row = sqlx::query(
        "SELECT name, complaint_window_days, controller_name, controller_address, controller_statement, public_page_url \
         FROM areas WHERE id = $1",
    )
    .bind(old.area)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("name"), "Binnenstad Zwolle");
    assert_eq!(row.get::<i64, _>("complaint_window_days"), 14);
    for column in [
        "controller_name",
        "controller_address",
        "controller_statement",
        "public_page_url",
    ] {
        assert_eq!(row.get::<Option<String>, _>(column), None, "{column}");
    }
    let row = sqlx::query(
        "SELECT name, max_days, description_nl, description_en FROM offence_categories WHERE id = $1",
    )
    .bind(old.category)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("name"), "Vechtpartij");
    assert_eq!(row.get::<i64, _>("max_days"), 365);
    assert_eq!(row.get::<Option<String>, _>("description_nl"), None);
    // The server reads and writes the new columns.
    let beheerder = Actor {
        account_id: count(
            &pool,
            "SELECT id FROM accounts WHERE username = 'beheerder'",
        )
        .await,
        role: Role::Beheerder,
        area_id: Some(old.area),
        venue_ids: vec![],
        municipality_id: None,
        must_change_password: false,
    };
    cho_server::services::admin::update_category_with_texts(
        &current,
        &beheerder,
        old.category,
        "Vechtpartij",
        cho_server::domain::protocol::Durations::new(182, 365).unwrap(),
        &cho_server::services::admin::CategoryTexts {
            description_nl: Some("Vechten in of bij de zaak.".to_owned()),
            description_en: Some("Fighting in or near the venue.".to_owned()),
        },
    )
    .await
    .unwrap();
    let categories = cho_server::services::admin::categories(&current, &beheerder, old.area)
        .await
        .unwrap();
    assert_eq!(
        categories.active[0].description_en.as_deref(),
        Some("Fighting in or near the venue.")
    );
    current.db.close().await;
}
