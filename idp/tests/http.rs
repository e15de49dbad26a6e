//! The public listener, in process: health and readiness, the edge every request passes
//! through (security headers, request ids, the body limit), and preparing a node on the
//! embedded default.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use idp::clock::SystemClock;
use idp::config::Config;
use idp::ephemeral::{EphemeralStore, MemoryStore, RedisStore};
use idp::http::{AppState, EdgePolicy, routes};
use idp::server;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::test::{TestClient, TestResponse};
use poem::{Body, Endpoint};
use tokio::io::AsyncReadExt;

const BODY_LIMIT: usize = 1024;

/// The development policy: plain http, so no HSTS.
fn plain_http() -> EdgePolicy {
    EdgePolicy {
        body_limit_bytes: BODY_LIMIT,
        hsts: false,
    }
}

/// The public routes on a fresh SQLite database and `store`. Keep the folder alive as long as
/// the client.
async fn app_with_store(
    policy: EdgePolicy,
    store: Arc<dyn EphemeralStore>,
) -> (tempfile::TempDir, TestClient<impl Endpoint>) {
    let dir = tempfile::tempdir().unwrap();
    let database = support::sqlite_database(&dir).await;
    let env = HashMap::from([("IDP_DATA_DIR".to_owned(), dir.path().display().to_string())]);
    let config = Config::load(None, &env).unwrap();
    let provider = server::build_provider(&config, &database, store.clone(), Arc::new(SystemClock))
        .await
        .unwrap();
    let state = AppState {
        database,
        store,
        backend_timeout: Duration::from_secs(1),
    };
    (
        dir,
        TestClient::new(routes(state, Arc::new(provider), policy)),
    )
}

async fn app(policy: EdgePolicy) -> (tempfile::TempDir, TestClient<impl Endpoint>) {
    app_with_store(
        policy,
        Arc::new(MemoryStore::new(1_000, Arc::new(SystemClock))),
    )
    .await
}

fn header<'a>(response: &'a TestResponse, name: &str) -> Option<&'a str> {
    response
        .0
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("header is text"))
}

#[track_caller]
fn assert_security_headers(response: &TestResponse) {
    let csp = header(response, "content-security-policy").expect("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "CSP {csp:?}");
    assert!(csp.contains("default-src 'none'"), "CSP {csp:?}");
    response.assert_header("x-content-type-options", "nosniff");
    response.assert_header("x-frame-options", "DENY");
    response.assert_header("referrer-policy", "no-referrer");
    response.assert_header("cache-control", "no-store");
    response.assert_header_exist("x-request-id");
}

/// A request id the edge made itself: a UUID in simple form.
#[track_caller]
fn assert_generated_request_id(response: &TestResponse, not: &str) {
    let id = header(response, "x-request-id").expect("x-request-id");
    assert_ne!(id, not, "the incoming id was not replaced");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "generated id {id:?}"
    );
}

// ---- health and readiness ----------------------------------------------------------------

#[tokio::test]
async fn healthz_says_the_process_is_up() {
    let (_dir, client) = app(plain_http()).await;
    let response = client.get("/healthz").send().await;
    response.assert_status_is_ok();
    response
        .assert_json(serde_json::json!({ "status": "up" }))
        .await;
}

#[tokio::test]
async fn readyz_is_200_when_the_database_and_the_store_answer() {
    let (_dir, client) = app(plain_http()).await;
    let response = client.get("/readyz").send().await;
    response.assert_status_is_ok();
    response
        .assert_json(serde_json::json!({ "status": "ready", "database": "ok", "store": "ok" }))
        .await;
}

#[tokio::test]
async fn readyz_is_503_quickly_with_a_reason_when_the_store_does_not_answer() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let store = RedisStore::new(
        &format!("redis://127.0.0.1:{closed_port}/"),
        "readyz",
        Duration::from_millis(300),
    )
    .unwrap();
    let (_dir, client) = app_with_store(plain_http(), Arc::new(store)).await;

    let response = tokio::time::timeout(Duration::from_secs(5), client.get("/readyz").send())
        .await
        .expect("/readyz answers within 5 s while the store is down");
    response.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_security_headers(&response);
    let body = response.json().await;
    let body = body.value().object();
    body.get("status").assert_string("unavailable");
    body.get("database").assert_string("ok");
    body.get("store").assert_string("unavailable");
    let reason = body.get("reason").string();
    assert!(
        reason.contains("store"),
        "reason {reason:?} names the store"
    );
    assert!(
        !reason.contains("database"),
        "reason {reason:?} blames only the store"
    );
}

// ---- security headers ------------------------------------------------------------------------

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (_dir, client) = app(plain_http()).await;
    for path in ["/healthz", "/readyz"] {
        let response = client.get(path).send().await;
        response.assert_status_is_ok();
        assert_security_headers(&response);
        response.assert_header_is_not_exist("strict-transport-security");
    }
}

#[tokio::test]
async fn unknown_paths_are_404_with_the_security_headers() {
    let (_dir, client) = app(plain_http()).await;
    let response = client.get("/no/such/page").send().await;
    response.assert_status(StatusCode::NOT_FOUND);
    assert_security_headers(&response);
}

#[tokio::test]
async fn hsts_is_sent_only_when_the_policy_asks_for_it() {
    let (_dir, https) = app(EdgePolicy {
        body_limit_bytes: BODY_LIMIT,
        hsts: true,
    })
    .await;
    for path in ["/healthz", "/no/such/page"] {
        let response = https.get(path).send().await;
        let hsts = header(&response, "strict-transport-security").expect("HSTS on an https issuer");
        assert!(hsts.starts_with("max-age="), "HSTS {hsts:?}");
        assert_security_headers(&response);
    }

    let (_dir, http) = app(plain_http()).await;
    http.get("/healthz")
        .send()
        .await
        .assert_header_is_not_exist("strict-transport-security");
}

