//! Who may do what: every operation of the API, called by every role on an
//! object of area A (or of owner A) and of area B, with the exact status
//! expected.

use std::collections::{BTreeSet, HashMap};

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

/// The callers, in the order of the expectation columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    Operator,
    BeheerderA,
    BeheerderB,
    /// Owner of venue A1.
    OwnerA,
    /// Owner of venue A2, in area A too.
    OwnerA2,
    OwnerB,
    /// A read-only account of area A's municipality: not in [`EVERYONE`]'s
    /// seven columns, but checked over the same operations by
    /// `every_operation_by_a_municipality_account`.
    Municipality,
}

const EVERYONE: [Who; 7] = [
    Who::Anonymous,
    Who::Operator,
    Who::BeheerderA,
    Who::BeheerderB,
    Who::OwnerA,
    Who::OwnerA2,
    Who::OwnerB,
];

impl Who {
    fn login(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Anonymous => None,
            Self::Operator => Some(OPERATOR),
            Self::BeheerderA => Some(BEHEERDER_A),
            Self::BeheerderB => Some(BEHEERDER_B),
            Self::OwnerA => Some(OWNER_A),
            Self::OwnerA2 => Some(OWNER_A2),
            Self::OwnerB => Some(OWNER_B),
            Self::Municipality => Some(MUNICIPALITY_A),
        }
    }
}

/// What `{id}` in the path stands for.
#[derive(Clone, Copy, Debug)]
enum Target {
    None,
    AreaA,
    AreaB,
    /// Area A's municipality.
    MunicipalityA,
    VenueA1,
    VenueB,
    /// A ban issued at venue A1 by owner A.
    BanA,
    BanB,
    /// A ban issued just before the call (for revocations).
    FreshBanA,
    FreshBanB,
    /// A door device of venue A1.
    DeviceA,
    /// A device of venue A1 enrolled just before the call (for revocations).
    FreshDeviceA,
    /// Categories of area A and B.
    CategoryA,
    CategoryB,
    /// A category of A or B made just before the call (for retirements).
    FreshCategoryA,
    FreshCategoryB,
    /// An owner account of venue A1 / of venue B, or a beheerder of A,
    /// made just before the call (for disabling, resets, ...).
    FreshOwnerA,
    FreshOwnerB,
    FreshBeheerderA,
    /// A verified access request of area A / B (for Visser, who has a ban
    /// in each), registered before the table runs.
    RequestA,
    RequestB,
    /// Requests of area A registered just before the call: a verified
    /// access request, an unverified one, and verified rectification and
    /// erasure requests for Öztürk (the demo's third ban).
    FreshRequestA,
    FreshUnverifiedRequestA,
    FreshRectificationA,
    FreshErasureA,
    /// A complaint about a ban of A / of B (recorded by its beheerder).
    ComplaintA,
    ComplaintB,
    /// A complaint recorded just before the call (for extension, decision).
    FreshComplaintA,
    FreshComplaintB,
}

type MakeBody = fn(&Seeded, usize, Who) -> Value;

struct Case {
    method: &'static str,
    path: &'static str,
    query: &'static str,
    target: Target,
    body: Option<MakeBody>,
    /// Anonymous, operator, beheerder A, beheerder B, owner A, owner A2,
    /// owner B.
    expect: [u16; 7],
}

const fn case(method: &'static str, path: &'static str, target: Target, expect: [u16; 7]) -> Case {
    Case {
        method,
        path,
        query: "",
        target,
        body: None,
        expect,
    }
}

impl Case {
    const fn body(mut self, body: MakeBody) -> Self {
        self.body = Some(body);
        self
    }

    const fn query(mut self, query: &'static str) -> Self {
        self.query = query;
        self
    }
}

// Shorthands for the expectation rows.
const ALL_200: [u16; 7] = [200; 7];
const SIGNED_IN_200: [u16; 7] = [401, 200, 200, 200, 200, 200, 200];
const SIGNED_IN_204: [u16; 7] = [401, 204, 204, 204, 204, 204, 204];
const OPERATOR_ONLY_200: [u16; 7] = [401, 200, 403, 403, 403, 403, 403];
const OPERATOR_ONLY_201: [u16; 7] = [401, 201, 403, 403, 403, 403, 403];
/// The operator and everyone of area A.
const SEE_A: [u16; 7] = [401, 200, 200, 403, 200, 200, 403];
const SEE_B: [u16; 7] = [401, 200, 403, 200, 403, 403, 200];
const MANAGE_A_204: [u16; 7] = [401, 403, 204, 403, 403, 403, 403];
const MANAGE_B_204: [u16; 7] = [401, 403, 403, 204, 403, 403, 403];
const MANAGE_A_201: [u16; 7] = [401, 403, 201, 403, 403, 403, 403];
const MANAGE_B_201: [u16; 7] = [401, 403, 403, 201, 403, 403, 403];
const MANAGE_A_200: [u16; 7] = [401, 403, 200, 403, 403, 403, 403];
const MANAGE_B_200: [u16; 7] = [401, 403, 403, 200, 403, 403, 403];
const OPERATOR_OR_MANAGE_A: [u16; 7] = [401, 200, 200, 403, 403, 403, 403];
const OPERATOR_OR_MANAGE_B: [u16; 7] = [401, 200, 403, 200, 403, 403, 403];
/// Bans: never the operator; the area's beheerder; the venue's owner.
const BANS_OF_AREAS: [u16; 7] = [401, 403, 200, 200, 200, 200, 200];
/// A ban outside the caller's scope is 404, exactly like a missing one;
/// 403 only where the role may never (the operator), whatever the id.
const BAN_A_200: [u16; 7] = [401, 403, 200, 404, 200, 404, 404];
const BAN_B_200: [u16; 7] = [401, 403, 404, 200, 404, 404, 200];
const BAN_A_204: [u16; 7] = [401, 403, 204, 404, 204, 404, 404];
const BAN_B_204: [u16; 7] = [401, 403, 404, 204, 404, 404, 204];
/// The venue's owner, or the area's beheerder on the owner's instruction.
const ISSUE_AT_A1: [u16; 7] = [401, 403, 201, 403, 201, 403, 403];
const ISSUE_AT_B: [u16; 7] = [401, 403, 403, 201, 403, 403, 201];
/// Four-eyes decisions: only the area's beheerder (a ban that is not
/// requested is a conflict); another area's beheerder finds nothing.
const DECIDE_A: [u16; 7] = [401, 403, 409, 404, 403, 403, 403];
const DECIDE_B: [u16; 7] = [401, 403, 404, 409, 403, 403, 403];
/// Managing an account: the operator manages beheerders (and operators),
/// a beheerder the owners of their own area; anything else out of reach
/// is 404, like a missing account; owners never (403).
const OWNER_ACCOUNT_A_204: [u16; 7] = [401, 404, 204, 404, 403, 403, 403];
const OWNER_ACCOUNT_B_204: [u16; 7] = [401, 404, 404, 204, 403, 403, 403];
const BEHEERDER_ACCOUNT_A_204: [u16; 7] = [401, 204, 404, 404, 403, 403, 403];
const OWNER_ACCOUNT_A_200: [u16; 7] = [401, 404, 200, 404, 403, 403, 403];
const OWNER_ACCOUNT_B_200: [u16; 7] = [401, 404, 404, 200, 403, 403, 403];
const BEHEERDER_ACCOUNT_A_200: [u16; 7] = [401, 200, 404, 404, 403, 403, 403];
/// A category: its area's beheerder; another area's is 404; other roles 403.
const CATEGORY_A_204: [u16; 7] = [401, 403, 204, 404, 403, 403, 403];
const CATEGORY_B_204: [u16; 7] = [401, 403, 404, 204, 403, 403, 403];
/// An area's anonymous figures: the operator and the area's beheerder;
/// another area's beheerder is told it is not found.
const FIGURES_A: [u16; 7] = [401, 200, 200, 404, 403, 403, 403];
const FIGURES_B: [u16; 7] = [401, 200, 404, 200, 403, 403, 403];
const OWNERS_200: [u16; 7] = [401, 403, 403, 403, 200, 200, 200];
/// Data-subject requests: the area's beheerder only; another area's
/// beheerder is told it is not found; every other role 403.
const REQUESTS_A_200: [u16; 7] = [401, 403, 200, 404, 403, 403, 403];
const REQUESTS_B_200: [u16; 7] = [401, 403, 404, 200, 403, 403, 403];
const REQUESTS_A_201: [u16; 7] = [401, 403, 201, 404, 403, 403, 403];
const REQUESTS_B_201: [u16; 7] = [401, 403, 404, 201, 403, 403, 403];
const REQUESTS_A_204: [u16; 7] = [401, 403, 204, 404, 403, 403, 403];
/// Complaints: only the area's beheerder; another area's is 404; other
/// roles 403 (owners may not record, not even about their own ban).
const COMPLAINT_A_200: [u16; 7] = [401, 403, 200, 404, 403, 403, 403];
const COMPLAINT_B_200: [u16; 7] = [401, 403, 404, 200, 403, 403, 403];
const COMPLAINT_A_201: [u16; 7] = [401, 403, 201, 404, 403, 403, 403];
const COMPLAINT_B_201: [u16; 7] = [401, 403, 404, 201, 403, 403, 403];

