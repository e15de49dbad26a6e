//! The SSO session: who is logged in to DAN in this browser, how, since when, and which
//! clients took part.
//!
//! The browser holds a random 256-bit cookie value; the short-lived store holds the session
//! under the value's SHA-256 digest, so a copy of the store does not give working cookies. The
//! `sid` released to relying parties is a separate random id. Sessions expire after the
//! configured lifetime (8 hours by default) from login.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clock;
use crate::ephemeral::{EphemeralStore, Key, StoreError};
use crate::jose;
use crate::tokens::digest;

const NAMESPACE: &str = "sso";

/// One SSO session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The session id released as `sid`.
    pub sid: String,
    /// The citizen.
    pub citizen_id: Uuid,
    /// When the citizen authenticated (seconds since the epoch).
    pub auth_time: i64,
    /// The level reached.
    pub acr: String,
    /// The methods used.
    pub amr: Vec<String>,
    /// Clients that received tokens in this session (for back-channel logout).
    pub clients: Vec<String>,
    /// When the session ends (seconds since the epoch).
    pub expires_at: i64,
    /// When it started (milliseconds since the epoch), to compare with the citizen's
    /// "every session before now ends" mark.
    #[serde(default)]
    pub started_ms: i64,
}

/// Where the "sessions before this instant are over" mark of a citizen is kept.
const ENDED_NAMESPACE: &str = "sso_ended";

/// Where the clients that took part in a citizen's sessions are listed, for back-channel
/// logout when an administrator ends them all.
const CLIENTS_NAMESPACE: &str = "sso_clients";

/// The sessions in the short-lived store.
pub struct Sessions {
    store: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
    lifetime: Duration,
}

impl Sessions {
    /// Sessions lasting `lifetime`.
    pub fn new(store: Arc<dyn EphemeralStore>, clock: Arc<dyn Clock>, lifetime: Duration) -> Self {
        Self {
            store,
            clock,
            lifetime,
        }
    }

    fn key(cookie: &str) -> Key {
        Key::new(NAMESPACE, digest(cookie))
    }

    /// Starts a session; returns the cookie value and the session.
    pub async fn start(
        &self,
        citizen_id: Uuid,
        acr: &str,
        amr: Vec<String>,
    ) -> Result<(String, Session), StoreError> {
        let cookie = jose::random_token(32).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let now = self.clock.now().timestamp();
        let session = Session {
            sid: jose::random_token(16).map_err(|e| StoreError::Unavailable(e.to_string()))?,
            citizen_id,
            auth_time: now,
            acr: acr.to_owned(),
            amr,
            clients: Vec::new(),
            expires_at: now + i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX / 2),
            started_ms: self.clock.now().timestamp_millis(),
        };
        self.save(&cookie, &session).await?;
        Ok((cookie, session))
    }

    async fn save(&self, cookie: &str, session: &Session) -> Result<(), StoreError> {
        let left = session.expires_at - self.clock.now().timestamp();
        if left <= 0 {
            return Ok(());
        }
        let value =
            serde_json::to_vec(session).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.store
            .put(
                &Self::key(cookie),
                &value,
                Duration::from_secs(left.unsigned_abs()),
            )
            .await
    }

    /// The live session a cookie names.
    pub async fn find(&self, cookie: &str) -> Result<Option<Session>, StoreError> {
        let Some(bytes) = self.store.get(&Self::key(cookie)).await? else {
            return Ok(None);
        };
        let session: Option<Session> = serde_json::from_slice(&bytes).ok();
        let Some(session) = session.filter(|s| s.expires_at > self.clock.now().timestamp()) else {
            return Ok(None);
        };
        let ended = self
            .store
            .get(&Key::new(ENDED_NAMESPACE, session.citizen_id.to_string()))
            .await?
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| t.parse::<i64>().ok());
        if ended.is_some_and(|mark| session.started_ms <= mark) {
            self.store.take(&Self::key(cookie)).await?;
            return Ok(None);
        }
        Ok(Some(session))
    }

    /// Ends every session of a citizen that started up to now, on every node: each is
    /// refused (and dropped) when next presented. The mark lasts as long as a session can.
    /// Returns the clients that took part in those sessions, to notify.
    pub async fn end_all(&self, citizen_id: Uuid) -> Result<Vec<String>, StoreError> {
        let now = self.clock.now().timestamp_millis().to_string();
        self.store
            .put(
                &Key::new(ENDED_NAMESPACE, citizen_id.to_string()),
                now.as_bytes(),
                self.lifetime + Duration::from_secs(60),
            )
            .await?;
        let listed = self
            .store
            .take(&Key::new(CLIENTS_NAMESPACE, citizen_id.to_string()))
            .await?;
        Ok(listed
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default())
    }

    /// Records that `client` took part in the session.
    pub async fn add_client(
        &self,
        cookie: &str,
        session: &mut Session,
        client: &str,
    ) -> Result<(), StoreError> {
        if !session.clients.iter().any(|c| c == client) {
            session.clients.push(client.to_owned());
            self.save(cookie, session).await?;
            self.list_client(session.citizen_id, client).await?;
        }
        Ok(())
    }

    /// Adds `client` to the citizen's list of clients with a session, and keeps the list as
    /// long as the newest session can last. Read, then written: two logins of one citizen at
    /// the same instant may lose an entry, which costs that client its back-channel notice
    /// when an administrator ends every session (the sessions themselves still end).
    async fn list_client(&self, citizen_id: Uuid, client: &str) -> Result<(), StoreError> {
        let key = Key::new(CLIENTS_NAMESPACE, citizen_id.to_string());
        let mut clients: Vec<String> = self
            .store
            .get(&key)
            .await?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        if !clients.iter().any(|c| c == client) {
            clients.push(client.to_owned());
        }
        let value = serde_json::to_vec(&clients).unwrap_or_default();
        self.store
            .put(&key, &value, self.lifetime + Duration::from_secs(60))
            .await
    }

    /// The citizen of `session` authenticated again in the same browser (a step-up to a
    /// higher level, or a fresh login that `max_age` or `prompt=login` asked for): the session
    /// keeps its `sid`, its clients and its end, and takes the new `auth_time`, `acr` and
    /// `amr`. Its cookie is replaced by a new random value (the old one stops working), so a
    /// cookie planted before the step-up is not worth more after it. Returns the new cookie,
    /// or `None` when the session ended meanwhile (a logout between its reading and now): the
    /// old session is *taken* first, so an ended session never comes back.
    pub async fn reauthenticate(
        &self,
        cookie: &str,
        acr: &str,
        amr: Vec<String>,
    ) -> Result<Option<(String, Session)>, StoreError> {
        let Some(bytes) = self.store.take(&Self::key(cookie)).await? else {
            return Ok(None);
        };
        let Ok(mut session) = serde_json::from_slice::<Session>(&bytes) else {
            return Ok(None);
        };
        let fresh = jose::random_token(32).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        session.auth_time = self.clock.now().timestamp();
        session.acr = acr.to_owned();
        session.amr = amr;
        self.save(&fresh, &session).await?;
        Ok(Some((fresh, session)))
    }

    /// Ends the session; returns it when it was live.
    pub async fn end(&self, cookie: &str) -> Result<Option<Session>, StoreError> {
        let Some(bytes) = self.store.take(&Self::key(cookie)).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }
}
