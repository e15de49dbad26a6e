//! The JWKS cache: fetched lazily, kept for the `max-age` the issuer sends, refreshed early
//! when a token names an unknown `kid` (at most once per `min_refresh_interval`), with
//! concurrent refreshes coalesced into one request.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::error::VerifyError;
use super::keys::{KeySet, PublicKey};
use crate::http::{Fetch, get_capped};

/// How long keys are kept when the issuer sends no `max-age`.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
/// The shortest time keys are kept, whatever the issuer says.
const MIN_MAX_AGE: Duration = Duration::from_secs(60);
/// The longest time keys are kept, whatever the issuer says.
const MAX_MAX_AGE: Duration = Duration::from_secs(86_400);
/// The largest JWKS document read.
const MAX_JWKS_BYTES: usize = 1 << 20;

/// Where keys come from when they are not static.
struct Source {
    http: reqwest::Client,
    uri: String,
    min_refresh_interval: Duration,
}

/// The keys in use and how long they may be.
struct Snapshot {
    keys: KeySet,
    /// `None` for static keys, which never expire.
    expires_at: Option<Instant>,
    /// Counts fetches, so a task that waited for a refresh knows one happened.
    generation: u64,
}

impl Snapshot {
    fn is_fresh(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

/// What the refresh lock guards: when the last fetch was tried, and whether it failed.
#[derive(Default)]
struct Attempts {
    last: Option<Instant>,
    last_failure: Option<VerifyError>,
}

/// The cache.
pub(crate) struct KeyCache {
    /// `None` for static keys.
    source: Option<Source>,
    current: RwLock<Arc<Snapshot>>,
    refresh: tokio::sync::Mutex<Attempts>,
}

impl KeyCache {
    /// A cache that fetches from `uri` when first needed.
    pub(crate) fn remote(
        http: reqwest::Client,
        uri: String,
        min_refresh_interval: Duration,
    ) -> Self {
        Self::new(
            Some(Source {
                http,
                uri,
                min_refresh_interval,
            }),
            KeySet::default(),
            Some(Instant::now()),
        )
    }

    /// A cache of fixed keys that never fetches.
    pub(crate) fn fixed(keys: KeySet) -> Self {
        Self::new(None, keys, None)
    }

    fn new(source: Option<Source>, keys: KeySet, expires_at: Option<Instant>) -> Self {
        let snapshot = Snapshot {
            keys,
            expires_at,
            generation: 0,
        };
        Self {
            source,
            current: RwLock::new(Arc::new(snapshot)),
            refresh: tokio::sync::Mutex::new(Attempts::default()),
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock still holds a whole snapshot: writers only swap the Arc.
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn install(&self, snapshot: Snapshot) {
        let snapshot = Arc::new(snapshot);
        match self.current.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }

    /// The key named `kid`: from the cache while it is fresh; otherwise, or when the cache
    /// lacks `kid`, after one refresh (rate-limited and coalesced).
    pub(crate) async fn key(&self, kid: &str) -> Result<Arc<PublicKey>, VerifyError> {
        let seen = self.snapshot();
        let now = Instant::now();
        if seen.is_fresh(now)
            && let Some(key) = seen.keys.get(kid)
        {
            return Ok(key);
        }
        let Some(source) = &self.source else {
            return Err(VerifyError::UnknownKey);
        };
        let mut attempts = self.refresh.lock().await;
        let now = Instant::now();
        let current = self.snapshot();
        if current.generation != seen.generation && current.is_fresh(now) {
            // Another task refreshed while this one waited: its answer is ours.
            return current.keys.get(kid).ok_or(VerifyError::UnknownKey);
        }
        let recently = attempts
            .last
            .is_some_and(|at| now.duration_since(at) < source.min_refresh_interval);
        if recently {
            if let Some(failure) = &attempts.last_failure {
                return Err(failure.clone());
            }
            if current.is_fresh(now) {
                return Err(VerifyError::UnknownKey);
            }
        }
        let fetched = self
            .fetch(source, &mut attempts, current.generation)
            .await?;
        fetched.keys.get(kid).ok_or(VerifyError::UnknownKey)
    }

    /// Fetches the keys now, whatever the cache holds. Static keys are left as they are.
    pub(crate) async fn refresh(&self) -> Result<(), VerifyError> {
        let Some(source) = &self.source else {
            return Ok(());
        };
        let mut attempts = self.refresh.lock().await;
        let generation = self.snapshot().generation;
        self.fetch(source, &mut attempts, generation)
            .await
            .map(|_| ())
    }

    async fn fetch(
        &self,
        source: &Source,
        attempts: &mut Attempts,
        generation: u64,
    ) -> Result<Arc<Snapshot>, VerifyError> {
        attempts.last = Some(Instant::now());
        match download(source).await {
            Ok((keys, max_age)) => {
                attempts.last_failure = None;
                self.install(Snapshot {
                    keys,
                    expires_at: Some(Instant::now() + max_age),
                    generation: generation.wrapping_add(1),
                });
                Ok(self.snapshot())
            }
            Err(error) => {
                attempts.last_failure = Some(error.clone());
                Err(error)
            }
        }
    }
}

/// GETs the JWKS and reads how long it may be kept.
async fn download(source: &Source) -> Result<(KeySet, Duration), VerifyError> {
    let accept = "application/jwk-set+json, application/json";
    let (body, cache_control) = get_capped(&source.http, &source.uri, accept, MAX_JWKS_BYTES)
        .await
        .map_err(|failure| match failure {
            Fetch::Unavailable(reason) => VerifyError::JwksUnavailable(reason),
            Fetch::TooLarge => VerifyError::BadJwks("the document is larger than 1 MiB"),
        })?;
    Ok((KeySet::parse(&body)?, max_age(cache_control.as_deref())))
}

/// How long a response may be kept according to its `Cache-Control` (RFC 9111 5.2.2.1),
/// clamped to 60 s ..= 1 day; 300 s when it does not say. `no-store` and `no-cache` mean the
/// minimum.
pub(crate) fn max_age(cache_control: Option<&str>) -> Duration {
    let mut age = DEFAULT_MAX_AGE;
    for directive in cache_control.unwrap_or_default().split(',') {
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return MIN_MAX_AGE;
        }
        if name.eq_ignore_ascii_case("max-age")
            && let Some(seconds) = value.and_then(|v| v.parse::<u64>().ok())
        {
            age = Duration::from_secs(seconds);
        }
    }
    age.clamp(MIN_MAX_AGE, MAX_MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_and_clamped_rfc9111_5_2_2_1() {
        let secs = |v: Option<&str>| max_age(v).as_secs();
        assert_eq!(secs(None), 300);
        assert_eq!(secs(Some("public, max-age=300")), 300);
        assert_eq!(secs(Some("Max-Age=\"900\", public")), 900);
        assert_eq!(secs(Some("max-age=5")), 60);
        assert_eq!(secs(Some("max-age=99999999")), 86_400);
        assert_eq!(secs(Some("max-age=-1")), 300);
        assert_eq!(secs(Some("max-age=soon")), 300);
        assert_eq!(secs(Some("no-store")), 60);
        assert_eq!(secs(Some("public, no-cache, max-age=900")), 60);
    }
}
