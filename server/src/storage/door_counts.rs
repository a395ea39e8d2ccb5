//! Anonymous door counts: per device, hour and verdict (see
//! `domain::door_counts`). Outside the audit chain, like a sync's
//! `last_sync_at`: counts are no personal data and far too frequent to
//! chain, and a report must not queue behind the audited writers.

use sqlx::Row;

use super::{Db, Result};
use crate::domain::door_counts::{CountedVerdict, HourCount};

/// Sets a device's counts (a resend sets the same numbers again), in one
/// statement, so a report is stored whole or not at all.
pub async fn set(db: &Db, device_id: i64, counts: &[HourCount]) -> Result<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..counts.len())
        .map(|i| {
            let p = i * 4;
            format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4)
        })
        .collect();
    // Only placeholders are formatted in; every value is bound.
    let sql = format!(
        "INSERT INTO door_counts (device_id, hour, verdict, checks) VALUES {} \
         ON CONFLICT (device_id, hour, verdict) DO UPDATE SET checks = excluded.checks",
        values.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for c in counts {
        query = query
            .bind(device_id)
            .bind(c.hour)
            .bind(c.verdict.as_str())
            .bind(c.checks);
    }
    let _turn = db.writer_turn().await;
    query.execute(db.pool()).await?;
    Ok(())
}

/// Per device of the area and verdict: the checks counted in hours from
/// `since` on.
pub async fn since_per_device(
    db: &Db,
    area_id: i64,
    since: i64,
) -> Result<Vec<(i64, CountedVerdict, i64)>> {
    let rows = sqlx::query(
        "SELECT c.device_id, c.verdict, CAST(SUM(c.checks) AS BIGINT) AS checks \
         FROM door_counts c JOIN devices d ON d.id = c.device_id \
         WHERE d.area_id = $1 AND c.hour >= $2 GROUP BY c.device_id, c.verdict",
    )
    .bind(area_id)
    .bind(since)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let verdict: String = row.try_get("verdict")?;
        // Only checked verdicts are ever stored; anything else is skipped.
        if let Some(verdict) = CountedVerdict::parse(&verdict) {
            out.push((row.try_get("device_id")?, verdict, row.try_get("checks")?));
        }
    }
    Ok(out)
}

/// Deletes the counts of hours before `cutoff`; returns how many rows.
pub async fn delete_before(db: &Db, cutoff: i64) -> Result<u64> {
    let _turn = db.writer_turn().await;
    let done = sqlx::query("DELETE FROM door_counts WHERE hour < $1")
        .bind(cutoff)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
