//! Venues of an area and their admission under the area's permit.

use sqlx::Row;
use time::Date;

use super::areas::{format_date, parse_date};
use super::{Db, Result, WriteTx};

pub struct VenueRow {
    pub id: i64,
    pub area_id: i64,
    pub name: String,
    pub address: String,
    pub kvk_number: String,
    pub admitted_on: Option<Date>,
    pub withdrawn_on: Option<Date>,
}

pub async fn create(
    tx: &mut WriteTx,
    area_id: i64,
    name: &str,
    address: &str,
    kvk_number: &str,
    admitted_on: Option<Date>,
) -> Result<i64> {
    let now = tx.now();
    let row = sqlx::query("INSERT INTO venues (area_id, name, address, kvk_number, admitted_on, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(area_id)
        .bind(name)
        .bind(address)
        .bind(kvk_number)
        .bind(admitted_on.map(format_date))
        .bind(now)
        .fetch_one(tx.conn())
        .await?;
    Ok(row.try_get("id")?)
}

pub async fn set_admission(
    tx: &mut WriteTx,
    venue_id: i64,
    admitted_on: Option<Date>,
    withdrawn_on: Option<Date>,
) -> Result<bool> {
    let done = sqlx::query("UPDATE venues SET admitted_on = $1, withdrawn_on = $2 WHERE id = $3")
        .bind(admitted_on.map(format_date))
        .bind(withdrawn_on.map(format_date))
        .bind(venue_id)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

fn venue_from(row: &sqlx::any::AnyRow) -> Result<VenueRow> {
    let admitted: Option<String> = row.try_get("admitted_on")?;
    let withdrawn: Option<String> = row.try_get("withdrawn_on")?;
    Ok(VenueRow {
        id: row.try_get("id")?,
        area_id: row.try_get("area_id")?,
        name: row.try_get("name")?,
        address: row.try_get("address")?,
        kvk_number: row.try_get("kvk_number")?,
        admitted_on: admitted.as_deref().map(parse_date).transpose()?,
        withdrawn_on: withdrawn.as_deref().map(parse_date).transpose()?,
    })
}

const COLUMNS: &str = "id, area_id, name, address, kvk_number, admitted_on, withdrawn_on";

pub async fn venue(db: &Db, id: i64) -> Result<Option<VenueRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM venues WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(venue_from).transpose()
}

pub async fn in_area(db: &Db, area_id: i64) -> Result<Vec<VenueRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM venues WHERE area_id = $1 ORDER BY id"
    )))
    .bind(area_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(venue_from).collect()
}

/// A venue's admission and its area's permit, as one write transaction
/// sees them (so a withdrawal committed before cannot be missed).
pub struct Admission {
    pub area_id: i64,
    pub admitted_on: Option<Date>,
    pub withdrawn_on: Option<Date>,
    pub permit: Option<crate::domain::protocol::Permit>,
}

pub async fn admission_in(tx: &mut WriteTx, venue_id: i64) -> Result<Option<Admission>> {
    let row = sqlx::query(
        "SELECT v.area_id, v.admitted_on, v.withdrawn_on, a.permit_reference, a.permit_granted_on, a.permit_expires_on \
         FROM venues v JOIN areas a ON a.id = v.area_id WHERE v.id = $1",
    )
    .bind(venue_id)
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let date = |column: &str| -> Result<Option<Date>> {
        let text: Option<String> = row.try_get(column)?;
        text.as_deref().map(parse_date).transpose()
    };
    let reference: Option<String> = row.try_get("permit_reference")?;
    let permit = match (
        reference,
        date("permit_granted_on")?,
        date("permit_expires_on")?,
    ) {
        (Some(reference), Some(granted_on), Some(expires_on)) => {
            Some(crate::domain::protocol::Permit {
                reference,
                granted_on,
                expires_on,
            })
        }
        _ => None,
    };
    Ok(Some(Admission {
        area_id: row.try_get("area_id")?,
        admitted_on: date("admitted_on")?,
        withdrawn_on: date("withdrawn_on")?,
        permit,
    }))
}