fn cases() -> Vec<Case> {
    use Target::*;
    vec![
        case("GET", "/healthz", None, ALL_200),
        case("POST", "/api/v1/auth/login", None, ALL_200)
            .body(|_, _, _| json!({"username": OWNER_B.0, "password": OWNER_B.1})),
        case("POST", "/api/v1/auth/logout", None, SIGNED_IN_204),
        // Changing the password to itself: allowed, ends the sessions.
        case("POST", "/api/v1/auth/password", None, SIGNED_IN_204).body(|_, _, who| {
            let password = who.login().map_or("whatever", |l| l.1);
            json!({"current_password": password, "new_password": password})
        }),
        case("GET", "/api/v1/me", None, SIGNED_IN_200),
        case("GET", "/api/v1/municipalities", None, OPERATOR_ONLY_200),
        case("POST", "/api/v1/municipalities", None, OPERATOR_ONLY_201)
            .body(|_, n, _| json!({"name": format!("Gemeente {n}")})),
        case("GET", "/api/v1/areas", None, SIGNED_IN_200),
        case("POST", "/api/v1/areas", None, OPERATOR_ONLY_201)
            .body(|s, n, _| json!({"municipality_id": s.municipality_a, "name": format!("Gebied {n}")})),
        case("GET", "/api/v1/areas/{id}", AreaA, SEE_A),
        case("GET", "/api/v1/areas/{id}", AreaB, SEE_B),
        case("PUT", "/api/v1/areas/{id}/permit", AreaA, MANAGE_A_204).body(permit),
        case("PUT", "/api/v1/areas/{id}/permit", AreaB, MANAGE_B_204).body(permit),
        case("PUT", "/api/v1/areas/{id}/protocol", AreaA, MANAGE_A_204).body(protocol),
        case("PUT", "/api/v1/areas/{id}/protocol", AreaB, MANAGE_B_204).body(protocol),
        case("GET", "/api/v1/areas/{id}/categories", AreaA, SEE_A),
        case("GET", "/api/v1/areas/{id}/categories", AreaB, SEE_B),
        case("POST", "/api/v1/areas/{id}/categories", AreaA, MANAGE_A_201).body(category),
        case("POST", "/api/v1/areas/{id}/categories", AreaB, MANAGE_B_201).body(category),
        case("GET", "/api/v1/areas/{id}/categories/retired", AreaA, SEE_A),
        case("GET", "/api/v1/areas/{id}/categories/retired", AreaB, SEE_B),
        case("PUT", "/api/v1/categories/{id}", CategoryA, CATEGORY_A_204).body(category_change),
        case("PUT", "/api/v1/categories/{id}", CategoryB, CATEGORY_B_204).body(category_change),
        case("POST", "/api/v1/categories/{id}/retire", FreshCategoryA, CATEGORY_A_204),
        case("POST", "/api/v1/categories/{id}/retire", FreshCategoryB, CATEGORY_B_204),
        case("GET", "/api/v1/areas/{id}/venues", AreaA, SEE_A),
        case("GET", "/api/v1/areas/{id}/venues", AreaB, SEE_B),
        case("POST", "/api/v1/areas/{id}/venues", AreaA, MANAGE_A_201).body(venue),
        case("POST", "/api/v1/areas/{id}/venues", AreaB, MANAGE_B_201).body(venue),
        // Only beheerders admit (403 for the others, whatever the id); a
        // venue of another area is 404, like a missing one.
        case("PUT", "/api/v1/venues/{id}/admission", VenueA1, [401, 403, 204, 404, 403, 403, 403])
            .body(|s, _, _| json!({"admitted_on": s.admitted_on, "withdrawn_on": null})),
        case("PUT", "/api/v1/venues/{id}/admission", VenueB, [401, 403, 404, 204, 403, 403, 403])
            .body(|_, _, _| json!({"admitted_on": "2026-02-01", "withdrawn_on": null})),
        case("GET", "/api/v1/areas/{id}/accounts", AreaA, OPERATOR_OR_MANAGE_A),
        case("GET", "/api/v1/areas/{id}/accounts", AreaB, OPERATOR_OR_MANAGE_B),
        // An owner for a venue of A, of B; a beheerder for A.
        case("POST", "/api/v1/accounts", None, MANAGE_A_201).body(|s, n, _| {
            json!({"username": format!("owner-{n}"), "password": "owner password 123", "role": "owner",
                   "area_id": s.area_a, "venue_ids": [s.venue_a1]})
        }),
        case("POST", "/api/v1/accounts", None, MANAGE_B_201).body(|s, n, _| {
            json!({"username": format!("owner-{n}"), "password": "owner password 123", "role": "owner",
                   "area_id": s.area_b, "venue_ids": [s.venue_b]})
        }),
        case("POST", "/api/v1/accounts", None, OPERATOR_ONLY_201).body(|s, n, _| {
            json!({"username": format!("beheerder-{n}"), "password": "beheerder password", "role": "beheerder",
                   "area_id": s.area_a})
        }),
        case("POST", "/api/v1/accounts", None, OPERATOR_ONLY_201).body(|_, n, _| {
            json!({"username": format!("operator-{n}"), "password": "operator password", "role": "operator"})
        }),
        case("GET", "/api/v1/accounts", None, OPERATOR_ONLY_200),
        case("POST", "/api/v1/accounts/{id}/disable", FreshOwnerA, OWNER_ACCOUNT_A_204),
        case("POST", "/api/v1/accounts/{id}/disable", FreshOwnerB, OWNER_ACCOUNT_B_204),
        case("POST", "/api/v1/accounts/{id}/disable", FreshBeheerderA, BEHEERDER_ACCOUNT_A_204),
        case("POST", "/api/v1/accounts/{id}/enable", FreshOwnerA, OWNER_ACCOUNT_A_204),
        case("POST", "/api/v1/accounts/{id}/enable", FreshOwnerB, OWNER_ACCOUNT_B_204),
        case("POST", "/api/v1/accounts/{id}/enable", FreshBeheerderA, BEHEERDER_ACCOUNT_A_204),
        case("POST", "/api/v1/accounts/{id}/password-reset", FreshOwnerA, OWNER_ACCOUNT_A_200),
        case("POST", "/api/v1/accounts/{id}/password-reset", FreshOwnerB, OWNER_ACCOUNT_B_200),
        case("POST", "/api/v1/accounts/{id}/password-reset", FreshBeheerderA, BEHEERDER_ACCOUNT_A_200),
        case("POST", "/api/v1/accounts/{id}/end-sessions", FreshOwnerA, OWNER_ACCOUNT_A_204),
        case("POST", "/api/v1/accounts/{id}/end-sessions", FreshOwnerB, OWNER_ACCOUNT_B_204),
        case("POST", "/api/v1/accounts/{id}/end-sessions", FreshBeheerderA, BEHEERDER_ACCOUNT_A_204),
        case("PUT", "/api/v1/accounts/{id}/venues", FreshOwnerA, OWNER_ACCOUNT_A_204)
            .body(|s, _, _| json!({"venue_ids": [s.venue_a1, s.venue_a2]})),
        case("PUT", "/api/v1/accounts/{id}/venues", FreshOwnerB, OWNER_ACCOUNT_B_204)
            .body(|s, _, _| json!({"venue_ids": [s.venue_b]})),
        case("GET", "/api/v1/areas/{id}/audit", AreaA, MANAGE_A_200),
        case("GET", "/api/v1/areas/{id}/audit", AreaB, MANAGE_B_200),
        case("GET", "/api/v1/areas/{id}/statistics", AreaA, FIGURES_A),
        case("GET", "/api/v1/areas/{id}/statistics", AreaB, FIGURES_B),
        case("GET", "/api/v1/areas/{id}/statistics.csv", AreaA, FIGURES_A),
        case("GET", "/api/v1/areas/{id}/statistics.csv", AreaB, FIGURES_B),
        case("GET", "/api/v1/areas/{id}/overview", AreaA, FIGURES_A),
        case("GET", "/api/v1/areas/{id}/overview", AreaB, FIGURES_B),
        case("GET", "/api/v1/dashboard", None, OWNERS_200),
        case("GET", "/api/v1/operator/overview", None, OPERATOR_ONLY_200),
        case("PUT", "/api/v1/areas/{id}/contact", AreaA, [401, 403, 204, 404, 403, 403, 403]).body(contact),
        case("PUT", "/api/v1/areas/{id}/contact", AreaB, [401, 403, 404, 204, 403, 403, 403]).body(contact),
        case("PUT", "/api/v1/municipalities/{id}/look", MunicipalityA, [401, 204, 403, 403, 403, 403, 403])
            .body(|_, _, _| json!({"primary_colour": "#1d4f91"})),
        // Issue 9, item 7: the municipality's view.
        case("GET", "/api/v1/municipalities/{id}/accounts", MunicipalityA, OPERATOR_ONLY_200),
        case("POST", "/api/v1/municipalities/{id}/accounts", MunicipalityA, OPERATOR_ONLY_201)
            .body(|_, n, _| json!({"username": format!("gemeente-{n}")})),
        case("GET", "/api/v1/municipality", None, [401, 403, 403, 403, 403, 403, 403]),
        // Public: no login, the same for everyone.
        case("GET", "/api/v1/public/areas", None, ALL_200),
        case("GET", "/api/v1/public/areas/{id}", AreaA, ALL_200),
        case("GET", "/api/v1/public/areas/{id}", AreaB, ALL_200),
        case("GET", "/api/v1/public/venues/{id}/sign", VenueA1, ALL_200),
        case("GET", "/api/v1/public/venues/{id}/sign", VenueB, ALL_200),
        case("POST", "/api/v1/bans", None, ISSUE_AT_A1)
            .body(|s, n, _| ban_body(s.venue_a1, s.category_a, manual("Smit", &name(n), "1980-02-02"))),
        case("POST", "/api/v1/bans", None, ISSUE_AT_B)
            .body(|s, n, _| ban_body(s.venue_b, s.category_b, manual("Smit", &name(n), "1980-02-02"))),
        case("GET", "/api/v1/bans", None, BANS_OF_AREAS),
        case("GET", "/api/v1/bans", AreaA, [401, 403, 200, 403, 200, 200, 403]).query("?area_id={id}"),
        case("GET", "/api/v1/bans", AreaB, [401, 403, 403, 200, 403, 403, 200]).query("?area_id={id}"),
        // Beheerder B filtering on a venue of A finds nothing (200, empty:
        // checked below); owner A2 may not filter on owner A's venue.
        case("GET", "/api/v1/bans", VenueA1, [401, 403, 200, 200, 200, 403, 403]).query("?venue_id={id}"),
        case("GET", "/api/v1/bans/{id}", BanA, BAN_A_200),
        case("GET", "/api/v1/bans/{id}", BanB, BAN_B_200),
        case("POST", "/api/v1/bans/{id}/revoke", FreshBanA, BAN_A_204).body(|_, _, _| json!({"reason": "wrong person"})),
        case("POST", "/api/v1/bans/{id}/revoke", FreshBanB, BAN_B_204).body(|_, _, _| json!({"reason": "wrong person"})),
        // Complaints (bezwaar): issue 9 item 3.
        case("POST", "/api/v1/bans/{id}/complaints", FreshBanA, COMPLAINT_A_201).body(complaint),
        case("POST", "/api/v1/bans/{id}/complaints", FreshBanB, COMPLAINT_B_201).body(complaint),
        case("POST", "/api/v1/complaints/{id}/extension", FreshComplaintA, COMPLAINT_A_200)
            .body(|_, _, _| json!({"reason": "hearing", "days": 14})),
        case("POST", "/api/v1/complaints/{id}/extension", FreshComplaintB, COMPLAINT_B_200)
            .body(|_, _, _| json!({"reason": "hearing", "days": 14})),
        case("POST", "/api/v1/complaints/{id}/decision", FreshComplaintA, COMPLAINT_A_200)
            .body(|_, _, _| json!({"outcome": "rejected", "reasoning": "witnesses"})),
        case("POST", "/api/v1/complaints/{id}/decision", FreshComplaintB, COMPLAINT_B_200)
            .body(|_, _, _| json!({"outcome": "rejected", "reasoning": "witnesses"})),
        case("GET", "/api/v1/complaints/{id}", ComplaintA, COMPLAINT_A_200),
        case("GET", "/api/v1/complaints/{id}", ComplaintB, COMPLAINT_B_200),
        case("GET", "/api/v1/areas/{id}/complaints", AreaA, COMPLAINT_A_200),
        case("GET", "/api/v1/areas/{id}/complaints", AreaB, COMPLAINT_B_200),
        // The notice after issue and the letter (issue 9, http/letters.rs).
        case("PUT", "/api/v1/bans/{id}/notice", BanA, BAN_A_204).body(notice),
        case("PUT", "/api/v1/bans/{id}/notice", BanB, BAN_B_204).body(notice),
        case("GET", "/api/v1/bans/{id}/letter", BanA, BAN_A_200).query("?lang=en"),
        case("GET", "/api/v1/bans/{id}/letter", BanB, BAN_B_200),
        // Four-eyes (issue 9 item 5): on an active ban, so 409 for the
        // beheerder who may decide.
        case("POST", "/api/v1/bans/{id}/approve", FreshBanA, DECIDE_A),
        case("POST", "/api/v1/bans/{id}/approve", FreshBanB, DECIDE_B),
        case("POST", "/api/v1/bans/{id}/reject", FreshBanA, DECIDE_A).body(|_, _, _| json!({"reason": "no"})),
        case("POST", "/api/v1/bans/{id}/reject", FreshBanB, DECIDE_B).body(|_, _, _| json!({"reason": "no"})),
        case("GET", "/api/v1/areas/{id}/review-rules", AreaA, SEE_A),
        case("GET", "/api/v1/areas/{id}/review-rules", AreaB, SEE_B),
        case("POST", "/api/v1/bans/search", None, BANS_OF_AREAS)
            .body(|_, _, _| json!({"person": manual("Jansen", "Piet Hendrik", "1994-05-17")})),
        // Issue 9 item 4: data-subject requests.
        case("POST", "/api/v1/areas/{id}/subject-requests", AreaA, REQUESTS_A_201).body(subject_request),
        case("POST", "/api/v1/areas/{id}/subject-requests", AreaB, REQUESTS_B_201).body(subject_request),
        case("GET", "/api/v1/areas/{id}/subject-requests", AreaA, REQUESTS_A_200),
        case("GET", "/api/v1/areas/{id}/subject-requests", AreaB, REQUESTS_B_200),
        case("GET", "/api/v1/subject-requests/{id}", RequestA, REQUESTS_A_200),
        case("GET", "/api/v1/subject-requests/{id}", RequestB, REQUESTS_B_200),
        case("GET", "/api/v1/subject-requests/{id}/export", RequestA, REQUESTS_A_200),
        case("GET", "/api/v1/subject-requests/{id}/export", RequestB, REQUESTS_B_200),
        case("POST", "/api/v1/subject-requests/{id}/verify-identity", FreshUnverifiedRequestA, REQUESTS_A_204)
            .body(|_, _, _| json!({"identity_check": "known_contact"})),
        case("POST", "/api/v1/subject-requests/{id}/extension", FreshRequestA, REQUESTS_A_200)
            .body(|_, _, _| json!({"months": 1, "reason": "many records", "told_on": "2026-11-28"})),
        case("POST", "/api/v1/subject-requests/{id}/refuse", FreshRequestA, REQUESTS_A_204)
            .body(|_, _, _| json!({"reason": "manifestly unfounded"})),
        case("POST", "/api/v1/subject-requests/{id}/complete", FreshRequestA, REQUESTS_A_204),
        // Re-states Öztürk's surname: a correction that changes nothing.
        case("POST", "/api/v1/subject-requests/{id}/rectify", FreshRectificationA, REQUESTS_A_204)
            .body(|s, _, _| json!({"ban_id": s.demo_bans[2], "surname": DEMO_PEOPLE[2].0})),
        // Öztürk's ban is running: past every permission check, kept (409).
        case("POST", "/api/v1/subject-requests/{id}/erase", FreshErasureA, [401, 403, 409, 404, 403, 403, 403])
            .body(|s, _, _| json!({"ban_id": s.demo_bans[2]})),
        // Only owners make codes; another owner's venue is 404.
        case("POST", "/api/v1/venues/{id}/enrolment-codes", VenueA1, [401, 403, 403, 403, 201, 404, 404]).body(|_, _, _| json!({"name": "Voordeur"})),
        case("POST", "/api/v1/venues/{id}/enrolment-codes", VenueB, [401, 403, 403, 403, 404, 404, 201]).body(|_, _, _| json!({"name": "Voordeur"})),
        // Public, but a code nobody issued is refused for everyone.
        case("POST", "/api/v1/devices/enrol", None, [422; 7]).body(|_, _, _| json!({"code": "NOT-A-CODE"})),
        case("GET", "/api/v1/areas/{id}/devices", AreaA, [401, 403, 200, 403, 200, 200, 403]),
        case("GET", "/api/v1/areas/{id}/devices", AreaB, [401, 403, 403, 200, 403, 403, 200]),
        case("PUT", "/api/v1/devices/{id}", DeviceA, [401, 403, 403, 403, 204, 404, 404]).body(|_, _, _| json!({"name": "Achterdeur"})),
        case("POST", "/api/v1/devices/{id}/revoke", FreshDeviceA, [401, 403, 204, 404, 204, 404, 404]),
        // The device endpoints take a device credential, never a session.
        case("GET", "/api/v1/device/list", None, [401; 7]),
        case("GET", "/api/v1/device/key", None, [401; 7]),
        case("POST", "/api/v1/device/counts", None, [401; 7])
            .body(|_, _, _| json!({"counts": [{"hour": 1_764_540_000, "verdict": "welcome", "checks": 1}]})),
    ]
}

