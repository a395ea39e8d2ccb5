//! Demo data for `cho-server demo`: the municipality of Zwolle, one area
//! with a valid AP permit and the model protocol's categories, two venues,
//! a beheerder, two owners and a few bans. Seeded once per data directory.

use time::Duration;

use crate::domain::notice::NoticeMethod;
use crate::domain::protocol::{Durations, Permit, ProtocolSettings};
use crate::domain::roles::{Actor, Role};
use crate::domain::username::Username;
use crate::services::bans::{Hearing, IssueBan, NoticeInput, PersonInput};
use crate::services::{App, AppResult, admin, bans, look, public};
use crate::storage::accounts;

/// (username, password, what the account is). Demo passwords only.
pub const LOGINS: [(&str, &str, &str); 4] = [
    (
        "operator",
        "demo-operator-2026",
        "operator: municipalities, areas, beheerders",
    ),
    (
        "beheerder",
        "demo-beheerder-2026",
        "beheerder of Binnenstad Zwolle",
    ),
    ("kroon", "demo-kroon-2026", "owner of Café De Kroon"),
    ("fabriek", "demo-fabriek-2026", "owner of Club De Fabriek"),
];

/// The model protocol's offence categories (2020, art. 4.2.1): code, name,
/// default and maximum days.
pub const MODEL_CATEGORIES: [(&str, &str, i64, i64); 5] = [
    (
        "geweld-licht",
        "Lichte mishandeling / vechtpartij",
        182,
        365,
    ),
    ("vernieling", "Vernieling", 182, 365),
    ("diefstal", "Diefstal", 365, 365),
    ("drugs-handel", "Handel in drugs", 365, 730),
    ("wapens", "Wapenbezit of zware mishandeling", 730, 730),
];

/// What each model category's offence is, in Dutch and English, in the
/// order of [`MODEL_CATEGORIES`]: the notice letter names the offence in
/// its own language (an English letter saying only "Diefstal" tells an
/// English reader nothing).
pub const MODEL_CATEGORY_TEXTS: [(&str, &str); 5] = [
    (
        "Een gast of medewerker slaan, schoppen of duwen, of meevechten.",
        "Hitting, kicking or pushing a guest or member of staff, or joining a fight (assault).",
    ),
    (
        "Opzettelijk iets van de zaak of van een gast beschadigen.",
        "Deliberately damaging property of the venue or of a guest (vandalism).",
    ),
    (
        "Iets wegnemen van de zaak, een medewerker of een gast.",
        "Taking something from the venue, its staff or a guest (theft).",
    ),
    (
        "Drugs verkopen, aanbieden of doorgeven in of bij de zaak.",
        "Selling, offering or passing on drugs in or near the venue (drug dealing).",
    ),
    (
        "Een wapen bij zich hebben, of iemand ernstig verwonden.",
        "Carrying a weapon, or seriously injuring someone (serious assault).",
    ),
];

/// The demo municipality's primary colour (7.9:1 with white text).
pub const DEMO_COLOUR: &str = "#1d4f91";

/// The demo municipality's logo: a plain shield.
pub const DEMO_LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 48" width="40" height="48" role="img" aria-label="Zwolle"><path d="M4 4h32v20c0 11-8 18-16 21C12 42 4 35 4 24z" fill="#1d4f91"/><path d="M9 9h22v15c0 8-5 13-11 16C14 37 9 32 9 24z" fill="#ffffff"/><path d="M20 12l7 7-7 7-7-7z" fill="#c8102e"/></svg>"##;

fn actor(account_id: i64, role: Role, area_id: Option<i64>, venue_ids: Vec<i64>) -> Actor {
    Actor {
        municipality_id: None,
        account_id,
        role,
        area_id,
        venue_ids,
        must_change_password: false,
    }
}

