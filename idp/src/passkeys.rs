//! Passkeys (WebAuthn, issue 7): a citizen registers a passkey and later logs in with it,
//! either after entering the registry number or without it (usernameless, conditional UI).
//! The ceremonies are webauthn-rs's passkey ceremonies; this module owns where their state
//! lives, which citizen a credential belongs to, and the counter.
//!
//! The choices, and why:
//!
//! - **User verification is required** at registration and at every login (a local PIN or
//!   biometric): a passkey is then a multi-factor method on its own (level substantial, `amr`
//!   `user` and `mfa`). webauthn-rs's passkey ceremonies ask for it and refuse an assertion
//!   without the UV flag; [`Passkeys::finish_login`] checks the flag once more.
//! - **Discoverable credentials are asked for** (`residentKey: "preferred"`) so the usernameless
//!   login finds them. Not `"required"`: security keys with little storage would then refuse to
//!   register at all, and a non-discoverable passkey still logs in after the registry number.
//!   The user handle stored on the authenticator is the citizen's UUID (16 bytes).
//! - **Attestation is not asked for** (`attestation: "none"`): the provider trusts the citizen's
//!   device choice, and no vendor list has to be maintained.
//! - **Ceremony state lives in the short-lived store** (namespace `webauthn`, five minutes, the
//!   same as the timeout the browser is given), under a key that the caller supplies and binds
//!   to its login transaction or account session, so a ceremony started on one node finishes
//!   on any other. Finishing *takes* the state: a replayed response, a double submit or a
//!   second try after a refusal finds nothing and is refused as [`Refusal::Challenge`]. Every
//!   refusal happens after the take, so every refusal consumes the ceremony, and none writes
//!   to durable storage.
//! - **A credential belongs to one citizen**: the credential id is unique across all citizens
//!   (a unique index), an id already registered is refused ([`Refusal::Duplicate`]), a
//!   citizen-bound login accepts only that citizen's credentials and the usernameless login
//!   only a user handle equal to the credential's citizen ([`Refusal::OtherCitizen`]).
//! - **The signature counter is checked against the stored one at finish time**, not only
//!   against the copy webauthn-rs keeps in the ceremony state (which was read at start): an
//!   assertion whose counter is not above the stored counter, unless both are zero (synced
//!   passkeys keep zero), is refused ([`Refusal::Counter`]), and the new counter is written
//!   only if the stored one is still the one read, so of two logins finishing at once with
//!   the same credential one wins.
//! - **Backup flags are kept** in their own columns: `backup_eligible` is a synced
//!   (software-held) key, reported as `amr` `swk`; otherwise the key is device-bound, `hwk`.
//!
//! The JSON the browser exchanges is webauthn-rs's: binary fields are base64url strings
//! without padding. The page turns the options' `publicKey.challenge`, `publicKey.user.id`
//! and each `excludeCredentials[].id` / `allowCredentials[].id` into `ArrayBuffer`s
//! (`PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON` do it
//! where the browser has them), passes `mediation` beside `publicKey` when present, and sends
//! back `credential.toJSON()` (or the same by hand: `id`, `type`, `rawId` and, in `response`,
//! `clientDataJSON` with `attestationObject`, or with `authenticatorData`, `signature` and
//! `userHandle`, each base64url).
//!
//! Nothing here logs a challenge, a credential or a response: refusals are logged by reason
//! only. webauthn-rs itself logs credential data at `debug` and ceremony state at `trace`:
//! the provider's log setup caps `webauthn_rs_core` at `warn` whatever `IDP_LOG` says
//! ([`crate::telemetry`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    AuthenticationResult, Credential, CredentialID, DiscoverableAuthentication, DiscoverableKey,
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, WebauthnError,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::clock::Clock;
use crate::database::StorageError;
use crate::ephemeral::{EphemeralStore, Key};

/// The short-lived store's namespace of ceremony state.
const NAMESPACE: &str = "webauthn";

/// How long a ceremony may take, from start to finish: also the browser's timeout.
pub const CEREMONY_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// The most passkeys one citizen may have: a login after the registry number carries every
/// one of them in its ceremony state, which must stay small.
pub const MAX_PASSKEYS: usize = 10;