/// Enrols a door device at venue A1 through the services, as a phone would.
async fn enrol_device_a(app: &TestApp, s: &Seeded) -> i64 {
    let actor =
        cho_server::services::auth::authenticate(&app.app, &app.login(OWNER_A.0, OWNER_A.1).await)
            .await
            .unwrap();
    let code = cho_server::services::devices::create_code(&app.app, &actor, s.venue_a1, "Deur")
        .await
        .unwrap();
    cho_server::services::devices::enrol(&app.app, DEFAULT_PEER.ip(), &code.code)
        .await
        .unwrap()
        .device_id
}

/// A distinct given name per call (names take letters only).
fn name(n: usize) -> String {
    let letters: String = n
        .to_string()
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect();
    format!("Karel {letters}")
}

fn permit(_: &Seeded, _: usize, _: Who) -> Value {
    json!({"reference": "AP z2026-00042", "granted_on": "2025-11-28", "expires_on": "2030-12-31"})
}

fn protocol(_: &Seeded, _: usize, _: Who) -> Value {
    json!({"complaint_window_days": 14, "retention_days": 0, "max_list_age_seconds": 86400})
}

fn category(_: &Seeded, n: usize, _: Who) -> Value {
    json!({"code": format!("cat-{n}"), "name": "Categorie", "default_days": 30, "max_days": 60})
}

