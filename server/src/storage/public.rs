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
    /// The letter's controller details (migration 0071).
    pub controller: ControllerRow,
}

/// Who keeps the list on behalf of the venues, for the notice letter
/// (issue 9 item 1; all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControllerRow {
    pub controller_name: Option<String>,
    pub controller_address: Option<String>,
    pub controller_statement: Option<String>,
    pub public_page_url: Option<String>,
}

/// The controller columns, in the order of [`ControllerRow::values`].
pub const CONTROLLER_COLUMNS: [&str; 4] = [
    "controller_name",
    "controller_address",
    "controller_statement",
    "public_page_url",
];

impl ControllerRow {
    pub fn values(&self) -> [&Option<String>; 4] {
        [
            &self.controller_name,
            &self.controller_address,
            &self.controller_statement,
            &self.public_page_url,
        ]
    }
}

pub async fn contact(db: &Db, area_id: i64) -> Result<Option<ContactRow>> {
    let row = sqlx::query(
        "SELECT contact_email, contact_phone, complaint_committee_address, complaint_committee_email, privacy_contact, \
         controller_name, controller_address, controller_statement, public_page_url FROM areas WHERE id = $1",
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
            controller: ControllerRow {
                controller_name: r.try_get("controller_name")?,
                controller_address: r.try_get("controller_address")?,
                controller_statement: r.try_get("controller_statement")?,
                public_page_url: r.try_get("public_page_url")?,
            },
        })
    })
    .transpose()
}

/// Sets one controller column (a name from [`CONTROLLER_COLUMNS`]; `None`
/// clears it).
pub async fn set_controller_field(
    tx: &mut WriteTx,
    area_id: i64,
    column: &'static str,
    value: Option<&str>,
) -> Result<bool> {
    if !CONTROLLER_COLUMNS.contains(&column) {
        return Err(super::StorageError::Inconsistent("controller column"));
    }
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE areas SET {column} = $1 WHERE id = $2"
    )))
    .bind(value)
    .bind(area_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
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
