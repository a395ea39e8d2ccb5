//! Who may do what. Every request is made by an `Actor` whose scope (its
//! area, its venues) decides what it may see and change.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the deployment: municipalities, areas, beheerders. Never sees a
    /// ban's personal data.
    Operator,
    /// Runs one area's protocol: permit, categories, venues, owners, bans,
    /// audit trail.
    Beheerder,
    /// Issues and manages the bans of their own venues.
    Owner,
    /// Reads, for one municipality, its areas' permits, protocols and
    /// anonymous statistics. Never sees a ban, a name or a token.
    Municipality,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Beheerder => "beheerder",
            Self::Owner => "owner",
            Self::Municipality => "municipality",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "operator" => Some(Self::Operator),
            "beheerder" => Some(Self::Beheerder),
            "owner" => Some(Self::Owner),
            "municipality" => Some(Self::Municipality),
            _ => None,
        }
    }
}

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub account_id: i64,
    pub role: Role,
    /// The beheerder's area, or the area of an owner's venues.
    pub area_id: Option<i64>,
    /// The owner's venues.
    pub venue_ids: Vec<i64>,
    /// The municipality a `municipality` account reads for.
    pub municipality_id: Option<i64>,
    /// The account's password was reset: until it chooses a new one it may
    /// only change its password, read who it is, and log out.
    pub must_change_password: bool,
}

impl Actor {
    /// The audit trail's name for this actor.
    pub fn audit_name(&self) -> String {
        format!("account:{}", self.account_id)
    }

    pub fn is_operator(&self) -> bool {
        self.role == Role::Operator
    }

    /// May manage the area's protocol, venues and accounts.
    pub fn manages_area(&self, area_id: i64) -> bool {
        self.role == Role::Beheerder && self.area_id == Some(area_id)
    }

    /// May see and manage the bans of this venue (in this area).
    pub fn handles_venue_bans(&self, area_id: i64, venue_id: i64) -> bool {
        match self.role {
            Role::Beheerder => self.area_id == Some(area_id),
            Role::Owner => self.venue_ids.contains(&venue_id),
            Role::Operator | Role::Municipality => false,
        }
    }

    /// May see bans' personal data at all (never the operator or the
    /// municipality).
    pub fn may_read_personal_data(&self) -> bool {
        matches!(self.role, Role::Beheerder | Role::Owner)
    }
}
