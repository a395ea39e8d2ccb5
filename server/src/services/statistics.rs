//! The one statistics service: anonymous counts of an area's bans, read by
//! the operator and the area's beheerder (the API, the pages, the CSV).
//!
//! The municipality reads it too (for the areas of its municipality), with
//! one difference, decided here and nowhere else: per-venue counts of 1 to
//! 4 are shown as "<5" ([`Count::Few`]), so a council report cannot single
//! out the one person a small venue banned that month. The area's
//! beheerder sees the exact numbers: they read the bans themselves, so
//! hiding a count from them would protect nobody.
//!
//! The figures, each with one definition:
//! - active bans on a day per (category, venue): the same condition as the
//!   `/metrics` gauge (`storage::bans::active_counts`);
//! - per month: bans issued, expired (last day passed), revoked and
//!   overturned, per category and venue (`storage::bans::figures`). Stored
//!   bans are counted from their rows, purged ones from the anonymous
//!   counts (`ban_counts`) their purge left in the same transaction under
//!   the same figure and month (the same function decides both), so a
//!   month's figure never changes when a ban is purged.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use time::Date;

use super::views::{iso_date, may_read_area_figures};
use super::{App, AppError, AppResult};
use crate::domain::roles::{Actor, Role};
use crate::storage::bans::Figure;
use crate::storage::{areas, bans, venues};

/// Per-venue counts below this are shown as "<5" to the municipality.
pub const SMALL_COUNT: i64 = 5;

/// A count as a reader may see it: exact, or "<5" (1 to 4, hidden).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    Exact(i64),
    /// Between 1 and [`SMALL_COUNT`]` - 1`.
    Few,
}

impl Count {
    /// The one small-count rule: 1 to 4 becomes "<5" when `hide_small`;
    /// 0 stays 0 (nobody is behind it).
    pub fn shown(n: i64, hide_small: bool) -> Self {
        if hide_small && (1..SMALL_COUNT).contains(&n) {
            Self::Few
        } else {
            Self::Exact(n)
        }
    }

    /// The number, when shown exactly.
    pub fn exact(self) -> Option<i64> {
        match self {
            Self::Exact(n) => Some(n),
            Self::Few => None,
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(n) => write!(f, "{n}"),
            Self::Few => write!(f, "<{SMALL_COUNT}"),
        }
    }
}

/// A number in JSON, or the string "<5".
impl Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Exact(n) => s.serialize_i64(*n),
            Self::Few => s.collect_str(self),
        }
    }
}

/// Everything a statistics page needs, in one call.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Statistics {
    pub area_id: i64,
    pub area_name: String,
    /// The day the active counts are for (today in the Netherlands).
    #[serde(serialize_with = "iso_date")]
    pub on: Date,
    /// Active bans per category and venue; only pairs with bans.
    pub active: Vec<ActiveCount>,
    pub active_total: i64,
    /// Active bans per category (every category of the protocol, zeros
    /// included).
    pub active_by_category: Vec<CategoryCount>,
    /// Active bans per venue (every venue of the area, zeros included).
    pub active_by_venue: Vec<VenueCount>,
    /// Bans issued per month, oldest first, from the first month with a
    /// ban to this month (months without bans included, as zeros).
    pub months: Vec<MonthCount>,
    /// Per month (the same months): issued, expired, revoked, overturned
    /// for the whole area (exact: no venue is named).
    pub month_rows: Vec<MonthRow>,
    /// Per month and venue, only pairs with something to count; counts of
    /// 1 to 4 shown as "<5" when `small_counts_hidden`.
    pub venue_months: Vec<VenueMonth>,
    /// The municipality's view: per-venue counts below 5 are hidden.
    pub small_counts_hidden: bool,
}

/// One month of the area.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    pub issued: i64,
    pub expired: i64,
    pub revoked: i64,
    pub overturned: i64,
    /// Complaints received that month, from the complaints register
    /// (`complaints_per_month`); None where a view leaves them out.
    pub complaints: Option<i64>,
    /// Data-subject requests received that month, from their register
    /// (`requests_per_month`); None where a view leaves them out.
    pub requests: Option<i64>,
}

