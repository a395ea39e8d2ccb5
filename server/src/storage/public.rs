//! What the public pages show besides the protocol: an area's contact
//! fields and its municipality's look.

use sqlx::Row;

use super::{Db, Result, WriteTx};

/// An area's contact fields for its public page (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactRow {
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub complaint_committee_address: Option<String>,
    pub complaint_committee_email: Option<String>,
    pub privacy_contact: Option<String>,
}

pub async fn contact(db: &Db, area_id: i64) -> Result<Option<ContactRow>> {
    let row = sqlx::query(
        "SELECT contact_email, contact_phone, complaint_committee_address, complaint_committee_email, privacy_contact \
         FROM areas WHERE id = $1",
    )
    .bind(area_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(ContactRow {
            contact_email: r.try_get("contact_email")?,
            contact_phone: r.try_get("contact_phone")?,
            complaint_committee_address: r.try_get("complaint_committee_address")?,
            complaint_committee_email: r.try_get("complaint_committee_email")?,
            privacy_contact: r.try_get("privacy_contact")?,
        })
    })
    .transpose()
}

pub async fn set_contact(tx: &mut WriteTx, area_id: i64, c: &ContactRow) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE areas SET contact_email = $1, contact_phone = $2, complaint_committee_address = $3, \
         complaint_committee_email = $4, privacy_contact = $5 WHERE id = $6",
    )
    .bind(c.contact_email.as_deref())
    .bind(c.contact_phone.as_deref())
    .bind(c.complaint_committee_address.as_deref())
    .bind(c.complaint_committee_email.as_deref())
    .bind(c.privacy_contact.as_deref())
    .bind(area_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A municipality's name and look.
pub struct LookRow {
    pub id: i64,
    pub name: String,
    pub primary_colour: Option<String>,
    /// The logo's bytes and content type.
    pub logo: Option<(Vec<u8>, String)>,
}

pub async fn municipality_look(db: &Db, municipality_id: i64) -> Result<Option<LookRow>> {
    let row = sqlx::query(
        "SELECT id, name, primary_colour, logo, logo_type FROM municipalities WHERE id = $1",
    )
    .bind(municipality_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        let logo: Option<Vec<u8>> = r.try_get("logo")?;
        let logo_type: Option<String> = r.try_get("logo_type")?;
        Ok(LookRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            primary_colour: r.try_get("primary_colour")?,
            logo: logo.zip(logo_type),
        })
    })
    .transpose()
}

pub async fn set_look(
    tx: &mut WriteTx,
    municipality_id: i64,
    primary_colour: Option<&str>,
    logo: Option<(&[u8], &str)>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE municipalities SET primary_colour = $1, logo = $2, logo_type = $3 WHERE id = $4",
    )
    .bind(primary_colour)
    .bind(logo.map(|(bytes, _)| bytes.to_vec()))
    .bind(logo.map(|(_, t)| t))
    .bind(municipality_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}
