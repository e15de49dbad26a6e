//! The audit trail: every security-relevant event (logins and their failures, consent, tokens
//! issued and revoked, key changes, administrators' actions) as an append-only, hash-chained
//! record.
//!
//! Each event has a sequence number assigned by the chain (so a deleted event leaves a gap)
//! and carries `prev_hash`, the hash of the event before it, and its own `hash`, an
//! HMAC-SHA-256 under a key derived from DAN's hash key ([`Purpose::AuditChain`]) over every
//! field. Someone who changes a row in the database cannot recompute the chain without that
//! key, and [`AuditLog::verify`] reports the first event that does not match. (Removing the
//! newest events is not detectable from the table alone; exporting the head hash elsewhere,
//! e.g. with the NDJSON export, anchors it.)
//!
//! Writes are group-committed: [`AuditLog::record`] hands the event to one writer task per
//! node, which chains and inserts whatever has queued up in one transaction and then answers
//! every caller. So a busy token endpoint pays one database transaction per batch, not per
//! event, and a caller's event is durable when `record` returns. Nodes sharing PostgreSQL
//! append to one chain: each batch reads the head and chains onto it inside its transaction,
//! under an advisory lock, so appends of all nodes are serialised and none is lost.
//!
//! Events never carry registry numbers, codes, secrets or tokens: citizens are named by their
//! internal id, and details are chosen by the caller from non-secret facts.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::citizens::CitizenId;
use crate::clients::ClientId;
use crate::clock::Clock;
use crate::database::StorageError;
use crate::secrets::{Purpose, Secrets};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The most events chained and inserted in one transaction.
const MAX_BATCH: usize = 256;
/// How many times a refused batch is tried again.
const MAX_RETRIES: usize = 5;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EventKind {
    /// A citizen completed an authentication.
    LoginSucceeded,
    /// An authentication step failed (wrong code, too many attempts, locked).
    LoginFailed,
    /// A citizen allowed an e-service their claims.
    ConsentGranted,
    /// A citizen declined.
    ConsentDenied,
    /// Tokens were issued (code exchange, refresh, client credentials).
    TokensIssued,
    /// Tokens were revoked (revocation endpoint, code replay, refresh reuse, logout).
    TokensRevoked,
    /// A signing key changed state (generated, activated, retired).
    KeyChanged,
    /// An administrator did something (the detail says what).
    AdminAction,
    /// An e-service registered itself, changed or deleted its registration, or was refused
    /// (RFC 7591, RFC 7592; the detail says which, never with a token or secret).
    ClientRegistration,
    /// A citizen added, confirmed, renamed or removed one of their own ways to log in
    /// (authenticator app, passkey), or a ceremony of one was refused.
    MethodChanged,
}

impl EventKind {
    /// Every kind, for filters and documentation.
    pub const ALL: [Self; 10] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::ConsentGranted,
        Self::ConsentDenied,
        Self::TokensIssued,
        Self::TokensRevoked,
        Self::KeyChanged,
        Self::AdminAction,
        Self::ClientRegistration,
        Self::MethodChanged,
    ];

    /// The stored name, `area.what`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::ConsentGranted => "consent.granted",
            Self::ConsentDenied => "consent.denied",
            Self::TokensIssued => "tokens.issued",
            Self::TokensRevoked => "tokens.revoked",
            Self::KeyChanged => "key.changed",
            Self::AdminAction => "admin.action",
            Self::ClientRegistration => "client.registration",
            Self::MethodChanged => "method.changed",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A citizen, by internal id.
    Citizen(CitizenId),
    /// An e-service, by client id.
    Client(ClientId),
    /// An administrator, by account name.
    Admin(String),
    /// DAN itself (rotation, expiry, replay detection).
    System,
}

impl Actor {
    /// The stored form: `citizen:<uuid>`, `client:<id>`, `admin:<name>` or `system`.
    pub fn label(&self) -> String {
        match self {
            Self::Citizen(id) => format!("citizen:{}", id.0),
            Self::Client(id) => format!("client:{}", id.as_str()),
            Self::Admin(name) => format!("admin:{name}"),
            Self::System => "system".to_owned(),
        }
    }
}

