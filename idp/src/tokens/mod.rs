//! Tokens: what a grant is, and the tokens made from it.
//!
//! - **ID tokens** (OpenID Connect Core 2): `iss`, `sub`, `aud`, `exp`, `iat`, `auth_time`,
//!   `nonce`, `acr`, `amr`, `sid`, `azp`; signed with the client's algorithm (ES256 by default).
//! - **Access tokens** are JWTs per RFC 9068 (`typ: at+jwt`, `client_id`, `scope`, `jti`, `aud`).
//!   The citizen's internal id travels sealed (AES-256-GCM) in the private `ctx` claim, so DAN's
//!   userinfo endpoint can find the citizen while resource servers and relying parties learn
//!   nothing from it. A revoked access token's `jti` is kept in the short-lived store until the
//!   token would have expired.
//! - **Refresh tokens** are opaque (256 random bits), stored only as a SHA-256 digest, rotated
//!   at every use; reuse of a rotated token revokes its family ([`refresh`]).

pub mod refresh;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use self::refresh::{RefreshRecord, RefreshStore};
use crate::clients::{Client, SubjectType};
use crate::clock::Clock;
use crate::config::Lifetimes;
use crate::ephemeral::{EphemeralStore, Key};
use crate::jose::{self, Algorithm, Compact};
use crate::keys::KeyRing;
use crate::oauth::{ErrorCode, OAuthError};
use crate::secrets::{Purpose, Secrets};

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

/// The claims of a DAN access token (RFC 9068 section 2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// The citizen's subject for this client, or the client id for client_credentials.
    pub sub: String,
    /// Audience.
    pub aud: Vec<String>,
    /// Expiry.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Space-separated scopes.
    pub scope: String,
    /// When the citizen authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Level of assurance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// SSO session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The citizen's internal id, sealed for DAN alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctx: Option<String>,
}

impl AccessClaims {
    /// The scopes as a list.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|s| !s.is_empty())
    }
}

/// The ID token's claims (OpenID Connect Core 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    /// Issuer.
    pub iss: String,
    /// Subject.
    pub sub: String,
    /// Audience: the client.
    pub aud: String,
    /// Expiry.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// When the citizen authenticated.
    pub auth_time: i64,
    /// The nonce of the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Level of assurance.
    pub acr: String,
    /// Methods.
    pub amr: Vec<String>,
    /// SSO session id.
    pub sid: String,
    /// Authorized party: the client.
    pub azp: String,
}

/// The tokens of one token response.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// The access token.
    pub access_token: String,
    /// Its `jti`.
    pub access_jti: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// The ID token, for grants with `openid`.
    pub id_token: Option<String>,
    /// A refresh token, for clients allowed the refresh grant.
    pub refresh_token: Option<String>,
    /// The refresh family, when a refresh token was issued.
    pub family_id: Option<String>,
    /// Granted scopes, space-separated.
    pub scope: String,
}

/// A refresh family to continue (rotation) or start (first issue).
#[derive(Debug, Clone)]
pub struct Family {
    /// Its id.
    pub id: String,
    /// Its absolute expiry.
    pub expires_at: DateTime<Utc>,
}

const REVOKED: &str = "revoked_jti";

/// Issues and checks tokens.
pub struct Tokens {
    issuer: String,
    lifetimes: Lifetimes,
    keys: Arc<KeyRing>,
    secrets: Arc<Secrets>,
    refresh: Arc<dyn RefreshStore>,
    store: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
    /// Access tokens whose signature was already checked, by digest: a resource server calls
    /// introspection and userinfo with the same token many times, and a hash lookup costs a
    /// hundredth of an ECDSA verification. Expiry and revocation are still checked every time.
    /// Verified signatures: the claims and the key that signed them (a withdrawn key's
    /// tokens stop verifying even when cached).
    verified: Mutex<HashMap<[u8; 32], (AccessClaims, String)>>,
}

