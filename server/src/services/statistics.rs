//! The one statistics service: anonymous counts of an area's bans, read by
//! the operator and the area's beheerder (the API, the pages, the CSV).
//!
//! Two figures, each with one definition:
//! - active bans on a day per (category, venue): the same condition as the
//!   `/metrics` gauge (`storage::bans::active_counts`);
//! - bans per month of issue: stored bans counted by the month (in the
//!   Netherlands) they were issued, plus the anonymous counts retention
//!   left in `ban_statistics` under that same month. A purge moves a ban
//!   from the first to the second in one transaction, so a month's figure
//!   never drops.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use time::Date;

use super::views::{iso_date, may_read_area_figures};
use super::{App, AppError, AppResult};
use crate::domain::roles::Actor;
use crate::storage::{areas, bans, venues};

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
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ActiveCount {
    pub category_id: i64,
    pub category_name: String,
    pub venue_id: i64,
    pub venue_name: String,
    pub bans: i64,
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
    pub bans: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    pub bans: i64,
    /// Per category, only those with bans that month.
    pub by_category: Vec<CategoryCount>,
}

/// The area's statistics today.
pub async fn area(app: &App, actor: &Actor, area_id: i64) -> AppResult<Statistics> {
    may_read_area_figures(actor, area_id)?;
    let area = areas::area(&app.db, area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
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
            bans: n,
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
            bans: sum_where(&|p| p.1 == v.id),
        })
        .collect();

    // (month, category) -> bans, stored and purged alike.
    let mut per_month: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for (category_id, created_at) in bans::issue_times(&app.db, area_id).await? {
        *per_month
            .entry((bans::issue_month(created_at)?, category_id))
            .or_default() += 1;
    }
    for (category_id, month, n) in bans::statistics(&app.db, area_id).await? {
        *per_month.entry((month, category_id)).or_default() += n;
    }
    let this_month = format!("{:04}-{:02}", today.year(), u8::from(today.month()));
    let seen: BTreeSet<&str> = per_month.keys().map(|(m, _)| m.as_str()).collect();
    let months = match (seen.first(), seen.last()) {
        (Some(first), Some(last)) => month_range(first, (*last).max(this_month.as_str()))
            .into_iter()
            .map(|month| {
                let by_category: Vec<CategoryCount> = per_month
                    .iter()
                    .filter(|((m, _), _)| *m == month)
                    .map(|((_, c), n)| CategoryCount {
                        category_id: *c,
                        category_name: category_name(*c),
                        bans: *n,
                    })
                    .collect();
                MonthCount {
                    bans: by_category.iter().map(|c| c.bans).sum(),
                    month,
                    by_category,
                }
            })
            .collect(),
        _ => Vec::new(),
    };

    Ok(Statistics {
        area_id,
        area_name: area.name,
        on: today,
        active_total: active.iter().map(|a| a.bans).sum(),
        active,
        active_by_category,
        active_by_venue,
        months,
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
/// category and venue on the day in the header) or `issued` (per month and
/// category). Text cells that a spreadsheet would take for a formula are
/// prefixed with `'`.
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
                bans: 3,
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
        };
        assert_eq!(
            to_csv(&s),
            "figure,month,category,venue,bans\r\n\
             active,2026-11-28,\"Vechtpartij, licht\",\"'=HYPERLINK(\"\"x\"\")\",3\r\n\
             issued,2026-10,,,0\r\n\
             issued,2026-11,\"Café \"\"De Kroon\"\"\",,3\r\n"
        );
    }
}