/// An event to record.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// Who did it.
    pub actor: Actor,
    /// The citizen concerned, if any.
    pub citizen: Option<CitizenId>,
    /// The e-service concerned, if any.
    pub client: Option<ClientId>,
    /// Non-secret facts: method, reason, scopes, key id, ... (a JSON object).
    pub detail: Value,
}

impl NewEvent {
    /// An event with no citizen, client or detail yet.
    pub fn new(kind: EventKind, actor: Actor) -> Self {
        Self {
            kind,
            actor,
            citizen: None,
            client: None,
            detail: Value::Object(serde_json::Map::new()),
        }
    }

    /// Names the citizen concerned.
    pub fn citizen(mut self, citizen: CitizenId) -> Self {
        self.citizen = Some(citizen);
        self
    }

    /// Names the e-service concerned.
    pub fn client(mut self, client: &ClientId) -> Self {
        self.client = Some(client.clone());
        self
    }

    /// Adds a detail.
    pub fn detail(mut self, name: &str, value: impl Into<Value>) -> Self {
        if let Value::Object(map) = &mut self.detail {
            map.insert(name.to_owned(), value.into());
        }
        self
    }
}

/// A recorded event, as stored and exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (microsecond precision).
    pub at: DateTime<Utc>,
    /// `area.what` (see [`EventKind::as_str`]).
    pub kind: String,
    /// Who ([`Actor::label`]).
    pub actor: String,
    /// The citizen concerned.
    pub citizen_id: Option<Uuid>,
    /// The e-service concerned.
    pub client_id: Option<String>,
    /// The detail, as the JSON text that was hashed.
    pub detail: String,
    /// The previous event's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// Which events a query wants; every field narrows it.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Actor label, exactly.
    pub actor: Option<String>,
    /// Citizen concerned.
    pub citizen: Option<Uuid>,
    /// E-service concerned.
    pub client: Option<String>,
    /// Kind.
    pub kind: Option<EventKind>,
}

/// Chains a batch onto a head `(seq, hash)` (`(0, GENESIS)` for an empty trail).
pub type Chainer<'a> = &'a (dyn Fn(i64, &str) -> Vec<AuditEvent> + Send + Sync);

/// The durable side of the trail: one implementation per database.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends a batch in one transaction: reads the head with appends of every node held
    /// off (PostgreSQL: an advisory transaction lock; SQLite: one writer), chains the batch
    /// onto it with `chain`, inserts it, and returns what was inserted. Nothing is written
    /// when it fails.
    async fn append(&self, chain: Chainer<'_>) -> Result<Vec<AuditEvent>, StorageError>;
    /// Events matching `filter` with `seq > after`, oldest first, at most `limit`.
    async fn page(
        &self,
        filter: &AuditFilter,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AuditEvent>, StorageError>;
}

/// Why an event could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The database refused or could not be reached.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The writer task is gone (the node is stopping).
    #[error("the audit writer has stopped")]
    Stopped,
}

/// The result of [`AuditLog::verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Events checked.
    pub events: u64,
    /// Whether every event chains to the one before and its hash matches its content.
    pub intact: bool,
    /// The first event that does not match, if any.
    pub first_broken: Option<i64>,
    /// Why it does not: `hash` (its content changed), `prev_hash` (an event before it was
    /// changed or removed), or `gap` (a sequence number is missing).
    pub reason: Option<String>,
    /// The last event's hash: keep it elsewhere to anchor the chain.
    pub head: Option<String>,
}

type Pending = (NewEvent, oneshot::Sender<Result<AuditEvent, String>>);

/// The audit trail of one node: records events through the group-committing writer, and
/// queries and verifies the chain.
pub struct AuditLog {
    store: Arc<dyn AuditStore>,
    secrets: Secrets,
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog")
    }
}

impl AuditLog {
    /// Starts the node's writer task (on the current Tokio runtime).
    pub fn start(store: Arc<dyn AuditStore>, secrets: Secrets, clock: Arc<dyn Clock>) -> Self {
        let (queue, incoming) = mpsc::channel(4 * MAX_BATCH);
        let writer = Writer {
            store: store.clone(),
            secrets: secrets.clone(),
            clock,
            last: None,
        };
        tokio::spawn(writer.run(incoming));
        Self {
            store,
            secrets,
            queue,
        }
    }