/// One stored passkey.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// Public id.
    pub id: Uuid,
    /// Whose.
    pub citizen_id: Uuid,
    /// The WebAuthn credential id, base64url without padding; unique across all citizens.
    pub credential_id: String,
    /// The citizen's name for it.
    pub name: String,
    /// The webauthn-rs [`Passkey`] as JSON (public key, counter, flags).
    pub credential: String,
    /// The signature counter last accepted (a `u32`).
    pub counter: i64,
    /// May be synced or backed up (a software-held key).
    pub backup_eligible: bool,
    /// Is backed up.
    pub backed_up: bool,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// When last used to log in.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for StoredPasskey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredPasskey")
            .field("id", &self.id)
            .field("counter", &self.counter)
            .field("backup_eligible", &self.backup_eligible)
            .finish_non_exhaustive()
    }
}

/// What a successful login changes on a stored passkey.
#[derive(Clone, PartialEq, Eq)]
pub struct PasskeyUse {
    /// The updated webauthn-rs [`Passkey`] as JSON.
    pub credential: String,
    /// The new signature counter.
    pub counter: i64,
    /// The new backup eligibility.
    pub backup_eligible: bool,
    /// The new backup state.
    pub backed_up: bool,
    /// When.
    pub at: DateTime<Utc>,
}

/// Durable storage of passkeys.
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// Stores a new passkey; `false` (and nothing stored) when its credential id is stored
    /// already, for any citizen.
    async fn insert(&self, passkey: &StoredPasskey) -> Result<bool, StorageError>;
    /// A citizen's passkeys, oldest first.
    async fn of_citizen(&self, citizen_id: Uuid) -> Result<Vec<StoredPasskey>, StorageError>;
    /// The passkey with this credential id, whoever's it is.
    async fn by_credential_id(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredPasskey>, StorageError>;
    /// Records a login with passkey `id`, only if its counter is still `read_counter`; returns
    /// whether it was recorded.
    async fn record_use(
        &self,
        id: Uuid,
        read_counter: i64,
        used: &PasskeyUse,
    ) -> Result<bool, StorageError>;
    /// Renames one of a citizen's passkeys; `false` when there is no such.
    async fn rename(&self, id: Uuid, citizen_id: Uuid, name: &str) -> Result<bool, StorageError>;
    /// Removes one of a citizen's passkeys; `false` when there is no such.
    async fn remove(&self, id: Uuid, citizen_id: Uuid) -> Result<bool, StorageError>;
}

/// A passkey as the citizen and the caller see it (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyInfo {
    /// Public id.
    pub id: Uuid,
    /// Whose.
    pub citizen_id: Uuid,
    /// The citizen's name for it.
    pub name: String,
    /// May be synced or backed up: a software-held key (`amr` `swk`), else `hwk`.
    pub backup_eligible: bool,
    /// Is backed up.
    pub backed_up: bool,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// When last used to log in.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&StoredPasskey> for PasskeyInfo {
    fn from(p: &StoredPasskey) -> Self {
        Self {
            id: p.id,
            citizen_id: p.citizen_id,
            name: p.name.clone(),
            backup_eligible: p.backup_eligible,
            backed_up: p.backed_up,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

/// A successful passkey login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyLogin {
    /// Who logged in.
    pub citizen_id: Uuid,
    /// With which passkey.
    pub passkey_id: Uuid,
    /// The key may be synced or backed up (`amr` `swk`), else device-bound (`hwk`).
    pub backup_eligible: bool,
    /// The authenticator verified the user (always true: it is required).
    pub user_verified: bool,
}

/// Why a ceremony's response was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No ceremony under this key (never started, expired, already finished, of another kind
    /// or citizen), or the response answers another challenge.
    Challenge,
    /// The response was made for another origin or relying party id.
    Origin,
    /// The credential is not registered (any more).
    UnknownCredential,
    /// The credential, or the user handle, is another citizen's.
    OtherCitizen,
    /// The signature counter did not move forward: a cloned authenticator, or a concurrent
    /// login with the same credential that won.
    Counter,
    /// The authenticator did not verify the user (no PIN or biometric), or the user was not
    /// present.
    UserVerification,
    /// The credential is registered already.
    Duplicate,
    /// The response is not valid JSON, base64url, CBOR or authenticator data.
    Malformed,
    /// Any other failed check (a bad signature, an unsupported algorithm, …).
    Other,
}

