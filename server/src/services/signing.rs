//! Rotating the deployment's list-signing key (`cho-server
//! rotate-signing-key`). Devices pin the key at enrolment, so the new key
//! is announced in a list signed by the old one: every area gets a version
//! whose header names the next key, devices that apply it follow, and the
//! server keeps that version to hand to any device that still trusts the
//! old key (see `devices::sync`). Then the new key takes the old one's
//! place in the data directory and the old key file is destroyed.

use cho_core::list_format::PUBLIC_KEY_LEN;

use super::lists::{self, PublishOptions};
use super::{App, AppResult};
use crate::storage::{self, areas};

/// Per area: the version that announces the next key.
pub struct Announced {
    pub area_id: i64,
    pub version: i64,
}

/// Publishes, for every area, a version signed by this instance's key that
/// announces `next_public_key`. Areas that already have one (a rotation run
/// again after a crash) keep it.
pub async fn announce(
    app: &App,
    next_public_key: [u8; PUBLIC_KEY_LEN],
) -> AppResult<Vec<Announced>> {
    let current = lists::signer(app)?.public_key();
    let mut out = Vec::new();
    for area in areas::areas(&app.db).await? {
        if let Some(a) = storage::lists::announcement_by_old_key(&app.db, area.id, &current).await?
        {
            out.push(Announced {
                area_id: area.id,
                version: a.version,
            });
            continue;
        }
        let published = lists::publish_with(
            app,
            area.id,
            PublishOptions {
                announce: Some(next_public_key),
                ..PublishOptions::default()
            },
        )
        .await?;
        out.push(Announced {
            area_id: area.id,
            version: published.version,
        });
    }
    Ok(out)
}
