//! The data inventory (issue 9, item 9): every column of every table, in
//! ONE declaration. A column that can hold personal data or a token says
//! what it is for, on what legal basis, how long it is kept, how it is
//! protected at rest, and which roles can read it; any other column says in
//! one line why it is not personal. `cho-server privacy inventory` prints it
//! for the DPIA (Markdown) or for tools (JSON); a test fails when a
//! migration adds a column this declaration does not cover.
//!
//! To declare a new column: add one `personal(..)` or `other(..)` line to
//! [`COLUMNS`], in its table's block.

use serde::Serialize;

/// How a column is protected at rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    /// Encrypted (AES-256-GCM) under the master key, bound to its row.
    Sealed,
    /// A keyed or password hash; the value itself is not stored.
    Hashed,
    /// Stored as it is (access control only).
    Plain,
}

impl Protection {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sealed => "sealed",
            Self::Hashed => "hashed",
            Self::Plain => "plain",
        }
    }
}

/// The declaration of one column.
#[derive(Clone, Debug, Serialize)]
pub struct Column {
    pub table: &'static str,
    pub column: &'static str,
    /// Personal data, or a token/credential that identifies a person.
    pub personal: bool,
    /// What it is for; for a column that is not personal, why not.
    pub purpose: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protection: Option<Protection>,
    /// Who can read it (roles, devices, the public).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub readers: &'static [&'static str],
}

const fn personal(
    table: &'static str,
    column: &'static str,
    purpose: &'static str,
    legal_basis: &'static str,
    retention: &'static str,
    protection: Protection,
    readers: &'static [&'static str],
) -> Column {
    Column {
        table,
        column,
        personal: true,
        purpose,
        legal_basis: Some(legal_basis),
        retention: Some(retention),
        protection: Some(protection),
        readers,
    }
}

const fn other(
    table: &'static str,
    column: &'static str,
    why_not_personal: &'static str,
) -> Column {
    Column {
        table,
        column,
        personal: false,
        purpose: why_not_personal,
        legal_basis: None,
        retention: None,
        protection: None,
        readers: &[],
    }
}

// Legal bases.
const CHO: &str = "GDPR art. 6(1)(f), legitimate interest of the participating venues (safety in the area's nightlife); data on offences under the area's AP permit (UAVG art. 33)";
const STAFF: &str = "GDPR art. 6(1)(f), legitimate interest: access control and accountability of the people who run the system (art. 5(2), 32)";
const ACCOUNTABILITY: &str =
    "GDPR art. 5(2) and 32: accountability and security of processing (audit trail)";
const INFORM: &str = "GDPR art. 13/14 and 12: the information the banned person must be given (published contact details)";

// Retention rules.
const BAN_RETENTION: &str = "Until the area's retention period (protocol `retention_days`, 0 to 183 days) has passed after the ban ended (last day, revocation or overturn); then purged by the retention job, leaving only anonymous counts (`ban_counts`)";
const LIST_RETENTION: &str = "A version is deleted once it is older than the area's maximum list age (the latest is kept); versions and key announcements that may hold a purged ban's tokens are deleted at that purge";
const LEGACY_TEXT: &str = "Sealed into its sealed column and emptied at the first start after the upgrade; always empty afterwards";
const ACCOUNT_RETENTION: &str =
    "While the account exists (a disabled account is kept for the audit trail)";
const SESSION_RETENTION: &str =
    "Until the session expires or ends; expired sessions are removed by the retention job";
const AUDIT_RETENTION: &str =
    "Kept with the hash-chained audit trail (holds account and object ids only, never names)";
const DEVICE_RETENTION: &str = "While the device is enrolled; a revoked device keeps only the hash, which no longer authenticates";
const CODE_RETENTION: &str =
    "Until used or expired (unused codes are deleted on upgrade; used ones keep only the hash)";
const AREA_RETENTION: &str = "While the area exists; changed by its beheerder";