// ---- request ids -----------------------------------------------------------------------------

#[tokio::test]
async fn a_plain_incoming_request_id_is_echoed() {
    let (_dir, client) = app(plain_http()).await;
    for id in ["abc-123_DEF.456", &"a".repeat(64)] {
        let response = client
            .get("/healthz")
            .header("x-request-id", id)
            .send()
            .await;
        response.assert_header("x-request-id", id);
    }
}

#[tokio::test]
async fn a_request_without_an_id_gets_a_generated_one() {
    let (_dir, client) = app(plain_http()).await;
    let response = client.get("/healthz").send().await;
    assert_generated_request_id(&response, "");
}

#[tokio::test]
async fn an_incoming_request_id_with_bad_characters_is_replaced() {
    let (_dir, client) = app(plain_http()).await;
    for id in ["abc def", "<script>", "id;drop", "a/b", "ünïcode"] {
        // Raw bytes, so that the non-ASCII id is sent as it is (obs-text).
        let value = HeaderValue::from_bytes(id.as_bytes()).unwrap();
        let response = client
            .get("/healthz")
            .header("x-request-id", value)
            .send()
            .await;
        assert_generated_request_id(&response, id);
    }
}

#[tokio::test]
async fn an_incoming_request_id_over_64_characters_is_replaced() {
    let (_dir, client) = app(plain_http()).await;
    let id = "a".repeat(65);
    let response = client
        .get("/healthz")
        .header("x-request-id", &id)
        .send()
        .await;
    assert_generated_request_id(&response, &id);
}

// ---- the body limit ----------------------------------------------------------------------------

#[tokio::test]
async fn a_body_declared_over_the_limit_is_413() {
    let (_dir, client) = app(plain_http()).await;
    let response = client
        .post("/healthz")
        .header("content-length", (BODY_LIMIT + 1).to_string())
        .body(vec![b'x'; BODY_LIMIT + 1])
        .send()
        .await;
    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_security_headers(&response);
}

#[tokio::test]
async fn a_body_declared_within_the_limit_passes_the_edge() {
    let (_dir, client) = app(plain_http()).await;
    let response = client
        .post("/healthz")
        .header("content-length", BODY_LIMIT.to_string())
        .body(vec![b'x'; BODY_LIMIT])
        .send()
        .await;
    // Past the edge, /healthz answers that it takes no POST.
    response.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    assert_security_headers(&response);
}

#[tokio::test]
async fn a_content_length_that_is_not_a_number_is_400() {
    let (_dir, client) = app(plain_http()).await;
    let response = client
        .post("/healthz")
        .header("content-length", "lots")
        .body("x")
        .send()
        .await;
    response.assert_status(StatusCode::BAD_REQUEST);
    assert_security_headers(&response);
}

/// A chunked body of `size` bytes, as a stream with no `Content-Length`.
fn chunked(size: usize) -> Body {
    Body::from_async_read(tokio::io::repeat(b'x').take(size as u64))
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413() {
    let (_dir, client) = app(plain_http()).await;
    // The test client sends no framing headers of its own; a real HTTP/1.1 client sends this.
    let response = client
        .request(Method::POST, "/healthz")
        .header("transfer-encoding", "chunked")
        .body(chunked(BODY_LIMIT * 4))
        .send()
        .await;
    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_security_headers(&response);
}

#[tokio::test]
async fn a_chunked_body_within_the_limit_passes_the_edge() {
    let (_dir, client) = app(plain_http()).await;
    let response = client
        .request(Method::POST, "/healthz")
        .header("transfer-encoding", "chunked")
        .body(chunked(BODY_LIMIT))
        .send()
        .await;
    response.assert_status(StatusCode::METHOD_NOT_ALLOWED);
}

// ---- preparing a node on the embedded default -------------------------------------------------

#[tokio::test]
async fn a_first_start_creates_the_database_with_the_demo_citizens_and_a_second_reuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let env: HashMap<String, String> =
        [("IDP_DATA_DIR".to_owned(), dir.path().display().to_string())]
            .into_iter()
            .collect();
    let config = Config::load(None, &env).unwrap();
    let public = "127.0.0.1:8080".parse().unwrap();

    let first = server::prepare(&config, false).await.unwrap();
    assert!(first.database_created);
    assert_eq!(first.citizens, 3);
    assert!(
        !first.migrations_applied.is_empty(),
        "the new database was migrated"
    );
    let banner = server::banner(&config, &first, public);
    assert!(
        banner.contains("  listening on http://127.0.0.1:8080"),
        "{banner}"
    );
    assert!(
        banner.contains(&format!(
            "SQLite {}",
            dir.path().join("dan.sqlite").display()
        )),
        "{banner}"
    );
    assert!(banner.contains("(created)"), "{banner}");
    assert!(banner.contains("  citizens     3"), "{banner}");
    assert!(banner.contains("  store        in-process"), "{banner}");
    assert!(banner.contains("demo citizens"), "{banner}");
    first.state.database.close().await.unwrap();

    let second = server::prepare(&config, false).await.unwrap();
    assert!(!second.database_created);
    assert!(
        second.migrations_applied.is_empty(),
        "nothing left to migrate"
    );
    let banner = server::banner(&config, &second, public);
    assert!(banner.contains("(existing)"), "{banner}");
    assert!(
        banner.contains("  citizens     3"),
        "seeding again adds nobody: {banner}"
    );
    assert!(!banner.contains("migrations"), "{banner}");
    second.state.database.close().await.unwrap();
}
