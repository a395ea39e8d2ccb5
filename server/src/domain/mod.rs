//! The CHO's rules, free of HTTP and SQL: the area's protocol, bans, who may
//! do what, and the audit chain. Each rule lives here once.

pub mod audit;
pub mod ban;
pub mod complaint;
pub mod door_counts;
pub mod look;
pub mod notice;
pub mod protocol;
pub mod repeat;
pub mod roles;
pub mod subject_request;
pub mod username;