    /// Records an event; returns it once it is durable.
    pub async fn record(&self, event: NewEvent) -> Result<AuditEvent, AuditError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((event, reply))
            .await
            .map_err(|_| AuditError::Stopped)?;
        match answer.await {
            Ok(Ok(event)) => Ok(event),
            Ok(Err(reason)) => Err(AuditError::Storage(StorageError::Unavailable(reason))),
            Err(_) => Err(AuditError::Stopped),
        }
    }

    /// Queues an event without waiting for it to be written: for the high-volume
    /// `tokens.issued`, so the token endpoint does not wait on the audit transaction. A full
    /// queue still makes the caller wait (back-pressure, never a dropped event); what a crash
    /// can lose is the last batch in memory.
    pub async fn enqueue(&self, event: NewEvent) {
        let (reply, _ignored) = oneshot::channel();
        if self.queue.send((event, reply)).await.is_err() {
            tracing::error!("audit event not queued: the writer has stopped");
        }
    }

    /// Records an event, and logs (without failing the caller) when it cannot: for citizen
    /// flows, whose own storage fails first when the database is down.
    pub async fn note(&self, event: NewEvent) {
        let kind = event.kind.as_str();
        if let Err(error) = self.record(event).await {
            tracing::error!(kind, %error, "audit event not recorded");
        }
    }

    /// Events matching `filter` after the cursor `after` (a sequence number; 0 for the
    /// start), oldest first, at most `limit` (capped at 1000).
    pub async fn query(
        &self,
        filter: &AuditFilter,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AuditEvent>, StorageError> {
        // Times are stored to the microsecond; bounds are compared at the same precision
        // (SQLite compares them as text).
        let filter = AuditFilter {
            from: filter.from.map(|t| t.trunc_subsecs(6)),
            until: filter.until.map(|t| t.trunc_subsecs(6)),
            ..filter.clone()
        };
        self.store.page(&filter, after, limit.clamp(1, 1000)).await
    }

    /// Walks the whole chain and reports the first event that does not match.
    pub async fn verify(&self) -> Result<ChainReport, StorageError> {
        let everything = AuditFilter::default();
        let mut report = ChainReport {
            events: 0,
            intact: true,
            first_broken: None,
            reason: None,
            head: None,
        };
        let (mut seq, mut prev) = (0_i64, GENESIS.to_owned());
        loop {
            let page = self.store.page(&everything, seq, 1000).await?;
            let Some(last) = page.last() else {
                break;
            };
            let next_seq = last.seq;
            for event in &page {
                report.events += 1;
                let broken = if event.seq != seq + 1 {
                    Some("gap")
                } else if event.prev_hash != prev {
                    Some("prev_hash")
                } else if event.hash != chain_hash(&self.secrets, event) {
                    Some("hash")
                } else {
                    None
                };
                if let Some(reason) = broken
                    && report.intact
                {
                    report.intact = false;
                    report.first_broken = Some(event.seq);
                    report.reason = Some(reason.to_owned());
                }
                seq = event.seq;
                prev = event.hash.clone();
            }
            report.head = Some(prev.clone());
            seq = next_seq;
        }
        Ok(report)
    }
}

