//! The municipality's pages (`/gemeente`, issue 9 item 7): read-only, for
//! a `municipality` account. Its areas with permit and protocol, and per
//! area the anonymous statistics from `services::statistics` (the same
//! service as the beheerder's page; per-venue counts of 1 to 4 as "<5"),
//! with CSV. Nothing here reads a ban, a name or an account.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;

use super::i18n::Tr;
use super::records::{csv, month_name, parse_id};
use super::session::Viewer;
use super::{Page, WebError};
use crate::services::App;
use crate::services::municipality::{self, MunicipalOverview, PermitState};
use crate::services::statistics::{self, Statistics};

/// The catalogue key of a permit's state (said in words, never by colour
/// alone).
fn permit_key(state: PermitState) -> &'static str {
    match state {
        PermitState::None => "municipality.permit.none",
        PermitState::NotYetValid => "municipality.permit.not_yet_valid",
        PermitState::Valid => "municipality.permit.valid",
        PermitState::ExpiresSoon => "municipality.permit.expires_soon",
        PermitState::Expired => "municipality.permit.expired",
    }
}

/// Whether the permit's state asks for attention (a warning alert).
fn permit_warns(state: PermitState) -> bool {
    !matches!(state, PermitState::Valid)
}

#[derive(Template, WebTemplate)]
#[template(path = "municipality/overview.html")]
pub struct OverviewPage {
    page: Page,
    overview: MunicipalOverview,
    /// Per area (same order): the permit state's text and whether it warns.
    permit: Vec<(String, bool)>,
}

/// `GET /gemeente`: the municipality's areas, permits and protocols.
pub async fn overview(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<OverviewPage, WebError> {
    let overview = municipality::overview(&app, &viewer.actor)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    let permit = overview
        .areas
        .iter()
        .map(|a| {
            let text = match (a.permit_state, a.permit_days_left) {
                (PermitState::ExpiresSoon, Some(days)) => {
                    tr.t1("municipality.permit.expires_in", days)
                }
                (state, _) => tr.t(permit_key(state)).to_owned(),
            };
            (text, permit_warns(a.permit_state))
        })
        .collect();
    Ok(OverviewPage {
        page: Page::for_viewer(
            &viewer,
            &uri,
            &tr.t1("municipality.title", &overview.municipality_name),
        ),
        overview,
        permit,
    })
}

/// A row of a month table, with the month as people write it.
pub struct MonthLine {
    pub month: String,
    pub issued: i64,
    pub expired: i64,
    pub revoked: i64,
    pub overturned: i64,
    pub complaints: Option<i64>,
    pub requests: Option<i64>,
}

/// A row of the venue-and-month table.
pub struct VenueMonthLine {
    pub month: String,
    pub venue: String,
    pub issued: String,
    pub expired: String,
    pub revoked: String,
    pub overturned: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "municipality/statistics.html")]
pub struct StatisticsPage {
    page: Page,
    s: Statistics,
    on: String,
    months: Vec<MonthLine>,
    venue_months: Vec<VenueMonthLine>,
    /// Whether complaints / requests per month are known (filled by the
    /// complaints and requests registers).
    with_complaints: bool,
    with_requests: bool,
    csv_href: String,
}

/// `GET /gemeente/gebieden/{id}`: one area's anonymous statistics.
pub async fn area_statistics(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<StatisticsPage, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    let s = statistics::area(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let tr = Tr::new(lang);
    // Newest month first: a council asks about the last months.
    let months: Vec<MonthLine> = s
        .month_rows
        .iter()
        .rev()
        .map(|m| MonthLine {
            month: month_name(&tr, &m.month),
            issued: m.issued,
            expired: m.expired,
            revoked: m.revoked,
            overturned: m.overturned,
            complaints: m.complaints,
            requests: m.requests,
        })
        .collect();
    let unknown_venue = tr.t("municipality.stats.venue_unknown").to_owned();
    let venue_months = s
        .venue_months
        .iter()
        .rev()
        .map(|v| VenueMonthLine {
            month: month_name(&tr, &v.month),
            venue: if v.venue_name.is_empty() {
                unknown_venue.clone()
            } else {
                v.venue_name.clone()
            },
            issued: v.issued.to_string(),
            expired: v.expired.to_string(),
            revoked: v.revoked.to_string(),
            overturned: v.overturned.to_string(),
        })
        .collect();
    Ok(StatisticsPage {
        page: Page::for_viewer(
            &viewer,
            &uri,
            &tr.t1("municipality.stats.title", &s.area_name),
        ),
        on: tr.date(s.on),
        with_complaints: s.month_rows.iter().any(|m| m.complaints.is_some()),
        with_requests: s.month_rows.iter().any(|m| m.requests.is_some()),
        months,
        venue_months,
        csv_href: format!("/gemeente/gebieden/{id}/statistiek.csv"),
        s,
    })
}

/// `GET /gemeente/gebieden/{id}/statistiek.csv`.
pub async fn area_statistics_csv(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    let s = statistics::area(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    Ok(csv(&s))
}