fn category_change(_: &Seeded, n: usize, _: Who) -> Value {
    json!({"name": format!("Categorie {n}"), "default_days": 20, "max_days": 40})
}

/// Makes an account through the services as `manager` would: an owner of
/// `venue` in `area`, or (without a venue) a beheerder of `area`.
async fn fresh_account(
    app: &TestApp,
    manager: (&str, &str),
    area: i64,
    venue: Option<i64>,
    n: usize,
) -> i64 {
    let actor =
        cho_server::services::auth::authenticate(&app.app, &app.login(manager.0, manager.1).await)
            .await
            .unwrap();
    let venues: Vec<i64> = venue.into_iter().collect();
    let role = if venue.is_some() {
        cho_server::domain::roles::Role::Owner
    } else {
        cho_server::domain::roles::Role::Beheerder
    };
    cho_server::services::accounts::create_account(
        &app.app,
        &actor,
        cho_server::services::accounts::NewAccount {
            username: &format!("fresh-{n}"),
            password: "fresh password 123",
            role,
            area_id: Some(area),
            venue_ids: &venues,
        },
    )
    .await
    .unwrap()
}

/// Adds a category to `area` through the services as its beheerder.
async fn fresh_category(app: &TestApp, manager: (&str, &str), area: i64, n: usize) -> i64 {
    let actor =
        cho_server::services::auth::authenticate(&app.app, &app.login(manager.0, manager.1).await)
            .await
            .unwrap();
    cho_server::services::admin::create_category(
        &app.app,
        &actor,
        area,
        &format!("vers-{n}"),
        "Vers",
        cho_server::domain::protocol::Durations::new(10, 20).unwrap(),
    )
    .await
    .unwrap()
}