/// One month of one venue.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct VenueMonth {
    pub month: String,
    /// 0 with an empty name: counts kept before venues were counted.
    pub venue_id: i64,
    pub venue_name: String,
    pub issued: Count,
    pub expired: Count,
    pub revoked: Count,
    pub overturned: Count,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ActiveCount {
    pub category_id: i64,
    pub category_name: String,
    pub venue_id: i64,
    pub venue_name: String,
    pub bans: Count,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CategoryCount {
    pub category_id: i64,
    pub category_name: String,
    pub bans: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct VenueCount {
    pub venue_id: i64,
    pub venue_name: String,
    pub bans: Count,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    pub bans: i64,
    /// Per category, only those with bans that month.
    pub by_category: Vec<CategoryCount>,
}

/// The area's statistics today: the operator and the area's beheerder
/// (exact), a municipality account for an area of its municipality (small
/// per-venue counts hidden); another area's is "not found".
pub async fn area(app: &App, actor: &Actor, area_id: i64) -> AppResult<Statistics> {
    let hide_small = actor.role == Role::Municipality;
    if !hide_small {
        may_read_area_figures(actor, area_id)?;
    }
    let area = areas::area(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    if hide_small && actor.municipality_id != Some(area.municipality_id) {
        return Err(AppError::NotFound("area"));
    }
    let today = app.clock.today();
    let categories: BTreeMap<i64, String> = areas::categories(&app.db, area_id)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let venue_rows = venues::in_area(&app.db, area_id).await?;
    let venue_names: BTreeMap<i64, String> =
        venue_rows.iter().map(|v| (v.id, v.name.clone())).collect();
    let category_name = |id: i64| categories.get(&id).cloned().unwrap_or_default();
    let venue_name = |id: i64| venue_names.get(&id).cloned().unwrap_or_default();

    let pairs = bans::active_by_category_and_venue(&app.db, area_id, today).await?;
    let active: Vec<ActiveCount> = pairs
        .iter()
        .map(|&(category_id, venue_id, n)| ActiveCount {
            category_id,
            category_name: category_name(category_id),
            venue_id,
            venue_name: venue_name(venue_id),
            bans: Count::shown(n, hide_small),
        })
        .collect();
    let sum_where = |keep: &dyn Fn(&(i64, i64, i64)) -> bool| -> i64 {
        pairs.iter().filter(|p| keep(p)).map(|p| p.2).sum()
    };
    let active_by_category = categories
        .iter()
        .map(|(&id, name)| CategoryCount {
            category_id: id,
            category_name: name.clone(),
            bans: sum_where(&|p| p.0 == id),
        })
        .collect();
    let active_by_venue = venue_rows
        .iter()
        .map(|v| VenueCount {
            venue_id: v.id,
            venue_name: v.name.clone(),
            bans: Count::shown(sum_where(&|p| p.1 == v.id), hide_small),
        })
        .collect();

    // (month, figure, category, venue) -> bans, stored and purged alike.
    let mut counted: BTreeMap<(String, Figure, i64, i64), i64> = BTreeMap::new();
    for ban in bans::facts(&app.db, area_id).await? {
        for (figure, month) in bans::figures(&ban, today)? {
            *counted
                .entry((month, figure, ban.category_id, ban.venue_id))
                .or_default() += 1;
        }
    }
    for c in bans::counts(&app.db, area_id).await? {
        *counted
            .entry((c.month, c.figure, c.category_id, c.venue_id))
            .or_default() += c.bans;
    }
    // (month, category) -> bans issued.
    let mut per_month: BTreeMap<(String, i64), i64> = BTreeMap::new();
    // (month, venue) -> figure -> bans; month -> figure -> bans.
    let mut per_venue: BTreeMap<(String, i64), BTreeMap<Figure, i64>> = BTreeMap::new();
    let mut per_month_figure: BTreeMap<String, BTreeMap<Figure, i64>> = BTreeMap::new();
    for ((month, figure, category, venue), n) in &counted {
        if *figure == Figure::Issued {
            *per_month.entry((month.clone(), *category)).or_default() += n;
        }
        *per_venue
            .entry((month.clone(), *venue))
            .or_default()
            .entry(*figure)
            .or_default() += n;
        *per_month_figure
            .entry(month.clone())
            .or_default()
            .entry(*figure)
            .or_default() += n;
    }
    // Complaints and data-subject requests per month of receipt: their
    // registers keep kind, dates and outcome after every purge.
    let mut complaints: BTreeMap<String, i64> = BTreeMap::new();
    for (month, received, _, _) in
        crate::storage::complaints::complaints_per_month(&app.db, area_id).await?
    {
        *complaints.entry(month).or_default() += received;
    }
    let mut requests: BTreeMap<String, i64> = BTreeMap::new();
    for r in super::subject_requests::requests_per_month(&app.db, area_id).await? {
        *requests.entry(r.month).or_default() += r.received;
    }
    let this_month = format!("{:04}-{:02}", today.year(), u8::from(today.month()));
    let seen: BTreeSet<&str> = counted
        .keys()
        .map(|(m, ..)| m.as_str())
        .chain(complaints.keys().map(String::as_str))
        .chain(requests.keys().map(String::as_str))
        .collect();
    let all_months = match (seen.first(), seen.last()) {
        (Some(first), Some(last)) => month_range(first, (*last).max(this_month.as_str())),
        _ => Vec::new(),
    };
    let months = all_months
        .iter()
        .map(|month| {
            let by_category: Vec<CategoryCount> = per_month
                .iter()
                .filter(|((m, _), _)| m == month)
                .map(|((_, c), n)| CategoryCount {
                    category_id: *c,
                    category_name: category_name(*c),
                    bans: *n,
                })
                .collect();
            MonthCount {
                bans: by_category.iter().map(|c| c.bans).sum(),
                month: month.clone(),
                by_category,
            }
        })
        .collect();
    let month_rows = all_months
        .iter()
        .map(|month| {
            let of = |f: Figure| {
                per_month_figure
                    .get(month)
                    .and_then(|m| m.get(&f))
                    .copied()
                    .unwrap_or(0)
            };
            MonthRow {
                month: month.clone(),
                issued: of(Figure::Issued),
                expired: of(Figure::Expired),
                revoked: of(Figure::Revoked),
                overturned: of(Figure::Overturned),
                complaints: Some(complaints.get(month).copied().unwrap_or(0)),
                requests: Some(requests.get(month).copied().unwrap_or(0)),
            }
        })
        .collect();
    let venue_months = per_venue
        .iter()
        .map(|((month, venue), figures)| {
            let of = |f: Figure| Count::shown(figures.get(&f).copied().unwrap_or(0), hide_small);
            VenueMonth {
                month: month.clone(),
                venue_id: *venue,
                venue_name: venue_name(*venue),
                issued: of(Figure::Issued),
                expired: of(Figure::Expired),
                revoked: of(Figure::Revoked),
                overturned: of(Figure::Overturned),
            }
        })
        .collect();

    Ok(Statistics {
        area_id,
        area_name: area.name,
        on: today,
        active_total: pairs.iter().map(|p| p.2).sum(),
        active,
        active_by_category,
        active_by_venue,
        months,
        month_rows,
        venue_months,
        small_counts_hidden: hide_small,
    })
}

/// `YYYY-MM` months from `first` to `last` inclusive (empty when either is
/// malformed or `last` is earlier).
fn month_range(first: &str, last: &str) -> Vec<String> {
    let parse = |m: &str| -> Option<(i32, u32)> {
        let (y, mo) = m.split_once('-')?;
        let (y, mo) = (y.parse().ok()?, mo.parse().ok()?);
        (1..=12).contains(&mo).then_some((y, mo))
    };
    let (Some(mut at), Some(end)) = (parse(first), parse(last)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // A bound: statistics reach back years, not millennia.
    while at <= end && out.len() < 1200 {
        out.push(format!("{:04}-{:02}", at.0, at.1));
        at = if at.1 == 12 {
            (at.0 + 1, 1)
        } else {
            (at.0, at.1 + 1)
        };
    }
    out
}

/// The statistics as CSV (RFC 4180, CRLF line ends): one row per figure,
/// `figure,month,category,venue,bans`, where `figure` is `active` (per
/// category and venue on the day in the header), `issued` (per month and
/// category), `expired` / `revoked` / `overturned` / `complaints` /
/// `requests` (per month, the whole area), or `venue_issued` /
/// `venue_expired` / `venue_revoked` / `venue_overturned` (per month and
/// venue; `<5` where small counts are hidden). Text cells that a
/// spreadsheet would take for a formula are prefixed with `'`.
pub fn to_csv(s: &Statistics) -> String {
    let mut out = String::from("figure,month,category,venue,bans\r\n");
    let on = cho_core::dates::format_iso_date(s.on);
    for a in &s.active {
        row(
            &mut out,
            [
                "active",
                &on,
                &a.category_name,
                &a.venue_name,
                &a.bans.to_string(),
            ],
        );
    }
    for m in &s.months {
        if m.by_category.is_empty() {
            row(&mut out, ["issued", &m.month, "", "", "0"]);
        }
        for c in &m.by_category {
            row(
                &mut out,
                [
                    "issued",
                    &m.month,
                    &c.category_name,
                    "",
                    &c.bans.to_string(),
                ],
            );
        }
    }
    for m in &s.month_rows {
        let optional = [("complaints", m.complaints), ("requests", m.requests)];
        for (figure, n) in [
            ("expired", Some(m.expired)),
            ("revoked", Some(m.revoked)),
            ("overturned", Some(m.overturned)),
        ]
        .into_iter()
        .chain(optional)
        {
            if let Some(n) = n {
                row(&mut out, [figure, &m.month, "", "", &n.to_string()]);
            }
        }
    }
    for v in &s.venue_months {
        for (figure, n) in [
            ("venue_issued", v.issued),
            ("venue_expired", v.expired),
            ("venue_revoked", v.revoked),
            ("venue_overturned", v.overturned),
        ] {
            row(
                &mut out,
                [figure, &v.month, "", &v.venue_name, &n.to_string()],
            );
        }
    }
    out
}

fn row(out: &mut String, cells: [&str; 5]) {
    let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<i64>().is_err()
    {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn months_run_across_years() {
        assert_eq!(
            month_range("2025-11", "2026-02"),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(month_range("2026-02", "2026-02"), ["2026-02"]);
        assert!(month_range("2026-03", "2026-02").is_empty());
        assert!(month_range("x", "2026-02").is_empty());
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let s = Statistics {
            area_id: 1,
            area_name: "Binnenstad".into(),
            on: time::macros::date!(2026 - 11 - 28),
            active: vec![ActiveCount {
                category_id: 1,
                category_name: "Vechtpartij, licht".into(),
                venue_id: 2,
                venue_name: "=HYPERLINK(\"x\")".into(),
                bans: Count::Exact(3),
            }],
            active_total: 3,
            active_by_category: vec![],
            active_by_venue: vec![],
            months: vec![
                MonthCount {
                    month: "2026-10".into(),
                    bans: 0,
                    by_category: vec![],
                },
                MonthCount {
                    month: "2026-11".into(),
                    bans: 3,
                    by_category: vec![CategoryCount {
                        category_id: 1,
                        category_name: "Café \"De Kroon\"".into(),
                        bans: 3,
                    }],
                },
            ],
            month_rows: vec![MonthRow {
                month: "2026-11".into(),
                issued: 3,
                expired: 1,
                revoked: 0,
                overturned: 2,
                complaints: None,
                requests: Some(4),
            }],
            venue_months: vec![VenueMonth {
                month: "2026-11".into(),
                venue_id: 2,
                venue_name: "Kroon".into(),
                issued: Count::Few,
                expired: Count::Exact(0),
                revoked: Count::Exact(0),
                overturned: Count::Exact(7),
            }],
            small_counts_hidden: true,
        };
        assert_eq!(
            to_csv(&s),
            "figure,month,category,venue,bans\r\n\
             active,2026-11-28,\"Vechtpartij, licht\",\"'=HYPERLINK(\"\"x\"\")\",3\r\n\
             issued,2026-10,,,0\r\n\
             issued,2026-11,\"Café \"\"De Kroon\"\"\",,3\r\n\
             expired,2026-11,,,1\r\n\
             revoked,2026-11,,,0\r\n\
             overturned,2026-11,,,2\r\n\
             requests,2026-11,,,4\r\n\
             venue_issued,2026-11,,Kroon,<5\r\n\
             venue_expired,2026-11,,Kroon,0\r\n\
             venue_revoked,2026-11,,Kroon,0\r\n\
             venue_overturned,2026-11,,Kroon,7\r\n"
        );
    }

    #[test]
    fn small_counts_are_hidden_only_when_asked_and_never_zero() {
        assert_eq!(Count::shown(0, true), Count::Exact(0));
        for n in 1..5 {
            assert_eq!(Count::shown(n, true), Count::Few);
            assert_eq!(Count::shown(n, false), Count::Exact(n));
        }
        assert_eq!(Count::shown(5, true), Count::Exact(5));
        assert_eq!(Count::Few.to_string(), "<5");
        assert_eq!(serde_json::to_string(&Count::Few).unwrap(), "\"<5\"");
        assert_eq!(serde_json::to_string(&Count::Exact(7)).unwrap(), "7");
    }
}