impl Refusal {
    /// A stable snake_case reason, for audit events and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Challenge => "challenge",
            Self::Origin => "origin",
            Self::UnknownCredential => "unknown_credential",
            Self::OtherCitizen => "other_citizen",
            Self::Counter => "counter",
            Self::UserVerification => "user_verification",
            Self::Duplicate => "duplicate",
            Self::Malformed => "malformed",
            Self::Other => "other",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a passkey operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The ceremony's response was refused; the ceremony is consumed.
    #[error("passkey refused: {0}")]
    Refused(Refusal),
    /// A name is not acceptable.
    #[error("a name is 1 to 64 printable characters")]
    InvalidName,
    /// The citizen has as many passkeys as allowed ([`MAX_PASSKEYS`]).
    #[error("at most {MAX_PASSKEYS} passkeys")]
    TooMany,
    /// No such passkey of this citizen (or, to start a login, the citizen has none).
    #[error("no such passkey")]
    NotFound,
    /// Durable storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The short-lived store, the configuration or the cryptography failed.
    #[error("passkeys unavailable: {0}")]
    Unavailable(String),
}

impl From<Refusal> for PasskeyError {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

/// The state of a ceremony between start and finish, in the short-lived store.
#[derive(Serialize, Deserialize)]
enum Ceremony {
    /// Registering a passkey for a citizen.
    Register {
        citizen_id: Uuid,
        state: PasskeyRegistration,
    },
    /// Logging in a citizen known from the registry number.
    Login {
        citizen_id: Uuid,
        state: PasskeyAuthentication,
    },
    /// Logging in whoever the credential's user handle names.
    Discover { state: DiscoverableAuthentication },
}

/// Citizens' passkeys: registration, login, management.
#[derive(Clone)]
pub struct Passkeys {
    webauthn: Arc<Webauthn>,
    store: Arc<dyn PasskeyStore>,
    ephemeral: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
}

fn check_name(name: &str) -> Result<String, PasskeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(PasskeyError::InvalidName);
    }
    Ok(name.to_owned())
}

/// The refusal a webauthn-rs failure of a response means.
fn refusal(err: &WebauthnError) -> Refusal {
    use WebauthnError as E;
    match err {
        E::MismatchedChallenge | E::ChallengeNotFound | E::InvalidClientDataType => {
            Refusal::Challenge
        }
        E::InvalidRPOrigin | E::InvalidRPIDHash | E::CredentialCrossOrigin => Refusal::Origin,
        E::UserNotVerified | E::UserNotPresent => Refusal::UserVerification,
        E::CredentialNotFound => Refusal::UnknownCredential,
        E::CredentialPossibleCompromise => Refusal::Counter,
        E::CredentialAlreadyExists | E::CredentialExcludedFromRequest => Refusal::Duplicate,
        E::ParseBase64Failure(_)
        | E::ParseCBORFailure(_)
        | E::ParseJSONFailure(_)
        | E::ParseNOMFailure
        | E::ParseInsufficientBytesAvailable
        | E::MissingAttestationCredentialData
        | E::AttestationStatementMapInvalid
        | E::AttestationStatementSigMissing
        | E::AttestationStatementAlgMissing
        | E::COSEKeyInvalidCBORValue
        | E::COSEKeyInvalidType
        | E::InvalidUserUniqueId => Refusal::Malformed,
        _ => Refusal::Other,
    }
}

fn refused(err: &WebauthnError) -> PasskeyError {
    let why = refusal(err);
    // Only the reason: a parse error's text may quote the response.
    tracing::debug!(reason = why.as_str(), "passkey response refused");
    PasskeyError::Refused(why)
}

fn unavailable(what: &str) -> impl FnOnce(WebauthnError) -> PasskeyError + '_ {
    move |err| PasskeyError::Unavailable(format!("{what}: {err}"))
}

