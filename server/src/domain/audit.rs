//! The audit trail: every write, and every read of personal data, as an
//! event that names who did what to which object, and never what the object
//! holds. Events are hash-chained: each hash covers the previous one, so an
//! edited, inserted or deleted event breaks the chain.

use ring::digest::{Context, SHA256};

pub const HASH_LEN: usize = 32;
pub const GENESIS: [u8; HASH_LEN] = [0; HASH_LEN];

/// An event before it is chained. Fields are identifiers and verbs only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// `account:<id>`, `device:<id>` or `system`.
    pub actor: String,
    /// A verb such as `ban.issue`, `ban.read`, `login.failed`.
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: String,
    pub area_id: Option<i64>,
}

/// A chained event as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedEvent {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub area_id: Option<i64>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// The fields an event's hash covers, borrowed from either form.
pub struct EventFields<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub area_id: Option<i64>,
}

impl AuditEvent {
    pub fn fields(&self) -> EventFields<'_> {
        EventFields {
            actor: &self.actor,
            action: self.action,
            object_type: self.object_type,
            object_id: &self.object_id,
            area_id: self.area_id,
        }
    }
}

impl ChainedEvent {
    pub fn fields(&self) -> EventFields<'_> {
        EventFields {
            actor: &self.actor,
            action: &self.action,
            object_type: &self.object_type,
            object_id: &self.object_id,
            area_id: self.area_id,
        }
    }
}

/// The hash of an event: SHA-256 over the previous hash and every field,
/// each length-prefixed so no two events serialise alike.
pub fn event_hash(prev: &[u8], seq: i64, at: i64, e: &EventFields<'_>) -> [u8; HASH_LEN] {
    let mut ctx = Context::new(&SHA256);
    ctx.update(b"CHO-AUDIT/1");
    ctx.update(prev);
    ctx.update(&seq.to_le_bytes());
    ctx.update(&at.to_le_bytes());
    for field in [e.actor, e.action, e.object_type, e.object_id] {
        ctx.update(&(field.len() as u64).to_le_bytes());
        ctx.update(field.as_bytes());
    }
    match e.area_id {
        Some(id) => {
            ctx.update(&[1]);
            ctx.update(&id.to_le_bytes());
        }
        None => ctx.update(&[0]),
    }
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// What `audit verify` found wrong, at which event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {seq}: sequence gap (expected {expected}): an event was deleted or inserted")]
    Gap { seq: i64, expected: i64 },
    #[error(
        "event {seq}: previous-hash link broken: an event before it was deleted, inserted or edited"
    )]
    Link { seq: i64 },
    #[error("event {seq}: hash does not match its contents: the event was edited")]
    Edited { seq: i64 },
    #[error(
        "chain ends at event {last} but the head says {head}: events at the end were deleted or added"
    )]
    Head { last: i64, head: i64 },
}

/// Checks a chain from the first event, and that it ends where the head
/// says. Events must come in `seq` order.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = &'a ChainedEvent>,
    head_seq: i64,
    head_hash: &[u8],
) -> Result<i64, ChainBreak> {
    let mut prev = GENESIS.to_vec();
    let mut expected = 1;
    for e in events {
        if e.seq != expected {
            return Err(ChainBreak::Gap {
                seq: e.seq,
                expected,
            });
        }
        if e.prev_hash != prev {
            return Err(ChainBreak::Link { seq: e.seq });
        }
        let hash = event_hash(&prev, e.seq, e.at, &e.fields());
        if e.hash != hash {
            return Err(ChainBreak::Edited { seq: e.seq });
        }
        prev = hash.to_vec();
        expected += 1;
    }
    let last = expected - 1;
    if last != head_seq || prev != head_hash {
        return Err(ChainBreak::Head {
            last,
            head: head_seq,
        });
    }
    Ok(last)
}