/// The keyed hash of an event: every field but `hash`, as one JSON array (quoted and escaped,
/// absent ones `null`), so no two different events hash the same text.
pub fn chain_hash(secrets: &Secrets, event: &AuditEvent) -> String {
    let text = serde_json::json!([
        event.prev_hash,
        event.seq,
        event.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        event.kind,
        event.actor,
        event.citizen_id.map(|c| c.to_string()),
        event.client_id,
        event.detail,
    ])
    .to_string();
    hex(&secrets.keyed_hash(Purpose::AuditChain, text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The node's one writer: chains and inserts what has queued up, in one transaction.
struct Writer {
    store: Arc<dyn AuditStore>,
    secrets: Secrets,
    clock: Arc<dyn Clock>,
    /// The last event this node wrote: a head found behind it means events were removed.
    last: Option<(i64, String)>,
}

impl Writer {
    async fn run(mut self, mut incoming: mpsc::Receiver<Pending>) {
        while let Some(first) = incoming.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match incoming.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            let (events, replies): (Vec<NewEvent>, Vec<_>) = batch.into_iter().unzip();
            match self.commit(&events).await {
                Ok(chained) => {
                    for (reply, event) in replies.into_iter().zip(chained) {
                        let _ = reply.send(Ok(event));
                    }
                }
                Err(error) => {
                    let reason = error.to_string();
                    for reply in replies {
                        let _ = reply.send(Err(reason.clone()));
                    }
                }
            }
        }
    }

    async fn commit(&mut self, events: &[NewEvent]) -> Result<Vec<AuditEvent>, StorageError> {
        let truncated = std::sync::atomic::AtomicBool::new(false);
        let last = self.last.clone();
        let chain = |seq: i64, prev: &str| {
            // The head went back below what this node wrote, or changed under it: the tail
            // of the trail was removed or replaced. Chaining on would hide that.
            let behind = last
                .as_ref()
                .is_some_and(|(s, h)| seq < *s || (seq == *s && prev != h));
            if behind {
                truncated.store(true, std::sync::atomic::Ordering::SeqCst);
                return Vec::new();
            }
            self.chain((seq, prev.to_owned()), events)
        };
        let mut attempt = 0;
        loop {
            match self.store.append(&chain).await {
                Ok(_) if truncated.load(std::sync::atomic::Ordering::SeqCst) => {
                    tracing::error!("the audit trail's head is behind what this node wrote");
                    return Err(StorageError::Corrupt(
                        "the audit trail lost events this node wrote; nothing more is appended"
                            .to_owned(),
                    ));
                }
                Ok(chained) => {
                    if let Some(event) = chained.last() {
                        self.last = Some((event.seq, event.hash.clone()));
                    }
                    return Ok(chained);
                }
                // SQLite refuses a write while another process (the CLI) writes: try again.
                Err(error) if attempt < MAX_RETRIES && !error.is_unavailable() => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt as u64)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn chain(&self, (mut seq, mut prev): (i64, String), events: &[NewEvent]) -> Vec<AuditEvent> {
        let at = self.clock.now().trunc_subsecs(6);
        events
            .iter()
            .map(|new| {
                seq += 1;
                let mut event = AuditEvent {
                    seq,
                    at,
                    kind: new.kind.as_str().to_owned(),
                    actor: new.actor.label(),
                    citizen_id: new.citizen.map(|c| c.0),
                    client_id: new.client.as_ref().map(|c| c.as_str().to_owned()),
                    detail: new.detail.to_string(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                event.hash = chain_hash(&self.secrets, &event);
                prev = event.hash.clone();
                event
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("login"), None);
    }

    #[test]
    fn every_field_is_in_the_hash() {
        let secrets = Secrets::generate().unwrap();
        let event = AuditEvent {
            seq: 1,
            at: Utc::now().trunc_subsecs(6),
            kind: "login.succeeded".into(),
            actor: "system".into(),
            citizen_id: Some(Uuid::nil()),
            client_id: Some("svc".into()),
            detail: "{}".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        let original = chain_hash(&secrets, &event);
        let changes: [fn(&mut AuditEvent); 10] = [
            |e| e.seq = 2,
            |e| e.at += chrono::Duration::microseconds(1),
            |e| e.kind = "login.failed".into(),
            |e| e.actor = "admin:x".into(),
            |e| e.citizen_id = None,
            |e| e.client_id = Some("svd".into()),
            |e| e.detail = r#"{"a":1}"#.into(),
            |e| e.prev_hash = "1".repeat(64),
            // Moving text from one field to the next is a different event too.
            |e| {
                e.actor = "system\nsvc".into();
                e.client_id = None;
            },
            |e| e.client_id = Some(String::new()),
        ];
        for change in changes {
            let mut changed = event.clone();
            change(&mut changed);
            assert_ne!(chain_hash(&secrets, &changed), original);
        }
        let other_key = Secrets::generate().unwrap();
        assert_ne!(chain_hash(&other_key, &event), original);
    }
}