fn credential_id_text(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

fn read_passkey(stored: &StoredPasskey) -> Result<Passkey, PasskeyError> {
    serde_json::from_str(&stored.credential).map_err(|_| {
        PasskeyError::Storage(StorageError::Corrupt(format!(
            "passkey {}: credential",
            stored.id
        )))
    })
}

impl Passkeys {
    /// Passkeys for the relying party `rp_id` (a domain: the origin's host or a parent of it),
    /// shown to people as `rp_name`, used from `origin` (`https://…`, or `http://localhost:…`
    /// in development).
    pub fn new(
        rp_id: &str,
        rp_name: &str,
        origin: &Url,
        store: Arc<dyn PasskeyStore>,
        ephemeral: Arc<dyn EphemeralStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, PasskeyError> {
        let secure = origin.scheme() == "https"
            || (origin.scheme() == "http" && origin.host_str() == Some("localhost"));
        if !secure {
            return Err(PasskeyError::Unavailable(format!(
                "the passkey origin {origin} is neither https nor http://localhost"
            )));
        }
        let webauthn = WebauthnBuilder::new(rp_id, origin)
            .map_err(|_| {
                PasskeyError::Unavailable(format!(
                    "the passkey relying party id {rp_id:?} is not the domain of {origin} or a parent of it"
                ))
            })?
            .rp_name(rp_name)
            .timeout(CEREMONY_LIFETIME)
            .build()
            .map_err(unavailable("passkey configuration"))?;
        Ok(Self {
            webauthn: Arc::new(webauthn),
            store,
            ephemeral,
            clock,
        })
    }

    fn key(ceremony: &str) -> Key {
        Key::new(NAMESPACE, ceremony)
    }

    async fn put(&self, ceremony_key: &str, ceremony: &Ceremony) -> Result<(), PasskeyError> {
        if ceremony_key.is_empty() {
            return Err(PasskeyError::Unavailable("an empty ceremony key".into()));
        }
        let value = serde_json::to_vec(ceremony)
            .map_err(|e| PasskeyError::Unavailable(format!("ceremony state: {e}")))?;
        self.ephemeral
            .put(&Self::key(ceremony_key), &value, CEREMONY_LIFETIME)
            .await
            .map_err(|e| PasskeyError::Unavailable(e.to_string()))
    }

    /// Takes a ceremony's state: it is gone afterwards, whatever happens next.
    async fn take(&self, ceremony_key: &str) -> Result<Ceremony, PasskeyError> {
        if ceremony_key.is_empty() {
            return Err(Refusal::Challenge.into());
        }
        let value = self
            .ephemeral
            .take(&Self::key(ceremony_key))
            .await
            .map_err(|e| PasskeyError::Unavailable(e.to_string()))?
            .ok_or(Refusal::Challenge)?;
        serde_json::from_slice(&value)
            .map_err(|_| PasskeyError::Unavailable("unreadable ceremony state".into()))
    }

    /// Starts registering a passkey for a citizen, under the caller's `ceremony` key: the
    /// `CreationChallengeResponse` (`{"publicKey": {…}}`) for `navigator.credentials.create`.
    /// The citizen's registered credentials are excluded, so an authenticator that holds one
    /// declines instead of making a second. `user_name` and `display_name` are shown by the
    /// authenticator (never the registry number in clear unless the caller chooses so).
    #[tracing::instrument(name = "passkeys.start_registration", skip_all)]
    pub async fn start_registration(
        &self,
        ceremony: &str,
        citizen_id: Uuid,
        user_name: &str,
        display_name: &str,
    ) -> Result<serde_json::Value, PasskeyError> {
        let existing = self.store.of_citizen(citizen_id).await?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(PasskeyError::TooMany);
        }
        let exclude: Vec<CredentialID> = existing
            .iter()
            .filter_map(|p| URL_SAFE_NO_PAD.decode(&p.credential_id).ok())
            .map(CredentialID::from)
            .collect();
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(citizen_id, user_name, display_name, Some(exclude))
            .map_err(unavailable("starting a registration"))?;
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            // webauthn-rs asks for "discouraged"; the usernameless login needs discoverable
            // credentials. Only the options change: webauthn-rs does not check this at finish.
            selection.resident_key = Some(ResidentKeyRequirement::Preferred);
            selection.require_resident_key = false;
        }
        self.put(ceremony, &Ceremony::Register { citizen_id, state })
            .await?;
        serde_json::to_value(&options)
            .map_err(|e| PasskeyError::Unavailable(format!("registration options: {e}")))
    }

    /// Finishes a registration with the browser's response (the JSON of a
    /// `RegisterPublicKeyCredential`) and stores the passkey as `name`. A bad name is refused
    /// before the ceremony is taken, so the same response can be sent again with a good one.
    #[tracing::instrument(name = "passkeys.finish_registration", skip_all)]
    pub async fn finish_registration(
        &self,
        ceremony: &str,
        citizen_id: Uuid,
        response: &str,
        name: &str,
    ) -> Result<PasskeyInfo, PasskeyError> {
        let name = check_name(name)?;
        let state = match self.take(ceremony).await? {
            Ceremony::Register {
                citizen_id: started_for,
                state,
            } if started_for == citizen_id => state,
            _ => return Err(Refusal::Challenge.into()),
        };
        let response: RegisterPublicKeyCredential =
            serde_json::from_str(response).map_err(|_| Refusal::Malformed)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&response, &state)
            .map_err(|e| refused(&e))?;
        let credential_id = credential_id_text(passkey.cred_id().as_slice());
        if self.store.by_credential_id(&credential_id).await?.is_some() {
            return Err(Refusal::Duplicate.into());
        }
        if self.store.of_citizen(citizen_id).await?.len() >= MAX_PASSKEYS {
            return Err(PasskeyError::TooMany);
        }
        let internals = Credential::from(passkey.clone());
        let credential = serde_json::to_string(&passkey)
            .map_err(|e| PasskeyError::Unavailable(format!("credential: {e}")))?;
        let stored = StoredPasskey {
            id: Uuid::new_v4(),
            citizen_id,
            credential_id,
            name,
            credential,
            counter: i64::from(internals.counter),
            backup_eligible: internals.backup_eligible,
            backed_up: internals.backup_state,
            created_at: self.clock.now().trunc_subsecs(6),
            last_used_at: None,
        };
        if !self.store.insert(&stored).await? {
            // Registered meanwhile, on this node or another.
            return Err(Refusal::Duplicate.into());
        }
        Ok(PasskeyInfo::from(&stored))
    }

    /// Starts a login under the caller's `ceremony` key: the `RequestChallengeResponse`
    /// (`{"publicKey": {…}, "mediation": …}`) for `navigator.credentials.get`. With a citizen
    /// (the registry number was entered), that citizen's credentials are the allowed ones, and
    /// a citizen without passkeys is [`PasskeyError::NotFound`]; without, any discoverable
    /// credential may answer (usernameless; `mediation` is `"conditional"` for autofill).
    #[tracing::instrument(name = "passkeys.start_login", skip_all)]
    pub async fn start_login(
        &self,
        ceremony: &str,
        citizen_id: Option<Uuid>,
    ) -> Result<serde_json::Value, PasskeyError> {
        let (options, state) = match citizen_id {
            Some(citizen_id) => {
                let mut passkeys = Vec::new();
                for stored in self.store.of_citizen(citizen_id).await? {
                    match read_passkey(&stored) {
                        Ok(passkey) => passkeys.push(passkey),
                        // One unreadable passkey does not keep the citizen from the others.
                        Err(_) => {
                            tracing::error!(passkey = %stored.id, "a stored passkey does not read");
                        }
                    }
                }
                if passkeys.is_empty() {
                    return Err(PasskeyError::NotFound);
                }
                let (options, state) = self
                    .webauthn
                    .start_passkey_authentication(&passkeys)
                    .map_err(unavailable("starting a login"))?;
                (options, Ceremony::Login { citizen_id, state })
            }
            None => {
                let (options, state) = self
                    .webauthn
                    .start_discoverable_authentication()
                    .map_err(unavailable("starting a login"))?;
                (options, Ceremony::Discover { state })
            }
        };
        self.put(ceremony, &state).await?;
        serde_json::to_value(&options)
            .map_err(|e| PasskeyError::Unavailable(format!("login options: {e}")))
    }

    /// Finishes a login with the browser's response (the JSON of a `PublicKeyCredential`):
    /// who logged in, with which passkey. The passkey's counter, backup state and last use are
    /// recorded.
    #[tracing::instrument(name = "passkeys.finish_login", skip_all)]
    pub async fn finish_login(
        &self,
        ceremony: &str,
        response: &str,
    ) -> Result<PasskeyLogin, PasskeyError> {
        let ceremony = self.take(ceremony).await?;
        let response: PublicKeyCredential =
            serde_json::from_str(response).map_err(|_| Refusal::Malformed)?;
        let credential_id = credential_id_text(response.get_credential_id());
        let stored = self
            .store
            .by_credential_id(&credential_id)
            .await?
            .ok_or(Refusal::UnknownCredential)?;
        let mut passkey = read_passkey(&stored)?;
        let result = self.verify(ceremony, &response, &stored, &passkey)?;
        if !result.user_verified() {
            return Err(Refusal::UserVerification.into());
        }
        // Against the counter stored now: the ceremony's copy may be older than another login.
        let counter = i64::from(result.counter());
        if (counter != 0 || stored.counter != 0) && counter <= stored.counter {
            return Err(Refusal::Counter.into());
        }
        passkey
            .update_credential(&result)
            .ok_or(Refusal::UnknownCredential)?;
        let internals = Credential::from(passkey.clone());
        let used = PasskeyUse {
            credential: serde_json::to_string(&passkey)
                .map_err(|e| PasskeyError::Unavailable(format!("credential: {e}")))?,
            counter: i64::from(internals.counter),
            backup_eligible: internals.backup_eligible,
            backed_up: internals.backup_state,
            at: self.clock.now().trunc_subsecs(6),
        };
        if !self
            .store
            .record_use(stored.id, stored.counter, &used)
            .await?
        {
            // Another login with this credential finished first (or it was removed).
            return Err(match self.store.by_credential_id(&credential_id).await? {
                Some(_) => Refusal::Counter,
                None => Refusal::UnknownCredential,
            }
            .into());
        }
        Ok(PasskeyLogin {
            citizen_id: stored.citizen_id,
            passkey_id: stored.id,
            backup_eligible: used.backup_eligible,
            user_verified: result.user_verified(),
        })
    }

    /// Checks an assertion against its ceremony: the citizen binding, then webauthn-rs's
    /// checks (challenge, origin, relying party, flags, signature, counter).
    fn verify(
        &self,
        ceremony: Ceremony,
        response: &PublicKeyCredential,
        stored: &StoredPasskey,
        passkey: &Passkey,
    ) -> Result<AuthenticationResult, PasskeyError> {
        let handle = response.get_user_unique_id();
        match ceremony {
            Ceremony::Login { citizen_id, state } => {
                let handle_differs = handle.is_some_and(|h| h != citizen_id.as_bytes());
                if stored.citizen_id != citizen_id || handle_differs {
                    return Err(Refusal::OtherCitizen.into());
                }
                self.webauthn
                    .finish_passkey_authentication(response, &state)
                    .map_err(|e| refused(&e))
            }
            Ceremony::Discover { state } => {
                let handle = handle
                    .and_then(|h| Uuid::from_slice(h).ok())
                    .ok_or(Refusal::Malformed)?;
                if handle != stored.citizen_id {
                    return Err(Refusal::OtherCitizen.into());
                }
                self.webauthn
                    .finish_discoverable_authentication(
                        response,
                        state,
                        &[DiscoverableKey::from(passkey)],
                    )
                    .map_err(|e| refused(&e))
            }
            Ceremony::Register { .. } => Err(Refusal::Challenge.into()),
        }
    }

    /// A citizen's passkeys, oldest first.
    pub async fn list(&self, citizen_id: Uuid) -> Result<Vec<PasskeyInfo>, PasskeyError> {
        Ok(self
            .store
            .of_citizen(citizen_id)
            .await?
            .iter()
            .map(PasskeyInfo::from)
            .collect())
    }

    /// Renames one of a citizen's passkeys.
    pub async fn rename(&self, citizen_id: Uuid, id: Uuid, name: &str) -> Result<(), PasskeyError> {
        let name = check_name(name)?;
        if !self.store.rename(id, citizen_id, &name).await? {
            return Err(PasskeyError::NotFound);
        }
        Ok(())
    }

    /// Removes one of a citizen's passkeys; a login already started with it fails.
    pub async fn remove(&self, citizen_id: Uuid, id: Uuid) -> Result<(), PasskeyError> {
        if !self.store.remove(id, citizen_id).await? {
            return Err(PasskeyError::NotFound);
        }
        Ok(())
    }
}
