//! Test data: the demo seed (area A, "Binnenstad Zwolle") plus a second
//! area B made through the API, people, MRZs and ban bodies.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use cho_testkit::people;

use crate::harness::TestApp;

pub const OPERATOR: (&str, &str) = people::OPERATOR;
pub const BEHEERDER_A: (&str, &str) = people::BEHEERDER;
/// Owner of venue A1 (Café De Kroon).
pub const OWNER_A: (&str, &str) = people::KROON;
/// Owner of venue A2 (Club De Fabriek), same area.
pub const OWNER_A2: (&str, &str) = people::FABRIEK;
pub const BEHEERDER_B: (&str, &str) = ("beheerder-b", "beheerder-b-password");
pub const OWNER_B: (&str, &str) = ("owner-b", "owner-b-password-1");

/// What the seed made, by id.
#[derive(Clone, Debug)]
pub struct Seeded {
    pub municipality_a: i64,
    pub area_a: i64,
    pub area_b: i64,
    pub venue_a1: i64,
    pub venue_a2: i64,
    pub venue_b: i64,
    /// Area A's "geweld-licht" category: 182 days by default, 365 at most.
    pub category_a: i64,
    /// Area A's "wapens" category: 730 days.
    pub category_a_weapons: i64,
    pub category_b: i64,
    /// The demo's three bans in area A: Jansen (A1), de Vries (A2),
    /// Öztürk (A1).
    pub demo_bans: Vec<i64>,
    /// "YYYY-MM-DD" of the venues' admission.
    pub admitted_on: String,
}

/// The demo's people (surname, given names, birth date).
pub const DEMO_PEOPLE: [(&str, &str, &str); 3] = [
    people::JANSEN.as_tuple(),
    people::DE_VRIES.as_tuple(),
    people::OZTURK.as_tuple(),
];

impl TestApp {
    /// Seeds the demo (area A) and builds area B through the API.
    pub async fn seed(&self) -> Seeded {
        assert!(
            cho_server::demo::seed(&self.app).await.expect("demo seed"),
            "fresh database"
        );
        assert_eq!(
            cho_server::demo::LOGINS
                .iter()
                .map(|l| (l.0, l.1))
                .collect::<Vec<_>>(),
            vec![OPERATOR, BEHEERDER_A, OWNER_A, OWNER_A2]
        );
        let op = self.login(OPERATOR.0, OPERATOR.1).await;
        let (_, areas) = self.get("/api/v1/areas", &op).await;
        let area_a = areas[0]["id"].as_i64().expect("area A");
        let municipality_a = areas[0]["municipality_id"].as_i64().expect("municipality");

        let beh_a = self.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
        let (_, venues) = self
            .get(&format!("/api/v1/areas/{area_a}/venues"), &beh_a)
            .await;
        let venue_a1 = venues[0]["id"].as_i64().expect("venue A1");
        let venue_a2 = venues[1]["id"].as_i64().expect("venue A2");
        let admitted_on = venues[0]["admitted_on"]
            .as_str()
            .expect("admitted")
            .to_owned();
        let (_, categories) = self
            .get(&format!("/api/v1/areas/{area_a}/categories"), &beh_a)
            .await;
        let category = |code: &str| {
            categories
                .as_array()
                .expect("categories")
                .iter()
                .find(|c| c["code"] == code)
                .and_then(|c| c["id"].as_i64())
                .expect("category")
        };
        let (category_a, category_a_weapons) = (category("geweld-licht"), category("wapens"));

        let demo_bans = sqlx::query("SELECT id FROM bans ORDER BY id")
            .fetch_all(self.db().pool())
            .await
            .expect("bans")
            .iter()
            .map(|r| r.get::<i64, _>("id"))
            .collect::<Vec<_>>();
        assert_eq!(demo_bans.len(), 3);

        let b = self
            .new_area(
                &op,
                "Deventer",
                "Binnenstad Deventer",
                BEHEERDER_B,
                OWNER_B,
                true,
            )
            .await;
        Seeded {
            municipality_a,
            area_a,
            area_b: b.area,
            venue_a1,
            venue_a2,
            venue_b: b.venue,
            category_a,
            category_a_weapons,
            category_b: b.category,
            demo_bans,
            admitted_on,
        }
    }

