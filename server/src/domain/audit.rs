//! The audit trail: every write, and every read of personal data, as an
//! event that names who did what to which object, and never what the object
//! holds. Events are chained: each link covers the previous one, so an
//! edited, inserted or deleted event breaks the chain.
//!
//! The links are HMAC-SHA256 under a key kept outside the database (derived
//! from the deployment secret), so someone who can only write the database
//! cannot recompute them after an edit. Events chained before the key
//! existed (up to `keyed_from`) keep their plain SHA-256 links; the first
//! keyed event links to that old head. Signed checkpoints (Ed25519 over
//! sequence number, head and `keyed_from`), kept by an outside party, catch
//! what a chain alone cannot: a cut tail, a reset to empty, and a moved
//! `keyed_from`.

use ring::digest::{Context, SHA256};
use ring::hmac;

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

/// What a committed write means for the doors, read off its audit events:
/// the one place that knows which actions change a list's content (so the
/// area is published at once) or end a device (so its waiting sync ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommitSignal {
    /// The area's list content may have changed: publish it soon.
    ListChanged(i64),
    /// The device was revoked: its open waits end now, and every
    /// instance forgets what it cached of it.
    DeviceRevoked(i64),
    /// The venue's admission changed: every instance forgets what it
    /// cached of the venue's devices (a sync checks the admission).
    VenueAdmission(i64),
}

/// The actions that give a device-access signal (see
/// [`AuditEvent::commit_signal`]): what other instances read back from the
/// chain to learn what their caches must forget.
pub const DEVICE_ACCESS_ACTIONS: &[&str] = &["device.revoke", "venue.admission"];

impl CommitSignal {
    /// The signal of a device-access action, from the action and object id
    /// as chained (so a commit here and the chain read elsewhere agree).
    pub fn of_device_access(action: &str, object_id: &str) -> Option<Self> {
        let id = object_id.parse().ok()?;
        match action {
            "device.revoke" => Some(Self::DeviceRevoked(id)),
            "venue.admission" => Some(Self::VenueAdmission(id)),
            _ => None,
        }
    }

    /// The message to other instances for a device-access signal
    /// (PostgreSQL `NOTIFY` payload); none for a list change, which the
    /// publication announces itself.
    pub fn device_access_payload(&self) -> Option<String> {
        match self {
            Self::DeviceRevoked(id) => Some(format!("device.revoke:{id}")),
            Self::VenueAdmission(id) => Some(format!("venue.admission:{id}")),
            Self::ListChanged(_) => None,
        }
    }

    /// The signal of a payload made by [`CommitSignal::device_access_payload`].
    pub fn from_device_access_payload(payload: &str) -> Option<Self> {
        let (action, id) = payload.split_once(':')?;
        Self::of_device_access(action, id)
    }
}

/// Actions after which an area's active set, key epoch, permit or list
/// settings may differ. Publication compares digests, so naming one too
/// many costs a read, never a needless version.
const LIST_CHANGING_ACTIONS: &[&str] = &[
    "ban.issue",
    "ban.issue_on_behalf",
    "ban.revoke",
    "ban.approve",
    "ban.reject",
    "ban.overturn",
    "ban.erase",
    "ban.rectify",
    "ban.purge",
    "area.permit",
    "area.protocol",
    "area.key_rotate",
];

