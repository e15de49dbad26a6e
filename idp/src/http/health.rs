//! `/healthz` (the process is up) and `/readyz` (the database and the short-lived store
//! answer; 503 with a JSON reason otherwise, so a load balancer stops sending logins to a node
//! that cannot finish them).

use std::time::Duration;

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde::Serialize;

use super::AppState;

/// The state of one backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// It answered.
    Ok,
    /// It did not answer, or not in time.
    Unavailable,
}

/// What `/readyz` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: &'static str,
    /// Which backends are missing, in words; absent when ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The database.
    pub database: Check,
    /// The short-lived store.
    pub store: Check,
}

impl Readiness {
    /// Whether every backend answered.
    pub fn is_ready(&self) -> bool {
        self.database == Check::Ok && self.store == Check::Ok
    }
}

/// Asks both backends at once, each bounded by `timeout`. Failures are logged with their
/// cause; the result says only which backend failed.
pub async fn readiness(state: &AppState, timeout: Duration) -> Readiness {
    let (database, store) = tokio::join!(
        tokio::time::timeout(timeout, state.database.ping()),
        tokio::time::timeout(timeout, state.store.ping()),
    );
    let database = check("database", database);
    let store = check("short-lived store", store);
    let missing: Vec<&str> = [(database, "database"), (store, "short-lived store")]
        .iter()
        .filter(|(check, _)| *check != Check::Ok)
        .map(|(_, name)| *name)
        .collect();
    Readiness {
        status: if missing.is_empty() {
            "ready"
        } else {
            "unavailable"
        },
        reason: (!missing.is_empty()).then(|| format!("{} not answering", missing.join(" and "))),
        database,
        store,
    }
}

/// Reads one probe's result, logging the cause of a failure.
fn check<E: std::fmt::Display>(
    backend: &str,
    result: Result<Result<(), E>, tokio::time::error::Elapsed>,
) -> Check {
    match result {
        Ok(Ok(())) => Check::Ok,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: {backend} unavailable");
            Check::Unavailable
        }
        Err(_) => {
            tracing::warn!("readiness: {backend} did not answer in time");
            Check::Unavailable
        }
    }
}

#[handler]
pub(super) fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "up" }))
}

#[handler]
pub(super) async fn readyz(Data(state): Data<&AppState>) -> Response {
    let report = readiness(state, state.backend_timeout).await;
    let status = if report.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Json(report).with_status(status).into_response()
}