fn subject_request(_: &Seeded, _: usize, _: Who) -> Value {
    json!({"kind": "access", "received_on": "2026-11-28", "person": manual("Visser", "Tom", "1990-01-01"),
           "identity_check": "document_shown_in_person"})
}

/// Registers a data-subject request in `area` as `manager`.
async fn fresh_request(
    app: &TestApp,
    manager: (&str, &str),
    area: i64,
    kind: &str,
    person: Value,
    verified: bool,
) -> i64 {
    let token = app.login(manager.0, manager.1).await;
    let mut body = json!({"kind": kind, "received_on": "2026-11-28", "person": person});
    if verified {
        body["identity_check"] = json!("document_shown_in_person");
    }
    app.create(
        &format!("/api/v1/areas/{area}/subject-requests"),
        &token,
        body,
    )
    .await
}

fn complaint(_: &Seeded, _: usize, _: Who) -> Value {
    json!({"received_on": "2026-11-28", "summary": "says it was someone else"})
}

/// Issues a ban at `venue` as `owner` and records a complaint about it as
/// `beheerder`.
async fn fresh_complaint(
    app: &TestApp,
    owner: (&str, &str),
    beheerder: (&str, &str),
    venue: i64,
    category: i64,
    n: usize,
) -> i64 {
    let ban = app
        .issue(
            &app.login(owner.0, owner.1).await,
            ban_body(venue, category, manual("Bezwaar", &name(n), "1991-01-01")),
        )
        .await;
    app.create(
        &format!("/api/v1/bans/{ban}/complaints"),
        &app.login(beheerder.0, beheerder.1).await,
        json!({"received_on": "2026-11-28", "summary": "says it was someone else"}),
    )
    .await
}

fn contact(_: &Seeded, _: usize, _: Who) -> Value {
    json!({"contact_email": "cho@example.nl", "privacy_contact": "privacy@example.nl"})
}

fn notice(_: &Seeded, _: usize, _: Who) -> Value {
    json!({"notified_on": "2026-11-28", "method": "handed_over"})
}

fn venue(_: &Seeded, n: usize, _: Who) -> Value {
    json!({"name": format!("Venue {n}"), "address": "Straat 1", "kvk_number": "12345678", "admitted_on": "2026-03-01"})
}

