//! The Redis short-lived store for production: shared by every node.
//!
//! One [`ConnectionManager`] multiplexes every request over one connection and reconnects by
//! itself with backoff when Redis goes away; it is created lazily, so a node starts even while
//! Redis is down and `/readyz` reports 503 until Redis answers. Every command is bounded by a
//! response timeout, so a request fails fast instead of hanging while Redis is away.
//!
//! Needs Redis 6.2 or later (`GETDEL`, `SET … PX … NX`).

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};

use super::{EphemeralStore, Key, StoreError, check_ttl, check_value};

/// `INCR` that sets the expiry on the first increment only: a fixed window, atomically.
const INCREMENT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
";

/// The Redis store.
pub struct RedisStore {
    manager: ConnectionManager,
    prefix: String,
    target: String,
    increment: Script,
    timeout: Duration,
}

impl RedisStore {
    /// Prepares a store on `url` (`redis://` or `rediss://`), with every key under `prefix`.
    /// No connection is made until the first command.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, StoreError> {
        let client = Client::open(url).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let target = describe_url(url);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self {
            manager,
            prefix: prefix.to_owned(),
            target,
            increment: Script::new(INCREMENT_SCRIPT),
            timeout,
        })
    }

    fn key(&self, key: &Key) -> String {
        key.render(&self.prefix)
    }

    /// Runs one command.
    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        let mut conn = self.manager.clone();
        self.bounded(cmd.query_async::<T>(&mut conn)).await
    }

    /// Awaits a Redis call for at most the timeout. The connection manager bounds each attempt
    /// too, but it may retry a reconnection: this bounds the whole call as a request sees it.
    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result.map_err(classify),
            Err(_) => Err(StoreError::Unavailable(
                "Redis did not answer in time".into(),
            )),
        }
    }
}

/// A value of the wrong kind under a key (`WRONGTYPE`, or a counter that is not a number) is
/// `Invalid`, as the in-process store reports it; everything else — a lost connection, but also
/// `NOAUTH`, `READONLY` after a failover, `LOADING`, `BUSY` — means Redis cannot serve now and
/// is `Unavailable`.
fn classify(err: redis::RedisError) -> StoreError {
    let wrong_kind = err.code() == Some("WRONGTYPE")
        || (err.code() == Some("ERR")
            && err.detail().is_some_and(|d| d.contains("not an integer")));
    if wrong_kind {
        tracing::warn!(error = %err, "Redis refused a value of the wrong kind");
        StoreError::Invalid("the key holds a value of another kind")
    } else {
        StoreError::Unavailable(err.to_string())
    }
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// `redis://host:port/db` without credentials, for the startup banner.
fn describe_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => format!(
            "{}://{}:{}{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or("?"),
            parsed.port().unwrap_or(6379),
            parsed.path()
        ),
        Err(_) => "redis (unparsable URL)".to_owned(),
    }
}

#[async_trait]
impl EphemeralStore for RedisStore {
    async fn put(&self, key: &Key, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        check_value(value, ttl)?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value).arg("PX").arg(millis(ttl));
        self.run::<()>(&cmd).await
    }

    async fn put_new(&self, key: &Key, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        check_value(value, ttl)?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .arg("NX");
        let reply: Option<String> = self.run(&cmd).await?;
        Ok(reply.is_some())
    }

    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        self.run(redis::cmd("GET").arg(self.key(key))).await
    }

    async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        self.run(redis::cmd("GETDEL").arg(self.key(key))).await
    }

    async fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        let removed: u64 = self.run(redis::cmd("DEL").arg(self.key(key))).await?;
        Ok(removed > 0)
    }

    async fn touch(&self, key: &Key, ttl: Duration) -> Result<bool, StoreError> {
        check_ttl(ttl)?;
        // PEXPIRE sets nothing on a missing key: 1 when it was there, 0 otherwise.
        let set: u64 = self
            .run(redis::cmd("PEXPIRE").arg(self.key(key)).arg(millis(ttl)))
            .await?;
        Ok(set == 1)
    }

    async fn increment(&self, key: &Key, ttl: Duration) -> Result<u64, StoreError> {
        check_ttl(ttl)?;
        let mut conn = self.manager.clone();
        let mut invocation = self.increment.key(self.key(key));
        invocation.arg(millis(ttl));
        self.bounded(invocation.invoke_async::<u64>(&mut conn))
            .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let reply: String = self.run(&redis::cmd("PING")).await?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "unexpected PING reply {reply:?}"
            )))
        }
    }

    fn describe(&self) -> String {
        self.target.clone()
    }
}