    /// An area made through the API: municipality, area, its beheerder,
    /// optionally a permit valid today, a category (182/365), one admitted
    /// venue and its owner.
    pub async fn new_area(
        &self,
        op: &str,
        municipality: &str,
        name: &str,
        beheerder: (&str, &str),
        owner: (&str, &str),
        permit: bool,
    ) -> NewArea {
        let municipality = self
            .create("/api/v1/municipalities", op, json!({"name": municipality}))
            .await;
        let area = self
            .create(
                "/api/v1/areas",
                op,
                json!({"municipality_id": municipality, "name": name}),
            )
            .await;
        self.create(
            "/api/v1/accounts",
            op,
            json!({"username": beheerder.0, "password": beheerder.1, "role": "beheerder", "area_id": area}),
        )
        .await;
        let beh = self.login(beheerder.0, beheerder.1).await;
        if permit {
            let answer = self
                .put(
                    &format!("/api/v1/areas/{area}/permit"),
                    &beh,
                    json!({"reference": "AP z2026-00042", "granted_on": "2026-01-01", "expires_on": "2030-12-31"}),
                )
                .await;
            assert_eq!(answer.0, StatusCode::NO_CONTENT, "{}", answer.1);
        }
        let category = self
            .create(
                &format!("/api/v1/areas/{area}/categories"),
                &beh,
                json!({"code": "geweld", "name": "Vechtpartij", "default_days": 182, "max_days": 365}),
            )
            .await;
        let venue = self
            .create(
                &format!("/api/v1/areas/{area}/venues"),
                &beh,
                json!({"name": format!("Café {name}"), "address": "Brink 1", "kvk_number": "11223344", "admitted_on": "2026-02-01"}),
            )
            .await;
        self.create(
            "/api/v1/accounts",
            &beh,
            json!({"username": owner.0, "password": owner.1, "role": "owner", "area_id": area, "venue_ids": [venue]}),
        )
        .await;
        NewArea {
            area,
            category,
            venue,
        }
    }

    /// Issues a ban; panics unless 201; returns its id.
    pub async fn issue(&self, token: &str, body: Value) -> i64 {
        let (status, answer) = self.post("/api/v1/bans", token, body).await;
        assert_eq!(status, StatusCode::CREATED, "issue: {answer}");
        answer["id"].as_i64().expect("ban id")
    }

    /// Rows in a table.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(self.db().pool())
        .await
        .expect("count")
        .get::<i64, _>("n")
    }

    /// The stored audit events after `after_seq`: (actor, action,
    /// object_type, object_id).
    pub async fn events_after(&self, after_seq: i64) -> Vec<(String, String, String, String)> {
        sqlx::query(
            "SELECT actor, action, object_type, object_id FROM audit_events WHERE seq > $1 ORDER BY seq",
        )
        .bind(after_seq)
        .fetch_all(self.db().pool())
        .await
        .expect("events")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
    }

    pub async fn last_seq(&self) -> i64 {
        sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
            .fetch_one(self.db().pool())
            .await
            .expect("head")
            .get::<i64, _>("seq")
    }

    pub async fn account_id(&self, username: &str) -> i64 {
        sqlx::query("SELECT id FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_one(self.db().pool())
            .await
            .expect("account")
            .get::<i64, _>("id")
    }

    /// Every stored value of every table (but the migration bookkeeping),
    /// as bytes: text as UTF-8, numbers in decimal, blobs as they are.
    pub async fn all_stored_values(&self) -> Vec<(String, Vec<u8>)> {
        let tables_sql = match self.backend {
            crate::harness::Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            crate::harness::Backend::Postgres => {
                "SELECT CAST(tablename AS TEXT) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            }
        };
        let tables: Vec<String> = sqlx::query(tables_sql)
            .fetch_all(self.db().pool())
            .await
            .expect("tables")
            .iter()
            .map(|r| r.get::<String, _>("name"))
            .filter(|t| t != "_sqlx_migrations")
            .collect();
        assert!(tables.len() >= 10, "tables: {tables:?}");
        let mut out = Vec::new();
        for table in tables {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
                .fetch_all(self.db().pool())
                .await
                .expect("rows");
            for row in &rows {
                out.extend(
                    row_values(row)
                        .into_iter()
                        .map(|(column, v)| (format!("{table}.{column}"), v)),
                );
            }
        }
        out
    }
}

pub struct NewArea {
    pub area: i64,
    pub category: i64,
    pub venue: i64,
}

/// A row's values as bytes, by column.
pub fn row_values(row: &sqlx::any::AnyRow) -> Vec<(String, Vec<u8>)> {
    use sqlx::Column;
    let mut out = Vec::new();
    for (i, column) in row.columns().iter().enumerate() {
        let name = column.name().to_owned();
        let value = if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
            v.unwrap_or_default()
        } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
            v.unwrap_or_default().into_bytes()
        } else if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            v.map(|n| n.to_string()).unwrap_or_default().into_bytes()
        } else if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
            v.map(|n| n.to_string()).unwrap_or_default().into_bytes()
        } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
            v.map(|n| n.to_string()).unwrap_or_default().into_bytes()
        } else if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
            v.map(|n| n.to_string()).unwrap_or_default().into_bytes()
        } else {
            panic!("column {name}: undecodable type");
        };
        out.push((name, value));
    }
    out
}

