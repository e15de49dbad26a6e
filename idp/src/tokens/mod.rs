//! Tokens: what a grant is, and the tokens made from it.
//!
//! (Work in progress: the grant and the refresh-token port.)

pub mod refresh;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a citizen's login granted a client: carried by authorization codes, refresh tokens
/// and access tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The client.
    pub client_id: String,
    /// The citizen.
    pub citizen_id: Uuid,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The SSO session id (`sid`).
    pub sid: String,
    /// When the citizen authenticated (seconds since the epoch).
    pub auth_time: i64,
    /// The level reached (`acr`).
    pub acr: String,
    /// The methods used (`amr`).
    pub amr: Vec<String>,
}
