//! Rotating an area's identity key: a new epoch, every retained ban of the
//! area re-hashed from its sealed personal data, the old epoch's tokens and
//! key deleted, and a snapshot under the new epoch published. Devices fetch
//! the new key on their next sync (`GET /api/v1/device/key`) and keep
//! checking with the old one until the new list is in force.

use cho_core::identity::IdentityKey;
use ring::rand::SystemRandom;

use super::admin::identity_key_aad;
use super::bans::{check_tokens, identity_key, open_personal_data, stored_tokens};
use super::lists::{self, Published};
use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::storage::{areas, bans};

pub struct Rotation {
    pub epoch: i64,
    pub bans_rehashed: usize,
    pub published: Published,
}

pub async fn rotate(app: &App, area_id: i64) -> AppResult<Rotation> {
    if areas::current_identity_key(app.db.pool(), area_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound("area"));
    }
    let (old_epoch, old_key) = identity_key(app, area_id).await?;
    let epoch = old_epoch + 1;
    let key =
        IdentityKey::generate(&SystemRandom::new()).map_err(|_| AppError::Internal("random"))?;
    let sealed = app
        .master_key()
        .seal(&identity_key_aad(area_id, epoch), key.as_bytes())?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    areas::add_identity_key(&mut tx, area_id, epoch, &sealed).await?;
    let rows = bans::in_area_for_rehash(&mut tx, area_id).await?;
    for row in &rows {
        // A blob sealed for another ban does not open; one moved with its
        // record id does not match this ban's tokens: either way the whole
        // rotation is refused rather than re-hashing from the wrong person.
        let person = open_personal_data(app, row)?;
        check_tokens(&mut tx, row, &person, &old_key, old_epoch).await?;
        let identity = super::bans::stored_identity(&person, row)?;
        let tokens = stored_tokens(&identity, &key, epoch);
        bans::add_tokens(&mut tx, row.id, area_id, &tokens).await?;
    }
    bans::delete_tokens_before(&mut tx, area_id, epoch).await?;
    areas::delete_identity_keys_before(&mut tx, area_id, epoch).await?;
    tx.audit(AuditEvent {
        actor: "system".to_owned(),
        action: "area.key_rotate",
        object_type: "area",
        object_id: area_id.to_string(),
        area_id: Some(area_id),
    })
    .await?;
    tx.commit().await?;
    let published = lists::publish(app, area_id).await?;
    Ok(Rotation {
        epoch,
        bans_rehashed: rows.len(),
        published,
    })
}