impl AuditEvent {
    /// The signal this event gives once its transaction commits, if any.
    pub fn commit_signal(&self) -> Option<CommitSignal> {
        if let Some(signal) = CommitSignal::of_device_access(self.action, &self.object_id) {
            return Some(signal);
        }
        if LIST_CHANGING_ACTIONS.contains(&self.action) {
            return self.area_id.map(CommitSignal::ListChanged);
        }
        None
    }
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

/// The link of an event chained before the key existed: plain SHA-256
/// over the previous hash and every field, each length-prefixed so no two
/// events serialise alike. Anyone can recompute it, which is why new
/// events are keyed.
pub fn legacy_event_hash(prev: &[u8], seq: i64, at: i64, e: &EventFields<'_>) -> [u8; HASH_LEN] {
    let mut ctx = Context::new(&SHA256);
    ctx.update(b"CHO-AUDIT/1");
    feed(|b| ctx.update(b), prev, seq, at, e);
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The link of a keyed event: HMAC-SHA256 under the audit chain key over
/// the same serialisation as [`legacy_event_hash`], under its own label.
pub fn event_mac(
    key: &hmac::Key,
    prev: &[u8],
    seq: i64,
    at: i64,
    e: &EventFields<'_>,
) -> [u8; HASH_LEN] {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(b"CHO-AUDIT/2");
    feed(|b| ctx.update(b), prev, seq, at, e);
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

fn feed(mut update: impl FnMut(&[u8]), prev: &[u8], seq: i64, at: i64, e: &EventFields<'_>) {
    update(prev);
    update(&seq.to_le_bytes());
    update(&at.to_le_bytes());
    for field in [e.actor, e.action, e.object_type, e.object_id] {
        update(&(field.len() as u64).to_le_bytes());
        update(field.as_bytes());
    }
    match e.area_id {
        Some(id) => {
            update(&[1]);
            update(&id.to_le_bytes());
        }
        None => update(&[0]),
    }
}

/// The head row: the last event and where the keyed segment starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: Vec<u8>,
    /// Events with `seq <= keyed_from` are legacy (SHA-256) links.
    pub keyed_from: i64,
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
    #[error(
        "the keyed segment starts after event {stored}, which is not a stored event: the head row was edited"
    )]
    KeyedFrom { stored: i64 },
    #[error(
        "the chain ends at event {last} but a signed checkpoint vouches for event {checkpoint}: \
         events at the end were deleted, or the chain was reset"
    )]
    Truncated { last: i64, checkpoint: i64 },
    #[error("event {seq} differs from the signed checkpoint of it: the chain was rewritten")]
    CheckpointMismatch { seq: i64 },
    #[error(
        "the keyed segment starts after event {stored}, but a signed checkpoint says after {signed}: \
         the chain was rewritten without its key"
    )]
    Boundary { stored: i64, signed: i64 },
    #[error("checkpoint of event {seq}: bad signature (forged, damaged, or another deployment's)")]
    Signature { seq: i64 },
}

/// Checks a chain from the first event, and that it ends where the head
/// says: legacy links up to `head.keyed_from`, keyed links after it.
/// Events must come in `seq` order.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = &'a ChainedEvent>,
    head: &ChainHead,
    key: &hmac::Key,
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
        let hash = if e.seq <= head.keyed_from {
            legacy_event_hash(&prev, e.seq, e.at, &e.fields())
        } else {
            event_mac(key, &prev, e.seq, e.at, &e.fields())
        };
        if e.hash != hash {
            return Err(ChainBreak::Edited { seq: e.seq });
        }
        prev = hash.to_vec();
        expected += 1;
    }
    let last = expected - 1;
    if last != head.seq || prev != head.hash {
        return Err(ChainBreak::Head {
            last,
            head: head.seq,
        });
    }
    if !(0..=last).contains(&head.keyed_from) {
        return Err(ChainBreak::KeyedFrom {
            stored: head.keyed_from,
        });
    }
    Ok(last)
}

/// A signed statement "the chain had `seq` events ending in `head`, keyed
/// after `keyed_from`", one line of the checkpoint file. It names no
/// person and no object, so it may be handed to anyone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub at: i64,
    pub keyed_from: i64,
    pub head: [u8; HASH_LEN],
    pub signature: [u8; 64],
}

const CHECKPOINT_TAG: &str = "cho-audit-checkpoint/1";

impl Checkpoint {
    /// The bytes the signature covers.
    pub fn message(seq: i64, at: i64, keyed_from: i64, head: &[u8; HASH_LEN]) -> Vec<u8> {
        let mut m = Vec::with_capacity(CHECKPOINT_TAG.len() + 24 + HASH_LEN);
        m.extend_from_slice(CHECKPOINT_TAG.as_bytes());
        m.extend_from_slice(&seq.to_le_bytes());
        m.extend_from_slice(&at.to_le_bytes());
        m.extend_from_slice(&keyed_from.to_le_bytes());
        m.extend_from_slice(head);
        m
    }