/// Whether `haystack` contains `needle` (bytes), ignoring ASCII case.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

// ---------------------------------------------------------------------------
// People and MRZs.

/// MRZs with check digits of the test kit's own, and the BSN-shaped
/// personal number [`BSN`] they carry.
pub use cho_testkit::mrz::{BSN, passport};

/// Willeke Liselotte de Bruijn, born 1965-03-10, by passport.
pub fn de_bruijn_mrz() -> String {
    passport("DE BRUIJN", "WILLEKE LISELOTTE", "650310", "340115")
}

pub fn manual(surname: &str, given_names: &str, birth_date: &str) -> Value {
    json!({"surname": surname, "given_names": given_names, "birth_date": birth_date})
}

/// A ban body for `venue` and `category` with the given person; the
/// incident was last night; the default end date.
pub fn ban_body(venue: i64, category: i64, person: Value) -> Value {
    json!({
        "venue_id": venue,
        "category_id": category,
        "person": person,
        "incident_at": "2026-11-28T01:30:00+01:00",
        "incident_description": "Struck another guest at the bar",
        "hearing": {"statement": "Says he was provoked"},
        "notification": {"notified_on": "2026-11-28", "method": "letter handed over"}
    })
}

/// Sets one field of a JSON object.
pub fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

/// A read-only account of area A's municipality (made by
/// [`TestApp::municipality_account`]).
pub const MUNICIPALITY_A: (&str, &str) = ("gemeente-a", "gemeente-a-password");

impl TestApp {
    /// The operator makes [`MUNICIPALITY_A`] for `municipality` through the
    /// API; its one-time password is changed to the known one. Answers its
    /// account id.
    pub async fn municipality_account(&self, municipality: i64) -> i64 {
        let op = self.login(OPERATOR.0, OPERATOR.1).await;
        let (status, made) = self
            .post(
                &format!("/api/v1/municipalities/{municipality}/accounts"),
                &op,
                serde_json::json!({"username": MUNICIPALITY_A.0}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        let one_time = made["password"].as_str().expect("password").to_owned();
        let token = self.login(MUNICIPALITY_A.0, &one_time).await;
        let (status, body) = self
            .post(
                "/api/v1/auth/password",
                &token,
                serde_json::json!({"current_password": one_time, "new_password": MUNICIPALITY_A.1}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        made["id"].as_i64().expect("id")
    }
}

/// Surnames of people banned in the fixtures: never in what the operator
/// or a municipality account gets.
pub const BANNED_SURNAMES: [&str; 7] = [
    "Jansen", "Vries", "Öztürk", "Visser", "Smit", "BRUIJN", "Bakker",
];