both!(every_operation_by_every_role);
async fn every_operation_by_every_role(app: TestApp) {
    let s = app.seed().await;
    let cases = cases();

    // The table covers exactly the documented operations.
    let documented: BTreeSet<(String, String)> = cho_server::http::operations()
        .iter()
        .map(|op| (op.method.to_owned(), op.path.to_owned()))
        .collect();
    let covered: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.method.to_owned(), c.path.to_owned()))
        .collect();
    assert_eq!(covered, documented, "the table must list every operation");

    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner_b = app.login(OWNER_B.0, OWNER_B.1).await;
    let ban_a = app
        .issue(
            &owner_a,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Visser", "Tom", "1990-01-01"),
            ),
        )
        .await;
    let ban_b = app
        .issue(
            &owner_b,
            ban_body(
                s.venue_b,
                s.category_b,
                manual("Visser", "Tom", "1990-01-01"),
            ),
        )
        .await;

    let request_a = fresh_request(
        &app,
        BEHEERDER_A,
        s.area_a,
        "access",
        manual("Visser", "Tom", "1990-01-01"),
        true,
    )
    .await;
    let request_b = fresh_request(
        &app,
        BEHEERDER_B,
        s.area_b,
        "access",
        manual("Visser", "Tom", "1990-01-01"),
        true,
    )
    .await;
    let ozturk = manual(DEMO_PEOPLE[2].0, DEMO_PEOPLE[2].1, DEMO_PEOPLE[2].2);
    let device_a = enrol_device_a(&app, &s).await;
    let complaint_a =
        fresh_complaint(&app, OWNER_A, BEHEERDER_A, s.venue_a1, s.category_a, 0).await;
    let complaint_b = fresh_complaint(&app, OWNER_B, BEHEERDER_B, s.venue_b, s.category_b, 1).await;
    let mut tokens: HashMap<Who, String> = HashMap::new();
    let mut failures = Vec::new();
    let mut n = 0;
    for c in &cases {
        for (column, who) in EVERYONE.into_iter().enumerate() {
            n += 1;
            let token = match who.login() {
                None => None,
                Some((user, password)) => match tokens.get(&who) {
                    Some(token) => Some(token.clone()),
                    None => {
                        let token = app.login(user, password).await;
                        tokens.insert(who, token.clone());
                        Some(token)
                    }
                },
            };
            let id = match c.target {
                Target::None => None,
                Target::AreaA => Some(s.area_a),
                Target::AreaB => Some(s.area_b),
                Target::MunicipalityA => Some(s.municipality_a),
                Target::VenueA1 => Some(s.venue_a1),
                Target::VenueB => Some(s.venue_b),
                Target::BanA => Some(ban_a),
                Target::BanB => Some(ban_b),
                Target::FreshBanA => Some(
                    app.issue(
                        &app.login(OWNER_A.0, OWNER_A.1).await,
                        ban_body(
                            s.venue_a1,
                            s.category_a,
                            manual("Vers", &name(n), "1991-01-01"),
                        ),
                    )
                    .await,
                ),
                Target::DeviceA => Some(device_a),
                Target::CategoryA => Some(s.category_a),
                Target::CategoryB => Some(s.category_b),
                Target::FreshCategoryA => {
                    Some(fresh_category(&app, BEHEERDER_A, s.area_a, n).await)
                }
                Target::FreshCategoryB => {
                    Some(fresh_category(&app, BEHEERDER_B, s.area_b, n).await)
                }
                Target::FreshOwnerA => {
                    Some(fresh_account(&app, BEHEERDER_A, s.area_a, Some(s.venue_a1), n).await)
                }
                Target::FreshOwnerB => {
                    Some(fresh_account(&app, BEHEERDER_B, s.area_b, Some(s.venue_b), n).await)
                }
                Target::FreshBeheerderA => {
                    Some(fresh_account(&app, OPERATOR, s.area_a, None, n).await)
                }
                Target::FreshDeviceA => Some(enrol_device_a(&app, &s).await),
                Target::RequestA => Some(request_a),
                Target::RequestB => Some(request_b),
                Target::FreshRequestA => Some(
                    fresh_request(
                        &app,
                        BEHEERDER_A,
                        s.area_a,
                        "access",
                        manual("Visser", "Tom", "1990-01-01"),
                        true,
                    )
                    .await,
                ),
                Target::FreshUnverifiedRequestA => Some(
                    fresh_request(
                        &app,
                        BEHEERDER_A,
                        s.area_a,
                        "access",
                        manual("Visser", "Tom", "1990-01-01"),
                        false,
                    )
                    .await,
                ),
                Target::FreshRectificationA => Some(
                    fresh_request(
                        &app,
                        BEHEERDER_A,
                        s.area_a,
                        "rectification",
                        ozturk.clone(),
                        true,
                    )
                    .await,
                ),
                Target::FreshErasureA => Some(
                    fresh_request(&app, BEHEERDER_A, s.area_a, "erasure", ozturk.clone(), true)
                        .await,
                ),
                Target::ComplaintA => Some(complaint_a),
                Target::ComplaintB => Some(complaint_b),
                Target::FreshComplaintA => Some(
                    fresh_complaint(&app, OWNER_A, BEHEERDER_A, s.venue_a1, s.category_a, n).await,
                ),
                Target::FreshComplaintB => Some(
                    fresh_complaint(&app, OWNER_B, BEHEERDER_B, s.venue_b, s.category_b, n).await,
                ),
                Target::FreshBanB => Some(
                    app.issue(
                        &app.login(OWNER_B.0, OWNER_B.1).await,
                        ban_body(
                            s.venue_b,
                            s.category_b,
                            manual("Vers", &name(n), "1991-01-01"),
                        ),
                    )
                    .await,
                ),
            };
            let fill =
                |t: &str| id.map_or_else(|| t.to_owned(), |id| t.replace("{id}", &id.to_string()));
            let path = format!("{}{}", fill(c.path), fill(c.query));
            let body = c.body.map(|make| make(&s, n, who));
            let (status, answer) = app.request(c.method, &path, token.as_deref(), body).await;
            let expected = c.expect[column];
            if status.as_u16() != expected {
                failures.push(format!(
                    "{} {path} as {who:?}: expected {expected}, got {status}: {answer}",
                    c.method
                ));
            }
            if status.is_client_error() {
                assert!(
                    answer["error"]["code"].is_string(),
                    "{} {path} as {who:?}: not a JSON error: {answer}",
                    c.method
                );
            }
            // What the reads show must stay in scope.
            if status == StatusCode::OK && c.method == "GET" {
                check_scope(&s, who, &path, &answer);
            }
            if matches!(c.path, "/api/v1/auth/logout" | "/api/v1/auth/password") {
                tokens.remove(&who);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} calls answered otherwise:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What a municipality account of area A's municipality gets beside the
/// generic rule (its own read-only operations).
fn municipality_own(method: &str, path: &str, target: Target) -> Option<u16> {
    match (method, path, target) {
        ("GET", "/api/v1/municipality", Target::None) => Some(200),
        (
            "GET",
            "/api/v1/areas/{id}/statistics" | "/api/v1/areas/{id}/statistics.csv",
            Target::AreaA,
        ) => Some(200),
        (
            "GET",
            "/api/v1/areas/{id}/statistics" | "/api/v1/areas/{id}/statistics.csv",
            Target::AreaB,
        ) => Some(404),
        _ => None,
    }
}

both!(every_operation_by_a_municipality_account);
/// The municipality role over every operation of the table, generically
/// (rows added to the table need no new column): a public operation
/// answers it as it answers anyone (so does one that answers every caller
/// alike); an operation every signed-in role may
/// do (its own session, password, `me`) it may do too; its own read-only
/// operations ([`municipality_own`]) answer as listed; everything else is
/// 403 or 404. No answer it gets names a banned person.
async fn every_operation_by_a_municipality_account(app: TestApp) {
    let s = app.seed().await;
    app.municipality_account(s.municipality_a).await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let ban_a = app
        .issue(
            &owner_a,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Visser", "Tom", "1990-01-01"),
            ),
        )
        .await;
    let ban_b = app
        .issue(
            &app.login(OWNER_B.0, OWNER_B.1).await,
            ban_body(
                s.venue_b,
                s.category_b,
                manual("Visser", "Tom", "1990-01-01"),
            ),
        )
        .await;
    let device_a = enrol_device_a(&app, &s).await;
    let owner_account = app.account_id(OWNER_A.0).await;
    let beheerder_account = app.account_id(BEHEERDER_A.0).await;
    let mut token: Option<String> = None;
    let mut failures = Vec::new();
    for (n, c) in cases().iter().enumerate() {
        // Nothing succeeds for this role, so the "fresh" objects may be
        // the standing ones.
        let id = match c.target {
            Target::None => None,
            Target::AreaA => Some(s.area_a),
            Target::AreaB => Some(s.area_b),
            Target::MunicipalityA => Some(s.municipality_a),
            Target::VenueA1 => Some(s.venue_a1),
            Target::VenueB => Some(s.venue_b),
            Target::BanA | Target::FreshBanA => Some(ban_a),
            Target::BanB | Target::FreshBanB => Some(ban_b),
            Target::DeviceA | Target::FreshDeviceA => Some(device_a),
            Target::CategoryA | Target::FreshCategoryA => Some(s.category_a),
            Target::CategoryB | Target::FreshCategoryB => Some(s.category_b),
            Target::FreshOwnerA | Target::FreshOwnerB => Some(owner_account),
            Target::FreshBeheerderA => Some(beheerder_account),
            // Refused by role before any lookup: any id will do.
            Target::RequestA
            | Target::RequestB
            | Target::FreshRequestA
            | Target::FreshUnverifiedRequestA
            | Target::FreshRectificationA
            | Target::FreshErasureA
            | Target::ComplaintA
            | Target::ComplaintB
            | Target::FreshComplaintA
            | Target::FreshComplaintB => Some(1),
        };
        let signed_in = &c.expect[1..];
        // Public, or the same for everyone (a device endpoint refuses
        // every session alike): as for anyone.
        let expected: Vec<u16> = if c.expect[0] != 401 || c.expect.iter().all(|e| *e == c.expect[0])
        {
            vec![c.expect[0]]
        } else if let Some(own) = municipality_own(c.method, c.path, c.target) {
            vec![own]
        } else if signed_in.iter().all(|e| *e == signed_in[0] && *e < 300) {
            vec![signed_in[0]]
        } else {
            vec![403, 404]
        };
        let session = match &token {
            Some(t) => t.clone(),
            None => {
                let t = app.login(MUNICIPALITY_A.0, MUNICIPALITY_A.1).await;
                token = Some(t.clone());
                t
            }
        };
        let fill =
            |t: &str| id.map_or_else(|| t.to_owned(), |id| t.replace("{id}", &id.to_string()));
        let path = format!("{}{}", fill(c.path), fill(c.query));
        let body = c.body.map(|make| make(&s, 1000 + n, Who::Municipality));
        let (status, answer) = app.request(c.method, &path, Some(&session), body).await;
        if !expected.contains(&status.as_u16()) {
            failures.push(format!(
                "{} {path} as the municipality: expected {expected:?}, got {status}: {answer}",
                c.method
            ));
        }
        let text = answer.to_string();
        for name in BANNED_SURNAMES {
            assert!(
                !text.contains(name),
                "{} {path}: the municipality got {name}: {text}",
                c.method
            );
        }
        if matches!(c.path, "/api/v1/auth/logout" | "/api/v1/auth/password") {
            token = None;
        }
    }
    assert!(
        failures.is_empty(),
        "{} calls answered otherwise:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The area-wide lists a caller gets hold only what is in their scope.
fn check_scope(s: &Seeded, who: Who, path: &str, answer: &Value) {
    let area_of = |who: Who| match who {
        Who::BeheerderA | Who::OwnerA | Who::OwnerA2 => Some(s.area_a),
        Who::BeheerderB | Who::OwnerB => Some(s.area_b),
        _ => None,
    };
    if path == "/api/v1/areas" {
        let ids: Vec<i64> = answer
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect();
        match area_of(who) {
            Some(area) => assert_eq!(ids, vec![area], "{who:?} sees areas {ids:?}"),
            None => assert!(ids.len() >= 2, "the operator sees every area"),
        }
    }
    if path == "/api/v1/dashboard" {
        let venues: Vec<i64> = answer["venues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_i64().unwrap())
            .collect();
        let expected = match who {
            Who::OwnerA => vec![s.venue_a1],
            Who::OwnerA2 => vec![s.venue_a2],
            Who::OwnerB => vec![s.venue_b],
            _ => vec![],
        };
        assert_eq!(venues, expected, "{who:?}'s dashboard");
        assert_eq!(answer["area_id"].as_i64(), area_of(who));
        for d in answer["devices"].as_array().unwrap() {
            assert!(
                expected.contains(&d["venue_id"].as_i64().unwrap()),
                "{who:?}: {d}"
            );
        }
    }
    if path.starts_with("/api/v1/bans") && !path.contains("/bans/") {
        for ban in answer.as_array().unwrap() {
            assert_eq!(
                ban["area_id"].as_i64(),
                area_of(who),
                "{who:?} listed {ban}"
            );
            match who {
                Who::OwnerA => assert_eq!(ban["venue_id"], s.venue_a1),
                Who::OwnerA2 => assert_eq!(ban["venue_id"], s.venue_a2),
                Who::OwnerB => assert_eq!(ban["venue_id"], s.venue_b),
                _ => {}
            }
        }
    }
}

both!(the_operator_never_sees_personal_data);
async fn the_operator_never_sees_personal_data(app: TestApp) {
    let s = app.seed().await;
    let op = app.login(OPERATOR.0, OPERATOR.1).await;
    let events = app.last_seq().await;
    for (method, path, body) in [
        ("GET", "/api/v1/bans".to_owned(), None),
        ("GET", format!("/api/v1/bans?area_id={}", s.area_a), None),
        ("GET", format!("/api/v1/bans/{}", s.demo_bans[0]), None),
        (
            "POST",
            "/api/v1/bans/search".to_owned(),
            Some(json!({"person": manual("Jansen", "Piet Hendrik", "1994-05-17")})),
        ),
        (
            "POST",
            format!("/api/v1/bans/{}/revoke", s.demo_bans[0]),
            Some(json!({"reason": "x"})),
        ),
    ] {
        let answer = app.request(method, &path, Some(&op), body).await;
        assert_error(&answer, StatusCode::FORBIDDEN, "forbidden");
        assert!(!answer.1.to_string().contains("Jansen"));
    }
    // Nothing else the operator can read names anyone.
    for path in [
        "/api/v1/areas".to_owned(),
        format!("/api/v1/areas/{}/statistics", s.area_a),
        format!("/api/v1/areas/{}/statistics.csv", s.area_a),
        format!("/api/v1/areas/{}/overview", s.area_a),
        "/api/v1/operator/overview".to_owned(),
        format!("/api/v1/areas/{}/accounts", s.area_a),
    ] {
        let (status, body) = app.get(&path, &op).await;
        assert_eq!(status, StatusCode::OK);
        for (surname, given, birth) in DEMO_PEOPLE {
            let text = body.to_string();
            assert!(
                !text.contains(surname) && !text.contains(given) && !text.contains(birth),
                "{path}: {text}"
            );
        }
    }
    assert_eq!(
        app.events_after(events).await,
        vec![],
        "refused reads are not audited reads"
    );
}

both!(scope_across_areas_and_venues);
async fn scope_across_areas_and_venues(app: TestApp) {
    let s = app.seed().await;
    let beh_a = app.login(BEHEERDER_A.0, BEHEERDER_A.1).await;
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    let owner_a = app.login(OWNER_A.0, OWNER_A.1).await;
    let owner_a2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let jansen = s.demo_bans[0]; // issued at A1 by owner A

    // Owner A2 can neither read nor revoke owner A's ban; beheerder A can.
    // Outside their scope, the ban is not found.
    assert_error(
        &app.get(&format!("/api/v1/bans/{jansen}"), &owner_a2).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/bans/{jansen}/revoke"),
            &owner_a2,
            json!({"reason": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.get(&format!("/api/v1/bans/{jansen}"), &beh_b).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Nor can they issue at owner A's venue, or list it.
    assert_error(
        &app.post(
            "/api/v1/bans",
            &owner_a2,
            ban_body(
                s.venue_a1,
                s.category_a,
                manual("Smit", "Karel", "1980-02-02"),
            ),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.get(&format!("/api/v1/bans?venue_id={}", s.venue_a1), &owner_a2)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Beheerder B's venue filter on area A finds nothing.
    let (status, list) = app
        .get(&format!("/api/v1/bans?venue_id={}", s.venue_a1), &beh_b)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([]));
    // Beheerder B cannot make an owner for area A or for a venue of A.
    let answer = app
        .post("/api/v1/accounts", &beh_b, json!({"username": "sneaky", "password": "sneaky password", "role": "owner", "area_id": s.area_b, "venue_ids": [s.venue_a1]}))
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    // Nor withdraw A's venue (which, to them, does not exist).
    let answer = app
        .put(
            &format!("/api/v1/venues/{}/admission", s.venue_a1),
            &beh_b,
            json!({"admitted_on": null, "withdrawn_on": null}),
        )
        .await;
    assert_error(&answer, StatusCode::NOT_FOUND, "not_found");

    let (status, ban) = app.get(&format!("/api/v1/bans/{jansen}"), &beh_a).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ban["person"]["surname"], "Jansen");
    let (status, ban) = app.get(&format!("/api/v1/bans/{jansen}"), &owner_a).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ban["person"]["surname"], "Jansen");
    assert_status(
        &app.post(
            &format!("/api/v1/bans/{jansen}/revoke"),
            &beh_a,
            json!({"reason": "complaint upheld informally"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, ban) = app.get(&format!("/api/v1/bans/{jansen}"), &owner_a).await;
    assert_eq!(ban["status"], "revoked");
}

both!(out_of_scope_answers_exactly_like_missing);
/// Every route that takes a venue, ban or device id answers a caller who
/// may not see the object exactly as it answers for an id that does not
/// exist: same status, same body, so ids do not leak.
async fn out_of_scope_answers_exactly_like_missing(app: TestApp) {
    let s = app.seed().await;
    let jansen = s.demo_bans[0]; // area A, venue A1
    let device = enrol_device_a(&app, &s).await; // venue A1
    let missing = 999_999;
    let owner_a2 = app.login(OWNER_A2.0, OWNER_A2.1).await;
    let owner_b = app.login(OWNER_B.0, OWNER_B.1).await;
    let beh_b = app.login(BEHEERDER_B.0, BEHEERDER_B.1).await;
    type Route = (&'static str, fn(i64) -> String, Option<Value>);
    let ban_routes: [Route; 4] = [
        ("GET", |id| format!("/api/v1/bans/{id}"), None),
        (
            "POST",
            |id| format!("/api/v1/bans/{id}/revoke"),
            Some(json!({"reason": "x"})),
        ),
        (
            "PUT",
            |id| format!("/api/v1/bans/{id}/notice"),
            Some(json!({"notified_on": "2026-11-28", "method": "post"})),
        ),
        ("GET", |id| format!("/api/v1/bans/{id}/letter"), None),
    ];
    let venue_routes: [Route; 2] = [
        (
            "PUT",
            |id| format!("/api/v1/venues/{id}/admission"),
            Some(json!({"admitted_on": "2026-01-01", "withdrawn_on": null})),
        ),
        (
            "POST",
            |id| format!("/api/v1/venues/{id}/enrolment-codes"),
            Some(json!({"name": "Voordeur"})),
        ),
    ];
    let device_routes: [Route; 2] = [
        (
            "PUT",
            |id| format!("/api/v1/devices/{id}"),
            Some(json!({"name": "Achterdeur"})),
        ),
        ("POST", |id| format!("/api/v1/devices/{id}/revoke"), None),
    ];
    let mut checked = 0;
    for (routes, id) in [
        (&ban_routes[..], jansen),
        (&venue_routes[..], s.venue_a1),
        (&device_routes[..], device),
    ] {
        for (method, path, body) in routes.iter() {
            for token in [&owner_a2, &owner_b, &beh_b] {
                let out_of_scope = app
                    .request(method, &path(id), Some(token), body.clone())
                    .await;
                let absent = app
                    .request(method, &path(missing), Some(token), body.clone())
                    .await;
                if out_of_scope.0 == StatusCode::FORBIDDEN {
                    // A refusal for the role, whatever the id.
                    assert_eq!(absent, out_of_scope, "{method} {}", path(id));
                    continue;
                }
                assert_eq!(
                    out_of_scope.0,
                    StatusCode::NOT_FOUND,
                    "{method} {}",
                    path(id)
                );
                assert_eq!(out_of_scope, absent, "{method} {}", path(id));
                checked += 1;
            }
        }
    }
    assert!(checked >= 12, "{checked}");
}