/// Seeds the demo unless it is there already; true when it seeded.
pub async fn seed(app: &App) -> AppResult<bool> {
    if accounts::by_username(&app.db, LOGINS[0].0).await?.is_some() {
        return Ok(false);
    }
    let hash = admin::hash_blocking(app, LOGINS[0].1).await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let operator_name = Username::parse(LOGINS[0].0)
        .map_err(|_| crate::services::AppError::Internal("demo username"))?;
    let operator_id =
        admin::insert_account(&mut tx, &operator_name, &hash, Role::Operator, None, &[]).await?;
    tx.audit(crate::domain::audit::AuditEvent {
        actor: "system".to_owned(),
        action: "account.create",
        object_type: "account",
        object_id: operator_id.to_string(),
        area_id: None,
    })
    .await?;
    tx.commit().await?;
    let operator = actor(operator_id, Role::Operator, None, vec![]);

    let today = app.clock.today();
    let municipality = admin::create_municipality(app, &operator, "Zwolle").await?;
    look::set_look(
        app,
        &operator,
        municipality,
        look::NewLook {
            primary_colour: Some(DEMO_COLOUR),
            logo: Some((DEMO_LOGO.as_bytes(), crate::domain::look::SVG)),
        },
    )
    .await?;
    let area = admin::create_area(
        app,
        &operator,
        municipality,
        "Binnenstad Zwolle",
        ProtocolSettings::default(),
    )
    .await?;
    let beheerder_id = admin::create_account(
        app,
        &operator,
        admin::NewAccount {
            username: LOGINS[1].0,
            password: LOGINS[1].1,
            role: Role::Beheerder,
            area_id: Some(area),
            venue_ids: &[],
        },
    )
    .await?;
    let beheerder = actor(beheerder_id, Role::Beheerder, Some(area), vec![]);
    public::set_contact(
        app,
        &beheerder,
        area,
        &public::Contact {
            contact_email: Some("cho@zwolle.example".to_owned()),
            contact_phone: Some("038 498 9111".to_owned()),
            complaint_committee_address: Some(
                "Klachtencommissie CHO, Postbus 10007, 8000 GA Zwolle".to_owned(),
            ),
            complaint_committee_email: Some("klachtencommissie@zwolle.example".to_owned()),
            privacy_contact: Some(
                "Functionaris gegevensbescherming, privacy@zwolle.example".to_owned(),
            ),
            controller_name: Some("Stichting Veilig Uitgaan Zwolle".to_owned()),
            controller_address: Some("Postbus 10007\n8000 GA Zwolle".to_owned()),
            controller_statement: None,
            public_page_url: None,
        },
    )
    .await?;
    let permit = Permit::new(
        "AP z2025-04711",
        today - Duration::days(365),
        today + Duration::days(4 * 365),
    )?;
    admin::set_permit(app, &beheerder, area, permit).await?;
    let mut categories = Vec::new();
    for ((code, name, default_days, max_days), (nl, en)) in
        MODEL_CATEGORIES.into_iter().zip(MODEL_CATEGORY_TEXTS)
    {
        categories.push(
            admin::create_category_with_texts(
                app,
                &beheerder,
                area,
                code,
                name,
                Durations::new(default_days, max_days)?,
                &admin::CategoryTexts {
                    description_nl: Some(nl.to_owned()),
                    description_en: Some(en.to_owned()),
                },
            )
            .await?,
        );
    }
    let admitted = Some(today - Duration::days(300));
    let kroon = admin::create_venue(
        app,
        &beheerder,
        area,
        "Café De Kroon",
        "Grote Markt 1, 8011 LV Zwolle",
        "12345678",
        admitted,
    )
    .await?;
    let fabriek = admin::create_venue(
        app,
        &beheerder,
        area,
        "Club De Fabriek",
        "Pannekoekendijk 12, 8011 NA Zwolle",
        "87654321",
        admitted,
    )
    .await?;
    let mut owners = Vec::new();
    for (login, venue) in [(LOGINS[2], kroon), (LOGINS[3], fabriek)] {
        let id = admin::create_account(
            app,
            &beheerder,
            admin::NewAccount {
                username: login.0,
                password: login.1,
                role: Role::Owner,
                area_id: Some(area),
                venue_ids: &[venue],
            },
        )
        .await?;
        owners.push(actor(id, Role::Owner, Some(area), vec![venue]));
    }
    let now = app.clock.now();
    let people = [
        ("Jansen", "Piet Hendrik", "1994-05-17", 0, 4_i64),
        ("de Vries", "Kees", "2001-03-04", 1, 1),
        ("Öztürk", "Mehmet", "1988-11-02", 2, 2),
    ];
    for (i, (surname, given_names, birth_date, category, days_ago)) in
        people.into_iter().enumerate()
    {
        let owner = &owners[i % 2];
        bans::issue(
            app,
            owner,
            IssueBan {
                venue_id: owner.venue_ids[0],
                category_id: categories[category],
                person: PersonInput::Manual {
                    surname: surname.to_owned(),
                    given_names: given_names.to_owned(),
                    birth_date: birth_date.to_owned(),
                },
                incident_at: now - days_ago * 86_400,
                incident_description: "Demo incident: fight at the bar".to_owned(),
                starts_on: None,
                ends_on: None,
                hearing: Hearing {
                    statement: Some("Demo statement".to_owned()),
                    not_heard_reason: None,
                },
                notice: Some(NoticeInput {
                    notified_on: today,
                    method: NoticeMethod::HandedOver,
                    note: None,
                }),
            },
        )
        .await?;
    }
    Ok(true)
}
