//! Counters for the administrators' dashboard: logins per hour by method and level, failures
//! by reason, logins per e-service per day, sessions started.
//!
//! They are counters in the short-lived store (Redis when shared, so every node adds to the
//! same numbers), one key per hour or day bucket, kept 48 hours: the dashboard reads at most a
//! day back. Counting never fails a login: a store error is logged and the count lost.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, DurationRound, Utc};
use serde::Serialize;

use crate::clock::Clock;
use crate::ephemeral::{EphemeralStore, Key};

const NAMESPACE: &str = "stats";
/// How long a bucket is kept.
const KEEP: Duration = Duration::from_secs(48 * 3600);

/// The authentication methods counted.
pub const METHODS: [&str; 4] = ["sms", "totp", "passkey", "digital_id"];
/// The levels counted.
pub const LEVELS: [&str; 3] = ["low", "substantial", "high"];
/// The failure reasons counted (those of the audit trail's `login.failed`).
pub const FAILURES: [&str; 4] = [
    "wrong_code",
    "code_expired",
    "too_many_attempts",
    "citizen_may_not_log_in",
];

/// One hour of logins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HourOfLogins {
    /// The hour's start.
    pub hour: DateTime<Utc>,
    /// Logins by method, in [`METHODS`] order.
    pub by_method: Vec<(String, u64)>,
    /// Logins by level, in [`LEVELS`] order.
    pub by_level: Vec<(String, u64)>,
    /// Failures by reason, in [`FAILURES`] order.
    pub failures: Vec<(String, u64)>,
}

/// The dashboard's figures for the last 24 hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    /// Oldest hour first, 24 of them, the current one last.
    pub hours: Vec<HourOfLogins>,
    /// Sessions started within the session lifetime (an upper bound of the sessions alive).
    pub recent_sessions: u64,
    /// The e-services with the most logins today (UTC), most first, at most 10.
    pub top_clients: Vec<(String, u64)>,
}

/// The counters.
#[derive(Clone)]
pub struct Statistics {
    store: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Statistics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Statistics")
    }
}

fn hour_id(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d%H").to_string()
}

fn day_id(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d").to_string()
}

impl Statistics {
    /// Counters in `store`.
    pub fn new(store: Arc<dyn EphemeralStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    async fn add(&self, id: String) {
        if let Err(error) = self.store.increment(&Key::new(NAMESPACE, id), KEEP).await {
            tracing::warn!(%error, "a dashboard count was lost");
        }
    }

    async fn count(&self, id: String) -> u64 {
        self.store
            .get(&Key::new(NAMESPACE, id))
            .await
            .ok()
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Counts a successful login (which starts a session).
    pub async fn login(&self, method: &str, acr: &str, client: &str) {
        let now = self.clock.now();
        let hour = hour_id(now);
        // At once: one round trip's wait instead of four.
        tokio::join!(
            self.add(format!("m:{hour}:{method}")),
            self.add(format!("l:{hour}:{acr}")),
            self.add(format!("s:{hour}")),
            self.add(format!("c:{}:{client}", day_id(now))),
        );
    }

    /// Counts a failed authentication step.
    pub async fn failure(&self, reason: &str) {
        let hour = hour_id(self.clock.now());
        self.add(format!("f:{hour}:{reason}")).await;
    }

    /// The last 24 hours; `clients` are the registered client ids (for the top list) and
    /// `session_lifetime` how far back sessions may still be alive.
    pub async fn dashboard(&self, clients: &[String], session_lifetime: Duration) -> Dashboard {
        let now = self.clock.now();
        let mut hours = Vec::with_capacity(24);
        for back in (0..24).rev() {
            let at = now - Span::hours(back);
            let id = hour_id(at);
            let mut by_method = Vec::new();
            for method in METHODS {
                by_method.push((
                    method.to_owned(),
                    self.count(format!("m:{id}:{method}")).await,
                ));
            }
            let mut by_level = Vec::new();
            for level in LEVELS {
                by_level.push((
                    level.to_owned(),
                    self.count(format!("l:{id}:{level}")).await,
                ));
            }
            let mut failures = Vec::new();
            for reason in FAILURES {
                failures.push((
                    reason.to_owned(),
                    self.count(format!("f:{id}:{reason}")).await,
                ));
            }
            hours.push(HourOfLogins {
                hour: at.duration_trunc(Span::hours(1)).unwrap_or(at),
                by_method,
                by_level,
                failures,
            });
        }
        let lifetime_hours = i64::try_from(session_lifetime.as_secs() / 3600 + 1)
            .unwrap_or(24)
            .min(47);
        let mut recent_sessions = 0;
        for back in 0..lifetime_hours {
            recent_sessions += self
                .count(format!("s:{}", hour_id(now - Span::hours(back))))
                .await;
        }
        let today = day_id(now);
        let mut top_clients = Vec::new();
        for client in clients {
            let logins = self.count(format!("c:{today}:{client}")).await;
            if logins > 0 {
                top_clients.push((client.clone(), logins));
            }
        }
        top_clients.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top_clients.truncate(10);
        Dashboard {
            hours,
            recent_sessions,
            top_clients,
        }
    }
}