    /// Signs the head with `sign` (the checkpoint key).
    pub fn sign(head: &ChainHead, at: i64, sign: impl Fn(&[u8]) -> [u8; 64]) -> Option<Self> {
        let hash: [u8; HASH_LEN] = head.hash.as_slice().try_into().ok()?;
        let signature = sign(&Self::message(head.seq, at, head.keyed_from, &hash));
        Some(Self {
            seq: head.seq,
            at,
            keyed_from: head.keyed_from,
            head: hash,
            signature,
        })
    }

    pub fn verify_signature(&self, public_key: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public_key)
            .verify(
                &Self::message(self.seq, self.at, self.keyed_from, &self.head),
                &self.signature,
            )
            .is_ok()
    }

    /// `cho-audit-checkpoint/1 seq=N at=T keyed-from=K head=HEX sig=HEX`
    pub fn to_line(&self) -> String {
        format!(
            "{CHECKPOINT_TAG} seq={} at={} keyed-from={} head={} sig={}",
            self.seq,
            self.at,
            self.keyed_from,
            hex(&self.head),
            hex(&self.signature)
        )
    }

    pub fn parse_line(line: &str) -> Option<Self> {
        let mut parts = line.split_whitespace();
        if parts.next()? != CHECKPOINT_TAG {
            return None;
        }
        let mut field = |name: &str| -> Option<&str> { parts.next()?.strip_prefix(name) };
        let seq = field("seq=")?.parse().ok()?;
        let at = field("at=")?.parse().ok()?;
        let keyed_from = field("keyed-from=")?.parse().ok()?;
        let head = unhex(field("head=")?)?.try_into().ok()?;
        let signature = unhex(field("sig=")?)?.try_into().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            seq,
            at,
            keyed_from,
            head,
            signature,
        })
    }
}

/// Reads a checkpoint file: one checkpoint per line; blank lines and `#`
/// comments are skipped. Errs with the (1-based) number of a bad line.
pub fn parse_checkpoints(text: &str) -> Result<Vec<Checkpoint>, usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| Checkpoint::parse_line(l).ok_or(i + 1))
        .collect()
}

