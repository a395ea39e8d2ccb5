//! The instance's health, for `/healthz`: whether the database answers, and
//! whether list publication is held back by a clock behind the latest list.

use serde::Serialize;

use super::App;

/// What `/healthz` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// `ok`, `degraded` (serving, but this instance cannot publish), or
    /// `database unavailable`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_clock: Option<ListClockHealth>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListClockHealth {
    pub status: &'static str,
    pub seconds_behind: i64,
}

impl Health {
    /// Whether the instance can serve requests at all.
    pub fn is_serving(&self) -> bool {
        self.status != "database unavailable"
    }
}

pub async fn check(app: &App) -> Health {
    if app.db.ping().await.is_err() {
        return Health {
            status: "database unavailable",
            list_clock: None,
        };
    }
    // A clock behind the latest list stops publication here (other
    // instances may still publish): reported, but the instance still serves.
    match app.list_clock.seconds_behind() {
        Some(behind) => Health {
            status: "degraded",
            list_clock: Some(ListClockHealth {
                status: "behind",
                seconds_behind: behind,
            }),
        },
        None => Health {
            status: "ok",
            list_clock: None,
        },
    }
}