/// How many verified access tokens are remembered; beyond it the memory starts over.
const VERIFIED_CACHE: usize = 10_000;

/// SHA-256 of a token, base64url: how opaque tokens and codes are looked up.
pub fn digest(token: &str) -> String {
    jose::encode(&Sha256::digest(token.as_bytes()))
}

impl Tokens {
    /// The token service.
    pub fn new(
        issuer: String,
        lifetimes: Lifetimes,
        keys: Arc<KeyRing>,
        secrets: Arc<Secrets>,
        refresh: Arc<dyn RefreshStore>,
        store: Arc<dyn EphemeralStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            issuer,
            lifetimes,
            keys,
            secrets,
            refresh,
            store,
            clock,
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The key ring.
    pub fn keys(&self) -> &Arc<KeyRing> {
        &self.keys
    }

    /// The subject `citizen` has at `client`: pairwise per sector by default (a keyed hash of
    /// sector and citizen, OpenID Connect Core 8.1), the citizen id for public clients.
    pub fn subject(&self, client: &Client, citizen: Uuid) -> String {
        match (client.subject_type, client.sector()) {
            (SubjectType::Pairwise, Some(sector)) => {
                let mut input = sector.into_bytes();
                input.push(0);
                input.extend_from_slice(citizen.as_bytes());
                self.secrets.keyed_id(Purpose::PairwiseSubject, &input)
            }
            _ => citizen.to_string(),
        }
    }

    /// The session id `client` sees: a keyed hash of the session and the client's sector, so
    /// that two agencies cannot link their pairwise subjects through a shared `sid`.
    pub fn client_sid(&self, client: &Client, sid: &str) -> String {
        let sector = client
            .sector()
            .unwrap_or_else(|| client.id.as_str().to_owned());
        let input = format!("sid\0{sector}\0{sid}");
        self.secrets
            .keyed_id(Purpose::PairwiseSubject, input.as_bytes())[..22]
            .to_owned()
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// Signs an access token for a citizen's grant, or (`grant` = None) for the client itself.
    fn access_token(
        &self,
        client: &Client,
        grant: Option<&Grant>,
        scopes: &[String],
        audience: Vec<String>,
    ) -> Result<(String, String), OAuthError> {
        let now = self.now();
        let jti = jose::random_token(16)?;
        let ctx = grant
            .map(|g| {
                self.secrets
                    .kek
                    .encrypt(g.citizen_id.as_bytes(), b"dan/access-token/ctx")
                    .map(|sealed| jose::encode(&sealed))
            })
            .transpose()?;
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            sub: grant.map_or_else(
                || client.id.as_str().to_owned(),
                |g| self.subject(client, g.citizen_id),
            ),
            aud: audience,
            exp: now + secs(self.lifetimes.access_token),
            iat: now,
            jti: jti.clone(),
            client_id: client.id.as_str().to_owned(),
            scope: scopes.join(" "),
            auth_time: grant.map(|g| g.auth_time),
            acr: grant.map(|g| g.acr.clone()),
            amr: grant.map(|g| g.amr.clone()),
            sid: grant.map(|g| self.client_sid(client, &g.sid)),
            ctx,
        };
        let token = self
            .keys
            .signer(Algorithm::Es256)
            .map_err(|e| OAuthError::internal("no signing key", &e))?;
        Ok((token.sign("at+jwt", &claims)?, jti))
    }

    /// The ID token for `grant`.
    pub fn id_token(
        &self,
        client: &Client,
        grant: &Grant,
        nonce: Option<&str>,
    ) -> Result<String, OAuthError> {
        let now = self.now();
        let claims = IdClaims {
            iss: self.issuer.clone(),
            sub: self.subject(client, grant.citizen_id),
            aud: client.id.as_str().to_owned(),
            exp: now + secs(self.lifetimes.id_token),
            iat: now,
            auth_time: grant.auth_time,
            nonce: nonce.map(str::to_owned),
            acr: grant.acr.clone(),
            amr: grant.amr.clone(),
            sid: self.client_sid(client, &grant.sid),
            azp: client.id.as_str().to_owned(),
        };
        let algorithm = client.id_token_signing_alg.unwrap_or(Algorithm::Es256);
        let key = self
            .keys
            .signer(algorithm)
            .map_err(|e| OAuthError::internal("no signing key", &e))?;
        Ok(key.sign("JWT", &claims)?)
    }

    /// Issues the tokens of a citizen's grant: an access token, an ID token when `openid` was
    /// granted, and a refresh token (continuing `family`, or starting one) when the client may
    /// refresh.
    pub async fn issue(
        &self,
        client: &Client,
        grant: &Grant,
        nonce: Option<&str>,
        family: Option<Family>,
    ) -> Result<TokenSet, OAuthError> {
        let (access_token, access_jti) = self.access_token(
            client,
            Some(grant),
            &grant.scopes,
            vec![self.issuer.clone()],
        )?;
        let id_token = grant
            .scopes
            .iter()
            .any(|s| s == "openid")
            .then(|| self.id_token(client, grant, nonce))
            .transpose()?;
        let may_refresh = client
            .grant_types
            .contains(&crate::clients::GrantType::RefreshToken);
        let (refresh_token, family_id) = if may_refresh {
            let now = self.clock.now();
            let family = family.unwrap_or_else(|| Family {
                id: Uuid::now_v7().simple().to_string(),
                expires_at: now + chrono_duration(self.lifetimes.refresh_token_max),
            });
            let token = jose::random_token(32)?;
            let expires_at =
                (now + chrono_duration(self.lifetimes.refresh_token)).min(family.expires_at);
            self.refresh
                .insert(&RefreshRecord {
                    token_hash: digest(&token),
                    family_id: family.id.clone(),
                    client_id: client.id.as_str().to_owned(),
                    citizen_id: grant.citizen_id,
                    grant: grant.clone(),
                    created_at: now,
                    expires_at,
                    family_expires_at: family.expires_at,
                    rotated_at: None,
                    revoked_at: None,
                })
                .await?;
            (Some(token), Some(family.id))
        } else {
            (None, None)
        };
        Ok(TokenSet {
            access_token,
            access_jti,
            expires_in: self.lifetimes.access_token.as_secs(),
            id_token,
            refresh_token,
            family_id,
            scope: grant.scopes.join(" "),
        })
    }

    /// An access token for the client itself (client_credentials, RFC 6749 4.4).
    pub fn client_token(
        &self,
        client: &Client,
        scopes: &[String],
        audience: Vec<String>,
    ) -> Result<TokenSet, OAuthError> {
        let (access_token, access_jti) = self.access_token(client, None, scopes, audience)?;
        Ok(TokenSet {
            access_token,
            access_jti,
            expires_in: self.lifetimes.access_token.as_secs(),
            id_token: None,
            refresh_token: None,
            family_id: None,
            scope: scopes.join(" "),
        })
    }

    /// Exchanges a refresh token for its successor (RFC 6749 section 6, rotation per RFC 9700
    /// 4.14.2). A token that was already rotated revokes its whole family.
    ///
    /// `record` is the stored token, read by the caller ([`Tokens::find_refresh`]) so that it
    /// can check the citizen first without a second read.
    pub async fn rotate(
        &self,
        client: &Client,
        record: Option<RefreshRecord>,
    ) -> Result<TokenSet, OAuthError> {
        let now = self.clock.now();
        let record = record.ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
        if record.client_id != client.id.as_str() {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if record.revoked_at.is_some() {
            return Err(OAuthError::invalid_grant("the refresh token was revoked"));
        }
        if record.rotated_at.is_some() {
            self.refresh.revoke_family(&record.family_id, now).await?;
            tracing::warn!(client = %client.id, "refresh token reused: family revoked");
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; every token of this login is revoked",
            ));
        }
        if record.expires_at <= now || record.family_expires_at <= now {
            return Err(OAuthError::invalid_grant("the refresh token has expired"));
        }
        if !self.refresh.mark_rotated(&record.token_hash, now).await? {
            // A concurrent rotation won: this presentation is a reuse.
            self.refresh.revoke_family(&record.family_id, now).await?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; every token of this login is revoked",
            ));
        }
        let family = Family {
            id: record.family_id.clone(),
            expires_at: record.family_expires_at,
        };
        // Scopes the client may no longer ask for are dropped from the new tokens.
        let mut grant = record.grant.clone();
        grant.scopes.retain(|s| client.allowed_scopes.contains(s));
        self.issue(client, &grant, None, Some(family)).await
    }

    /// Checks an access token DAN issued: signature by a published key, `typ` at+jwt, issuer,
    /// expiry, and that it was not revoked.
    pub async fn verify_access(&self, token: &str) -> Result<AccessClaims, OAuthError> {
        let invalid = |why: &str| OAuthError::new(ErrorCode::InvalidToken, why);
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned();
        let claims = match cached {
            Some((claims, kid)) if self.keys.publishes(&kid) => claims,
            Some(_) => return Err(invalid("signed by a withdrawn key")),
            None => {
                let (claims, kid) = self.verify_signature(token)?;
                let mut verified = self
                    .verified
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if verified.len() >= VERIFIED_CACHE {
                    verified.clear();
                }
                verified.insert(key, (claims.clone(), kid));
                claims
            }
        };
        if claims.exp <= self.now() {
            return Err(invalid("expired"));
        }
        if self
            .store
            .get(&Key::new(REVOKED, claims.jti.clone()))
            .await?
            .is_some()
        {
            return Err(invalid("revoked"));
        }
        Ok(claims)
    }

    /// Signature by a published key, `typ` at+jwt, and DAN as the issuer.
    fn verify_signature(&self, token: &str) -> Result<(AccessClaims, String), OAuthError> {
        let invalid = |why: &str| OAuthError::new(ErrorCode::InvalidToken, why);
        let parsed = Compact::parse(token).map_err(|_| invalid("malformed token"))?;
        if !parsed
            .header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt"))
        {
            return Err(invalid("not an access token"));
        }
        self.keys
            .verify(&parsed)
            .map_err(|_| invalid("bad signature"))?;
        let claims: AccessClaims = parsed.claims().map_err(|_| invalid("bad claims"))?;
        if claims.iss != self.issuer {
            return Err(invalid("another issuer"));
        }
        let kid = parsed.header.kid.clone().unwrap_or_default();
        Ok((claims, kid))
    }

    /// The citizen an access token speaks for, when it was issued for one.
    pub fn citizen_of(&self, claims: &AccessClaims) -> Option<Uuid> {
        let sealed = jose::decode(claims.ctx.as_deref()?).ok()?;
        let bytes = self
            .secrets
            .kek
            .decrypt(&sealed, b"dan/access-token/ctx")
            .ok()?;
        Uuid::from_slice(&bytes).ok()
    }

    /// Revokes an access token by id until it would have expired.
    pub async fn revoke_access(&self, jti: &str, exp: i64) -> Result<(), OAuthError> {
        let left = exp - self.now();
        if left > 0 {
            self.store
                .put(
                    &Key::new(REVOKED, jti.to_owned()),
                    b"1",
                    Duration::from_secs(left.unsigned_abs()),
                )
                .await?;
        }
        Ok(())
    }

    /// The stored record of a refresh token.
    pub async fn find_refresh(&self, token: &str) -> Result<Option<RefreshRecord>, OAuthError> {
        Ok(self.refresh.find(&digest(token)).await?)
    }

    /// Revokes a refresh family.
    pub async fn revoke_family(&self, family_id: &str) -> Result<(), OAuthError> {
        self.refresh
            .revoke_family(family_id, self.clock.now())
            .await?;
        Ok(())
    }

    /// The current time, from the injected clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 2)
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::seconds(secs(duration))
}