/// Checks checkpoints against a chain that [`verify_chain`] accepted:
/// each is signed by `public_key`, names the stored `keyed_from`, lies
/// within the chain, and matches the event it names. Answers how many.
pub fn verify_checkpoints(
    events: &[ChainedEvent],
    head: &ChainHead,
    checkpoints: &[Checkpoint],
    public_key: &[u8],
) -> Result<usize, ChainBreak> {
    for c in checkpoints {
        if !c.verify_signature(public_key) {
            return Err(ChainBreak::Signature { seq: c.seq });
        }
    }
    // The longest checkpoint first: a cut tail or a reset shows as such,
    // not as the mismatch of some earlier checkpoint.
    if let Some(c) = checkpoints.iter().max_by_key(|c| c.seq)
        && c.seq > head.seq
    {
        return Err(ChainBreak::Truncated {
            last: head.seq,
            checkpoint: c.seq,
        });
    }
    for c in checkpoints {
        if c.keyed_from != head.keyed_from {
            return Err(ChainBreak::Boundary {
                stored: head.keyed_from,
                signed: c.keyed_from,
            });
        }
        let hash = match usize::try_from(c.seq) {
            Ok(0) => GENESIS.as_slice(),
            Ok(n) => match events.get(n - 1) {
                Some(e) if e.seq == c.seq => e.hash.as_slice(),
                _ => return Err(ChainBreak::CheckpointMismatch { seq: c.seq }),
            },
            Err(_) => return Err(ChainBreak::CheckpointMismatch { seq: c.seq }),
        };
        if hash != c.head {
            return Err(ChainBreak::CheckpointMismatch { seq: c.seq });
        }
    }
    Ok(checkpoints.len())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn event(seq: i64) -> AuditEvent {
        AuditEvent {
            actor: "system".to_owned(),
            action: "ban.purge",
            object_type: "ban",
            object_id: seq.to_string(),
            area_id: Some(1),
        }
    }

    /// A chain of `n` events, legacy up to `keyed_from`.
    fn chain(key: &hmac::Key, n: i64, keyed_from: i64) -> (Vec<ChainedEvent>, ChainHead) {
        let mut prev = GENESIS.to_vec();
        let mut events = Vec::new();
        for seq in 1..=n {
            let e = event(seq);
            let hash = if seq <= keyed_from {
                legacy_event_hash(&prev, seq, 100 + seq, &e.fields())
            } else {
                event_mac(key, &prev, seq, 100 + seq, &e.fields())
            };
            events.push(ChainedEvent {
                seq,
                at: 100 + seq,
                actor: e.actor,
                action: e.action.to_owned(),
                object_type: e.object_type.to_owned(),
                object_id: e.object_id,
                area_id: e.area_id,
                prev_hash: prev.clone(),
                hash: hash.to_vec(),
            });
            prev = hash.to_vec();
        }
        let head = ChainHead {
            seq: n,
            hash: prev,
            keyed_from,
        };
        (events, head)
    }

    #[test]
    fn keyed_links_need_the_key() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[1; 32]);
        let other = hmac::Key::new(hmac::HMAC_SHA256, &[2; 32]);
        let (events, head) = chain(&key, 5, 2);
        assert_eq!(verify_chain(&events, &head, &key), Ok(5));
        assert_eq!(
            verify_chain(&events, &head, &other),
            Err(ChainBreak::Edited { seq: 3 })
        );
        // An all-legacy chain is refused unless the head row says so.
        let (legacy, mut legacy_head) = chain(&key, 5, 5);
        legacy_head.keyed_from = 0;
        assert_eq!(
            verify_chain(&legacy, &legacy_head, &key),
            Err(ChainBreak::Edited { seq: 1 })
        );
        let (keyed, mut bad) = chain(&key, 3, 0);
        bad.keyed_from = -1;
        assert_eq!(
            verify_chain(&keyed, &bad, &key),
            Err(ChainBreak::KeyedFrom { stored: -1 })
        );
    }

    #[test]
    fn checkpoints_round_trip_and_catch_cuts() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let public = ring::signature::KeyPair::public_key(&pair)
            .as_ref()
            .to_vec();
        let sign = |m: &[u8]| -> [u8; 64] { pair.sign(m).as_ref().try_into().unwrap() };
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[1; 32]);
        let (events, head) = chain(&key, 6, 0);
        let (_, head4) = chain(&key, 4, 0);
        let c6 = Checkpoint::sign(&head, 7, sign).unwrap();
        let c4 = Checkpoint::sign(&head4, 5, sign).unwrap();
        let text = format!(
            "# kept by the municipality\n{}\n\n{}\n",
            c4.to_line(),
            c6.to_line()
        );
        let parsed = parse_checkpoints(&text).unwrap();
        assert_eq!(parsed, vec![c4.clone(), c6.clone()]);
        assert_eq!(parse_checkpoints("cho-audit-checkpoint/1 seq=1"), Err(1));
        assert_eq!(verify_checkpoints(&events, &head, &parsed, &public), Ok(2));
        // The tail cut to 4 events.
        assert_eq!(
            verify_checkpoints(&events[..4], &head4, &parsed, &public),
            Err(ChainBreak::Truncated {
                last: 4,
                checkpoint: 6
            })
        );
        // A forged checkpoint.
        let mut forged = c6.clone();
        forged.seq = 3;
        assert_eq!(
            verify_checkpoints(&events, &head, &[forged], &public),
            Err(ChainBreak::Signature { seq: 3 })
        );
        // The boundary moved.
        let mut moved = head.clone();
        moved.keyed_from = 2;
        assert_eq!(
            verify_checkpoints(&events, &moved, &[c4], &public),
            Err(ChainBreak::Boundary {
                stored: 2,
                signed: 0
            })
        );
        // Another chain of the same length.
        let other = hmac::Key::new(hmac::HMAC_SHA256, &[3; 32]);
        let (events2, head2) = chain(&other, 6, 0);
        assert_eq!(
            verify_checkpoints(&events2, &head2, &[c6], &public),
            Err(ChainBreak::CheckpointMismatch { seq: 6 })
        );
    }
}
