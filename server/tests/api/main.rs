//! The cho-server test suite: one binary, every test on SQLite and on
//! PostgreSQL (`<test>::sqlite`, `<test>::postgres`), except the command
//! line tests in `cli`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fixtures;
mod harness;

mod access;
mod accounts;
mod approvals;
mod audit;
mod auth;
mod bad_input;
mod bans;
mod categories;
mod checkpoints;
mod cli;
mod complaints;
mod concurrency;
mod devices;
mod door_api;
mod edge;
mod inventory;
mod letters;
mod limits;
mod list_keys;
mod lists;
mod look;
mod migrations;
mod municipality;
mod openapi;
mod ops;
mod overview;
mod propagation;
mod public;
mod retention;
mod retention_holes;
mod seam;
mod secrets_at_rest;
mod statistics;
mod subject_requests;
mod usernames;
mod web_approvals;
mod web_area;
mod web_catalogue;
mod web_client;
mod web_complaints;
mod web_operator;
mod web_owner;
mod web_pages;
mod web_records;
mod web_requests;
mod web_session;