// Readers.
const BAN_READERS: &[&str] = &["beheerder of the area", "owner of the issuing venue"];
const TOKEN_READERS: &[&str] = &[
    "no role (server only)",
    "door phones of the area, inside the signed list (as keyed tokens)",
];
const LIST_READERS: &[&str] = &["door phones of the area (signed list of keyed tokens)"];
const ACCOUNT_READERS: &[&str] = &[
    "the account itself",
    "operator (beheerders, operators, municipality accounts)",
    "beheerder (owner accounts of the area)",
];
const AUDIT_READERS: &[&str] = &[
    "beheerder (events of the area)",
    "operator (`cho-server audit`)",
];
const SERVER_ONLY: &[&str] = &["no role (server only)"];
const PUBLIC: &[&str] = &["everyone (the area's public page and door sign)"];

/// Every column of every table of a fully migrated database.
pub const COLUMNS: &[Column] = &[
    // ------------------------------------------------------------ bans
    other("bans", "id", "Row key (a number without meaning)"),
    other("bans", "area_id", "The area the ban holds in"),
    personal(
        "bans",
        "venue_id",
        "The venue that issued the ban (named in the letter and to the beheerder)",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "category_id",
        "The protocol category of the offence (decides the duration)",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "issued_by",
        "The account that issued the ban (accountability)",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "starts_on",
        "First day of the ban",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "ends_on",
        "Last day of the ban (also on the door list)",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "status",
        "Requested, active, rejected, revoked or overturned",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "status_changed_at",
        "When it was revoked, overturned, approved or rejected",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "status_reason",
        "Plain reason of an earlier version, waiting to be sealed at start",
        CHO,
        LEGACY_TEXT,
        Protection::Plain,
        SERVER_ONLY,
    ),
    personal(
        "bans",
        "status_reason_sealed",
        "Why it was revoked, rejected or overturned (may name people)",
        CHO,
        BAN_RETENTION,
        Protection::Sealed,
        BAN_READERS,
    ),
    personal(
        "bans",
        "incident_at",
        "Date and time of the incident",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "heard",
        "Whether the person was heard before the ban",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "notice_on",
        "The day the person was told of the ban",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "notice_method",
        "How they were told (handed over, refused, post, e-mail, other)",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "notice_note",
        "A note on the notice (may name people)",
        CHO,
        BAN_RETENTION,
        Protection::Sealed,
        BAN_READERS,
    ),
    personal(
        "bans",
        "notice_recorded_by",
        "The account that recorded the notice",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "notice_recorded_at",
        "When the notice was recorded",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "legacy_notice_text",
        "Free-text notification of the first version, waiting to be sealed (migration 0070)",
        CHO,
        LEGACY_TEXT,
        Protection::Plain,
        SERVER_ONLY,
    ),
    personal(
        "bans",
        "name_truncated",
        "Whether the document's machine-readable name was cut off",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "personal_data",
        "Surname, given names, birth date, incident description, hearing statement or why not heard",
        CHO,
        BAN_RETENTION,
        Protection::Sealed,
        BAN_READERS,
    ),
    personal(
        "bans",
        "created_at",
        "When the ban was issued",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    other(
        "bans",
        "record_id",
        "Random value binding the sealed fields to their row; says nothing about the person",
    ),
    // ------------------------------------------------------ ban_tokens
    other("ban_tokens", "ban_id", "The ban a token belongs to"),
    other(
        "ban_tokens",
        "area_id",
        "The area (tokens are keyed per area)",
    ),
    other(
        "ban_tokens",
        "key_epoch",
        "Which identity key the token was made with",
    ),
    personal(
        "ban_tokens",
        "token",
        "Keyed hash of the identity (name and birth date) that the door compares; no name can be read from it",
        CHO,
        BAN_RETENTION,
        Protection::Hashed,
        TOKEN_READERS,
    ),
    other(
        "ban_tokens",
        "strength",
        "How strong a match the token gives (document or typed)",
    ),
    // ------------------------------------------------------ ban_counts
    other(
        "ban_counts",
        "area_id",
        "Anonymous counts left by purged bans: area",
    ),
    other("ban_counts", "month", "Anonymous counts: month"),
    other(
        "ban_counts",
        "figure",
        "Anonymous counts: issued, expired, revoked or overturned",
    ),
    other("ban_counts", "category_id", "Anonymous counts: category"),
    other(
        "ban_counts",
        "venue_id",
        "Anonymous counts: venue (0: not kept)",
    ),
    other("ban_counts", "bans", "Anonymous counts: the number"),
    // --------------------------------------------------- list_versions
    other("list_versions", "area_id", "The area of the list"),
    other("list_versions", "version", "Version number"),
    other(
        "list_versions",
        "key_epoch",
        "Identity key epoch of the list",
    ),
    other("list_versions", "issued_at", "When the list was signed"),
    other("list_versions", "entries", "How many tokens the list holds"),
    other(
        "list_versions",
        "digest",
        "Digest of the token set, to tell whether it changed",
    ),
    personal(
        "list_versions",
        "snapshot",
        "The signed door list: keyed tokens with each ban's last day",
        CHO,
        LIST_RETENTION,
        Protection::Hashed,
        LIST_READERS,
    ),
    other("list_versions", "format", "List file format"),
    // ------------------------------------------ signing_key_announcements
    other("signing_key_announcements", "area_id", "The area"),
    other(
        "signing_key_announcements",
        "old_public_key",
        "The retired list-signing public key",
    ),
    other(
        "signing_key_announcements",
        "new_public_key",
        "Its successor's public key",
    ),
    other(
        "signing_key_announcements",
        "version",
        "The list version that announced it",
    ),
    other(
        "signing_key_announcements",
        "key_epoch",
        "Identity key epoch of that list",
    ),
    personal(
        "signing_key_announcements",
        "snapshot",
        "The signed list announcing the new key: keyed tokens with each ban's last day",
        CHO,
        LIST_RETENTION,
        Protection::Hashed,
        LIST_READERS,
    ),
    other(
        "signing_key_announcements",
        "created_at",
        "When the key was rotated",
    ),
    // -------------------------------------------------------- accounts
    other("accounts", "id", "Row key"),
    personal(
        "accounts",
        "username",
        "Login name of a person who runs or uses the system (may be their name)",
        STAFF,
        ACCOUNT_RETENTION,
        Protection::Plain,
        ACCOUNT_READERS,
    ),
    personal(
        "accounts",
        "password_hash",
        "Argon2id hash of the password",
        STAFF,
        ACCOUNT_RETENTION,
        Protection::Hashed,
        SERVER_ONLY,
    ),
    other("accounts", "role", "What the account may do"),
    other("accounts", "area_id", "The area of a beheerder or owner"),
    other(
        "accounts",
        "municipality_id",
        "The municipality of a municipality account",
    ),
    personal(
        "accounts",
        "disabled",
        "Whether the person's account was disabled",
        STAFF,
        ACCOUNT_RETENTION,
        Protection::Plain,
        ACCOUNT_READERS,
    ),
    personal(
        "accounts",
        "created_at",
        "When the account was made",
        STAFF,
        ACCOUNT_RETENTION,
        Protection::Plain,
        ACCOUNT_READERS,
    ),
    personal(
        "accounts",
        "must_change_password",
        "Whether a reset password waits to be changed",
        STAFF,
        ACCOUNT_RETENTION,
        Protection::Plain,
        ACCOUNT_READERS,
    ),
    personal(
        "accounts",
        "last_login_at",
        "When the person last logged in",
        STAFF,
        ACCOUNT_RETENTION,
        Protection::Plain,
        ACCOUNT_READERS,
    ),
    other(
        "account_venues",
        "account_id",
        "Which venues an owner account manages: the account",
    ),
    other(
        "account_venues",
        "venue_id",
        "Which venues an owner account manages: the venue",
    ),
    // -------------------------------------------------------- sessions
    personal(
        "sessions",
        "token_hash",
        "Hash of a login session's bearer token or cookie",
        STAFF,
        SESSION_RETENTION,
        Protection::Hashed,
        SERVER_ONLY,
    ),
    other("sessions", "account_id", "The account of the session"),
    other(
        "sessions",
        "expires_at",
        "When the session ends at the latest",
    ),
    personal(
        "sessions",
        "created_at",
        "When the person logged in",
        STAFF,
        SESSION_RETENTION,
        Protection::Plain,
        SERVER_ONLY,
    ),
    personal(
        "sessions",
        "last_seen_at",
        "When the person was last active",
        STAFF,
        SESSION_RETENTION,
        Protection::Plain,
        SERVER_ONLY,
    ),
    other(
        "sessions",
        "idle_seconds",
        "Idle timeout of a browser session",
    ),
    // ----------------------------------------------------- audit trail
    other("audit_events", "seq", "Position in the hash chain"),
    personal(
        "audit_events",
        "at",
        "When an account acted",
        ACCOUNTABILITY,
        AUDIT_RETENTION,
        Protection::Plain,
        AUDIT_READERS,
    ),
    personal(
        "audit_events",
        "actor",
        "Who acted, as `account:<id>` or `system` (never a name)",
        ACCOUNTABILITY,
        AUDIT_RETENTION,
        Protection::Plain,
        AUDIT_READERS,
    ),
    other("audit_events", "action", "What was done"),
    other("audit_events", "object_type", "The kind of object acted on"),
    personal(
        "audit_events",
        "object_id",
        "The object's id (for a ban: which ban was read or changed; never its content)",
        ACCOUNTABILITY,
        AUDIT_RETENTION,
        Protection::Plain,
        AUDIT_READERS,
    ),
    other("audit_events", "area_id", "The area of the event"),
    other("audit_events", "prev_hash", "Hash chain link"),
    other("audit_events", "hash", "Hash chain link (keyed)"),
    other("audit_head", "id", "The chain head's fixed row"),
    other("audit_head", "seq", "Last event in the chain"),
    other("audit_head", "hash", "Hash of the last event"),
    other("audit_head", "keyed_from", "First keyed event"),
    // --------------------------------------------------------- devices
    other("devices", "id", "Row key"),
    other("devices", "area_id", "The area of the door phone"),
    other("devices", "venue_id", "The venue of the door phone"),
    other(
        "devices",
        "name",
        "The door phone's name (a door, e.g. \"Voordeur\")",
    ),
    personal(
        "devices",
        "credential_hash",
        "Hash of the door phone's credential (a token that acts for the venue)",
        CHO,
        DEVICE_RETENTION,
        Protection::Hashed,
        SERVER_ONLY,
    ),
    other("devices", "enrolled_at", "When the phone was enrolled"),
    other("devices", "revoked_at", "When it was revoked"),
    other("devices", "last_sync_at", "When it last fetched the list"),
    // ---------------------------------------------------- door_counts
    other(
        "door_counts",
        "device_id",
        "Anonymous door counts (kept 90 days, owner of the venue only): which door phone counted",
    ),
    other(
        "door_counts",
        "hour",
        "Anonymous door counts: the hour (UTC) the checks fell in",
    ),
    other(
        "door_counts",
        "verdict",
        "Anonymous door counts: banned, possible_match, welcome, outdated or no_list",
    ),
    other(
        "door_counts",
        "checks",
        "Anonymous door counts: how many checks (a number; no token, identity or single check)",
    ),
    personal(
        "enrolment_codes",
        "code_hash",
        "Keyed hash of a one-time enrolment code (a token)",
        CHO,
        CODE_RETENTION,
        Protection::Hashed,
        SERVER_ONLY,
    ),
    other(
        "enrolment_codes",
        "venue_id",
        "The venue the code enrols for",
    ),
    personal(
        "enrolment_codes",
        "created_by",
        "The owner account that made the code",
        STAFF,
        CODE_RETENTION,
        Protection::Plain,
        SERVER_ONLY,
    ),
    other("enrolment_codes", "name", "The door phone's name to be"),
    other("enrolment_codes", "expires_at", "When the code expires"),
    other("enrolment_codes", "used_at", "When it was used"),
    // ------------------------------------------- areas and the protocol
    other("municipalities", "id", "Row key"),
    other("municipalities", "name", "A municipality's name"),
    other("municipalities", "created_at", "When it was added"),
    other(
        "municipalities",
        "primary_colour",
        "The municipality's house colour",
    ),
    other("municipalities", "logo", "The municipality's logo"),
    other("municipalities", "logo_type", "The logo's media type"),
    other("areas", "id", "Row key"),
    other("areas", "municipality_id", "The area's municipality"),
    other("areas", "name", "The area's name"),
    other("areas", "permit_reference", "The AP permit's reference"),
    other("areas", "permit_granted_on", "The permit's first day"),
    other("areas", "permit_expires_on", "The permit's last day"),
    other(
        "areas",
        "complaint_window_days",
        "Protocol: the objection period",
    ),
    other(
        "areas",
        "retention_days",
        "Protocol: retention after a ban ends",
    ),
    other(
        "areas",
        "max_list_age_seconds",
        "Protocol: how old a door list may be",
    ),
    other("areas", "created_at", "When the area was added"),
    personal(
        "areas",
        "contact_email",
        "The area's contact address (may be a person's)",
        INFORM,
        AREA_RETENTION,
        Protection::Plain,
        PUBLIC,
    ),
    personal(
        "areas",
        "contact_phone",
        "The area's contact phone (may be a person's)",
        INFORM,
        AREA_RETENTION,
        Protection::Plain,
        PUBLIC,
    ),
    personal(
        "areas",
        "complaint_committee_address",
        "Where objections go (may name a person)",
        INFORM,
        AREA_RETENTION,
        Protection::Plain,
        PUBLIC,
    ),
    personal(
        "areas",
        "complaint_committee_email",
        "The committee's e-mail (may be a person's)",
        INFORM,
        AREA_RETENTION,
        Protection::Plain,
        PUBLIC,
    ),
    personal(
        "areas",
        "privacy_contact",
        "Whom to ask about personal data (may be a person)",
        INFORM,
        AREA_RETENTION,
        Protection::Plain,
        PUBLIC,
    ),
    other("area_keys", "area_id", "The area of the identity key"),
    other("area_keys", "epoch", "The key's epoch"),
    other(
        "area_keys",
        "sealed_key",
        "The area's identity key, sealed under the master key (a secret, not about a person)",
    ),
    other("area_keys", "created_at", "When the key was made"),
    other("offence_categories", "id", "Row key"),
    other("offence_categories", "area_id", "The category's area"),
    other(
        "offence_categories",
        "code",
        "Protocol: the category's code",
    ),
    other("offence_categories", "name", "Protocol: the offence"),
    other(
        "offence_categories",
        "default_days",
        "Protocol: default duration",
    ),
    other(
        "offence_categories",
        "max_days",
        "Protocol: maximum duration",
    ),
    other(
        "offence_categories",
        "retired_on",
        "Since when no new ban may choose it",
    ),
    other("venues", "id", "Row key"),
    other("venues", "area_id", "The venue's area"),
    other("venues", "name", "A business's trade name (published)"),
    other("venues", "address", "A business's address (published)"),
    other(
        "venues",
        "kvk_number",
        "A business's Chamber of Commerce number (public register)",
    ),
    other("venues", "admitted_on", "Since when it takes part"),
    other("venues", "withdrawn_on", "Until when it took part"),
    other("venues", "created_at", "When it was added"),
    // Issue 9: controller details, category texts, four-eyes and repeat rules.
    other(
        "areas",
        "controller_name",
        "The controller named in notice letters (an organisation)",
    ),
    other(
        "areas",
        "controller_address",
        "The controller's postal address (an organisation)",
    ),
    other(
        "areas",
        "controller_statement",
        "The joint-controller statement quoted in letters",
    ),
    other(
        "areas",
        "public_page_url",
        "Where the letter says the list of participating venues is",
    ),
    other(
        "areas",
        "four_eyes",
        "Protocol setting: owners' bans wait for the beheerder's approval",
    ),
    other(
        "areas",
        "repeat_breach_days",
        "Protocol setting: the period for a breach of a running ban",
    ),
    other(
        "areas",
        "repeat_count",
        "Protocol setting: the k-th ban that gets the category's maximum",
    ),
    other(
        "areas",
        "repeat_lookback_days",
        "Protocol setting: how long after its last day an earlier ban counts",
    ),
    other(
        "offence_categories",
        "description_nl",
        "What the offence is, in Dutch (protocol text)",
    ),
    other(
        "offence_categories",
        "description_en",
        "What the offence is, in English (protocol text)",
    ),
    personal(
        "bans",
        "repeat_rule",
        "Which repeat rule set the period (breach or repeat): tells that the person has another ban",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    personal(
        "bans",
        "on_behalf",
        "The beheerder recorded the ban on the venue owner's instruction (accountability)",
        CHO,
        BAN_RETENTION,
        Protection::Plain,
        BAN_READERS,
    ),
    // Complaints (bezwaar) against a ban.
    other("complaints", "id", "Row number"),
    other("complaints", "area_id", "The area"),
    other(
        "complaints",
        "record_id",
        "Random value binding the sealed texts to this row",
    ),
    other(
        "complaints",
        "received_on",
        "Date the complaint was received (anonymous once the ban is purged)",
    ),
    other(
        "complaints",
        "late",
        "Whether it came after the complaint window",
    ),
    other("complaints", "decide_by", "Due date of the decision"),
    other(
        "complaints",
        "extension_days",
        "Days the decision was extended by",
    ),
    other("complaints", "extended_on", "Date of the extension"),
    other("complaints", "outcome", "Upheld or rejected"),
    other("complaints", "decided_on", "Date of the decision"),
    other("complaints", "created_at", "When it was recorded"),
    personal(
        "complaints",
        "ban_id",
        "Links the complaint to the ban and so to the person",
        CHO,
        "Kept for the area's statistics; the link to the ban, the texts and the staff accounts are removed when the ban is purged",
        Protection::Plain,
        &["beheerder of the area"],
    ),
    personal(
        "complaints",
        "summary",
        "What the person argues",
        CHO,
        "Kept for the area's statistics; the link to the ban, the texts and the staff accounts are removed when the ban is purged",
        Protection::Sealed,
        &["beheerder of the area"],
    ),
    personal(
        "complaints",
        "extension_reason",
        "Why the decision was extended",
        CHO,
        "Kept for the area's statistics; the link to the ban, the texts and the staff accounts are removed when the ban is purged",
        Protection::Sealed,
        &["beheerder of the area"],
    ),
    personal(
        "complaints",
        "reasoning",
        "The reasoning of the decision (sent to the person)",
        CHO,
        "Kept for the area's statistics; the link to the ban, the texts and the staff accounts are removed when the ban is purged",
        Protection::Sealed,
        &["beheerder of the area"],
    ),
    personal(
        "complaints",
        "recorded_by",
        "Which staff account recorded it",
        CHO,
        "Kept for the area's statistics; the link to the ban, the texts and the staff accounts are removed when the ban is purged",
        Protection::Plain,
        &["beheerder of the area"],
    ),
    personal(
        "complaints",
        "extended_by",
        "Which staff account extended it",
        CHO,
        "Kept for the area's statistics; the link to the ban, the texts and the staff accounts are removed when the ban is purged",
        Protection::Plain,
        &["beheerder of the area"],
    ),
    personal(
        "complaints",
        "decided_by",
        "Which staff account recorded the decision",
        CHO,
        "Kept for the area's statistics; the link to the ban, the texts and the staff accounts are removed when the ban is purged",
        Protection::Plain,
        &["beheerder of the area"],
    ),
    // Data-subject requests.
    other("subject_requests", "id", "Row number"),
    other("subject_requests", "area_id", "The area"),
    other(
        "subject_requests",
        "record_id",
        "Random value binding the sealed fields to this row",
    ),
    other(
        "subject_requests",
        "kind",
        "Access, rectification, erasure, restriction or objection",
    ),
    other("subject_requests", "received_on", "Date received"),
    other(
        "subject_requests",
        "due_on",
        "Due date (one month after receipt)",
    ),
    other("subject_requests", "extended_to", "Extended due date"),
    other(
        "subject_requests",
        "extension_told_on",
        "When the person was told of the extension",
    ),
    other(
        "subject_requests",
        "status",
        "Identity unverified, in progress, completed or refused",
    ),
    other("subject_requests", "closed_on", "Date closed"),
    other(
        "subject_requests",
        "identity_check",
        "How identity was checked (a fixed set; never a copy of the document)",
    ),
    other(
        "subject_requests",
        "created_by",
        "Staff account that registered it",
    ),
    other("subject_requests", "created_at", "When it was registered"),
    other(
        "subject_requests",
        "purged_at",
        "When its personal fields were removed",
    ),
    personal(
        "subject_requests",
        "person",
        "The requester's identity (surname, given names, birth date), to find their bans again",
        "GDPR art. 6(1)(c) with art. 12-22 (answering the rights of the data subject) and art. 5(2)",
        "Until the request is closed and the area's retention period has passed; then the identity, notes and links are removed and only kind, dates and outcome stay",
        Protection::Sealed,
        &["beheerder of the area"],
    ),
    personal(
        "subject_requests",
        "identity_note",
        "How identity was checked (free text)",
        "GDPR art. 6(1)(c) with art. 12-22 (answering the rights of the data subject) and art. 5(2)",
        "Until the request is closed and the area's retention period has passed; then the identity, notes and links are removed and only kind, dates and outcome stay",
        Protection::Sealed,
        &["beheerder of the area"],
    ),
    personal(
        "subject_requests",
        "extension_reason",
        "The reason for an extension told to the person",
        "GDPR art. 6(1)(c) with art. 12-22 (answering the rights of the data subject) and art. 5(2)",
        "Until the request is closed and the area's retention period has passed; then the identity, notes and links are removed and only kind, dates and outcome stay",
        Protection::Sealed,
        &["beheerder of the area"],
    ),
    personal(
        "subject_requests",
        "refusal_reason",
        "The reason for a refusal",
        "GDPR art. 6(1)(c) with art. 12-22 (answering the rights of the data subject) and art. 5(2)",
        "Until the request is closed and the area's retention period has passed; then the identity, notes and links are removed and only kind, dates and outcome stay",
        Protection::Sealed,
        &["beheerder of the area"],
    ),
    personal(
        "subject_request_bans",
        "request_id",
        "Links a request to the bans the person matched exactly",
        "GDPR art. 6(1)(c) with art. 12-22 (answering the rights of the data subject) and art. 5(2)",
        "Until the request is closed and the area's retention period has passed; then the identity, notes and links are removed and only kind, dates and outcome stay",
        Protection::Plain,
        &["beheerder of the area"],
    ),
    personal(
        "subject_request_bans",
        "ban_id",
        "Links a request to the bans the person matched exactly",
        "GDPR art. 6(1)(c) with art. 12-22 (answering the rights of the data subject) and art. 5(2)",
        "Until the request is closed and the area's retention period has passed; then the identity, notes and links are removed and only kind, dates and outcome stay",
        Protection::Plain,
        &["beheerder of the area"],
    ),
    // Which audit events returned which bans (for the access export).
    personal(
        "audit_event_bans",
        "seq",
        "The audit event that returned personal data of the ban",
        ACCOUNTABILITY,
        AUDIT_RETENTION,
        Protection::Plain,
        AUDIT_READERS,
    ),
    personal(
        "audit_event_bans",
        "ban_id",
        "The ban whose personal data the event returned",
        ACCOUNTABILITY,
        AUDIT_RETENTION,
        Protection::Plain,
        AUDIT_READERS,
    ),
];

/// The inventory as Markdown, for the DPIA.
pub fn markdown() -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = String::from(
        "# Data inventory of the CHO door check\n\n\
         Every column of the database that can hold personal data or a token, with its purpose, \
         legal basis, retention rule, protection at rest (sealed: encrypted under the master key and \
         bound to its row; hashed: only a keyed or password hash is stored; plain) and who can read it. \
         Generated from the declaration in `server/src/privacy.rs` (`cho-server privacy inventory`); \
         a test fails when a column is not declared.\n\n\
         ## Personal data and tokens\n\n\
         | Table | Column | Purpose | Legal basis | Retention | Stored | Readers |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for c in COLUMNS.iter().filter(|c| c.personal) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            c.table,
            c.column,
            cell(c.purpose),
            cell(c.legal_basis.unwrap_or_default()),
            cell(c.retention.unwrap_or_default()),
            c.protection.map_or("", Protection::as_str),
            cell(&c.readers.join("; ")),
        ));
    }
    out.push_str(
        "\n## Other columns (not personal)\n\n| Table | Column | Why not personal |\n|---|---|---|\n",
    );
    for c in COLUMNS.iter().filter(|c| !c.personal) {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            c.table,
            c.column,
            cell(c.purpose)
        ));
    }
    out
}

/// The inventory as JSON: `{"columns": [...]}`.
pub fn json() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&serde_json::json!({ "columns": COLUMNS }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_column_is_declared_once_and_personal_ones_in_full() {
        let mut seen = BTreeSet::new();
        for c in COLUMNS {
            assert!(
                seen.insert((c.table, c.column)),
                "{}.{} twice",
                c.table,
                c.column
            );
            assert!(!c.purpose.is_empty());
            if c.personal {
                assert!(c.legal_basis.is_some() && c.retention.is_some() && c.protection.is_some());
                assert!(!c.readers.is_empty(), "{}.{}", c.table, c.column);
            }
        }
    }
}
