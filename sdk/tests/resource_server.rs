//! `ResourceServer` against tokens and JWKS made with OpenSSL by the shared test signer
//! (`support`), and a JWKS endpoint served by a tiny HTTP/1.1 server on a loopback port whose
//! answer the tests change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dan_sdk::resource_server::{ResourceServer, ResourceServerConfig, VerifyError};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use self::support::{Signer, b64, jwks};

mod support;

const ISSUER: &str = "https://dan.example";
const AUDIENCE: &str = "https://api.agency.example";
const NOW: u64 = 1_800_000_000;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn claims() -> Value {
    let now = NOW as i64;
    json!({
        "iss": ISSUER, "sub": "citizen-pairwise-1", "aud": [AUDIENCE, "https://dan.example/userinfo"],
        "exp": now + 300, "iat": now, "jti": "jti-1", "client_id": "benefits-app",
        "scope": "openid benefits:read", "auth_time": now - 60, "acr": "urn:dan:loa:substantial",
        "amr": ["otp"], "sid": "session-1", "ctx": "sealed-for-dan", "locale": "fr",
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn config() -> ResourceServerConfig {
    ResourceServerConfig::new(ISSUER, AUDIENCE)
}

fn fixed(config: ResourceServerConfig, signers: &[&Signer]) -> ResourceServer {
    ResourceServer::with_jwks(config, &jwks(signers)).unwrap()
}

async fn refused(server: &ResourceServer, token: &str) -> VerifyError {
    server.verify_at(token, now()).await.unwrap_err()
}

// ---- a tiny JWKS server -------------------------------------------------------------------

struct Reply {
    status: u16,
    cache_control: String,
    body: String,
}

#[derive(Clone)]
struct TestServer {
    url: String,
    requests: Arc<AtomicUsize>,
    reply: Arc<Mutex<Reply>>,
    last_request: Arc<Mutex<String>>,
}

impl TestServer {
    async fn start(body: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Self {
            url: format!("http://{}", listener.local_addr().unwrap()),
            requests: Arc::default(),
            reply: Arc::new(Mutex::new(Reply {
                status: 200,
                cache_control: "public, max-age=300".into(),
                body,
            })),
            last_request: Arc::default(),
        };
        let shared = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(shared.clone().answer(stream));
            }
        });
        server
    }

    async fn answer(self, mut stream: tokio::net::TcpStream) {
        let mut request = Vec::new();
        let mut buffer = [0; 4096];
        loop {
            let Ok(n) = stream.read(&mut buffer).await else {
                return;
            };
            if n == 0 {
                return;
            }
            request.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&request);
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if request.len() >= end + 4 + length {
                    break;
                }
            }
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
        *self.last_request.lock().unwrap() = String::from_utf8_lossy(&request).into_owned();
        let response = {
            let reply = self.reply.lock().unwrap();
            format!(
                "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nCache-Control: {}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                reply.status,
                reply.cache_control,
                reply.body.len(),
                reply.body
            )
        };
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    fn serve(&self, body: String) {
        self.reply.lock().unwrap().body = body;
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn resource_server(&self, min_refresh_interval: Duration) -> ResourceServer {
        let config = config()
            .jwks_uri(format!("{}/jwks", self.url))
            .introspection_endpoint(format!("{}/introspect", self.url))
            .min_refresh_interval(min_refresh_interval);
        ResourceServer::new(config).unwrap()
    }
}

const HOUR: Duration = Duration::from_secs(3600);

// ---- valid tokens -------------------------------------------------------------------------

#[tokio::test]
async fn valid_tokens_of_every_algorithm_verify_rfc9068_4() {
    let signers = [
        Signer::es256("ec"),
        Signer::rs256("rsa"),
        Signer::eddsa("ed"),
    ];
    let server = fixed(config().require_scope("benefits:read"), &signers.each_ref());
    for signer in &signers {
        let token = server
            .verify_at(&signer.sign(&claims()), now())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", signer.alg()));
        assert_eq!(token.sub, "citizen-pairwise-1");
        assert_eq!(token.client_id, "benefits-app");
        assert_eq!(token.scopes, ["openid", "benefits:read"]);
        assert_eq!(token.aud[0], AUDIENCE);
        assert_eq!(token.acr.as_deref(), Some("urn:dan:loa:substantial"));
        assert_eq!(token.amr.as_deref(), Some(&["otp".to_owned()][..]));
        assert_eq!(token.sid.as_deref(), Some("session-1"));
        assert_eq!(token.exp, NOW as i64 + 300);
        assert_eq!(token.extra.get("locale"), Some(&json!("fr")));
        let serialized = serde_json::to_value(&token).unwrap();
        assert!(serialized.get("ctx").is_none() && serialized["extra"].get("ctx").is_none());
    }
}

#[tokio::test]
async fn typ_may_be_the_full_media_type_in_any_case_rfc9068_2_1() {
    let signer = Signer::es256("ec");
    let server = fixed(config(), &[&signer]);
    for typ in ["application/at+jwt", "AT+JWT"] {
        let header = with(signer.header(), "typ", json!(typ));
        assert!(
            server
                .verify_at(&signer.sign_with(&header, &claims()), now())
                .await
                .is_ok()
        );
    }
}

// ---- the header ---------------------------------------------------------------------------

#[tokio::test]
async fn alg_none_is_refused_rfc8725_3_1() {
    let signer = Signer::es256("ec");
    let server = fixed(config(), &[&signer]);
    let header = b64(json!({"alg": "none", "kid": "ec", "typ": "at+jwt"})
        .to_string()
        .as_bytes());
    let token = format!("{header}.{}.", b64(claims().to_string().as_bytes()));
    assert_eq!(
        refused(&server, &token).await,
        VerifyError::UnsupportedAlgorithm("none".into())
    );
    // Even with a signature part present.
    let token = format!("{token}AAAA");
    assert_eq!(
        refused(&server, &token).await,
        VerifyError::UnsupportedAlgorithm("none".into())
    );
}

#[tokio::test]
async fn hmac_algorithms_are_refused_rfc8725_3_1() {
    let signer = Signer::rs256("rsa");
    let server = fixed(config(), &[&signer]);
    for alg in ["HS256", "HS512"] {
        let header = with(signer.header(), "alg", json!(alg));
        let token = signer.sign_with(&header, &claims());
        assert_eq!(
            refused(&server, &token).await,
            VerifyError::UnsupportedAlgorithm(alg.into())
        );
    }
}

#[tokio::test]
async fn a_token_that_is_not_an_access_token_is_refused_rfc9068_4() {
    let signer = Signer::es256("ec");
    let server = fixed(config(), &[&signer]);
    for typ in [json!("JWT"), json!("logout+jwt"), json!(null)] {
        let header = with(signer.header(), "typ", typ);
        let token = signer.sign_with(&header, &claims());
        assert_eq!(refused(&server, &token).await, VerifyError::WrongType);
    }
    let mut header = signer.header();
    header.as_object_mut().unwrap().remove("typ");
    assert_eq!(
        refused(&server, &signer.sign_with(&header, &claims())).await,
        VerifyError::WrongType
    );
}

#[tokio::test]
async fn the_key_decides_the_algorithm_not_the_header() {
    let ec = Signer::es256("ec");
    let rsa = Signer::rs256("rsa");
    let server = fixed(config(), &[&ec, &rsa]);
    // An RS256 signature presented under the EC key's kid.
    let header = json!({"alg": "RS256", "kid": "ec", "typ": "at+jwt"});
    let token = rsa.sign_with(&header, &claims());
    assert_eq!(
        refused(&server, &token).await,
        VerifyError::AlgorithmMismatch
    );
    let header = json!({"alg": "EdDSA", "kid": "rsa", "typ": "at+jwt"});
    assert_eq!(
        refused(&server, &rsa.sign_with(&header, &claims())).await,
        VerifyError::AlgorithmMismatch
    );
}

#[tokio::test]
async fn headers_without_kid_or_with_crit_are_refused() {
    let signer = Signer::es256("ec");
    let server = fixed(config(), &[&signer]);
    let header = json!({"alg": "ES256", "typ": "at+jwt"});
    assert_eq!(
        refused(&server, &signer.sign_with(&header, &claims())).await,
        VerifyError::Malformed("the header has no kid")
    );
    let header = with(signer.header(), "crit", json!(["exp"]));
    assert_eq!(
        refused(&server, &signer.sign_with(&header, &claims())).await,
        VerifyError::Malformed("the header has crit extensions")
    );
}

// ---- signature and shape ------------------------------------------------------------------

#[tokio::test]
async fn a_tampered_payload_or_signature_is_refused() {
    for signer in [
        Signer::es256("ec"),
        Signer::rs256("rsa"),
        Signer::eddsa("ed"),
    ] {
        let server = fixed(config(), &[&signer]);
        let token = signer.sign(&claims());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = b64(with(claims(), "sub", json!("someone-else"))
            .to_string()
            .as_bytes());
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert_eq!(refused(&server, &tampered).await, VerifyError::BadSignature);
        let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        signature[5] ^= 1;
        let tampered = format!("{}.{}.{}", parts[0], parts[1], b64(&signature));
        assert_eq!(refused(&server, &tampered).await, VerifyError::BadSignature);
        let empty = format!("{}.{}.", parts[0], parts[1]);
        assert_eq!(refused(&server, &empty).await, VerifyError::BadSignature);
    }
}

#[tokio::test]
async fn a_huge_token_is_refused_before_any_work() {
    let server = fixed(config(), &[]);
    let token = "a".repeat(16 * 1024 + 1);
    assert_eq!(
        refused(&server, &token).await,
        VerifyError::TooLarge { limit: 16 * 1024 }
    );
}

#[tokio::test]
async fn garbage_is_malformed() {
    let signer = Signer::es256("ec");
    let server = fixed(config(), &[&signer]);
    let token = signer.sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let three = VerifyError::Malformed("a JWS has three dot-separated parts");
    let base64 = VerifyError::Malformed("a part is not base64url without padding");
    for (garbage, expected) in [
        ("", &three),
        ("abc", &three),
        ("a.b", &three),
        (&format!("{token}.extra") as &str, &three),
        ("!!!.???.***", &base64),
        (&format!("{}=.{}.{}", parts[0], parts[1], parts[2]), &base64),
        (&format!("{}.{}.{}+", parts[0], parts[1], parts[2]), &base64),
        (
            "e30.e30.AAAA",
            &VerifyError::Malformed("the header is not a JSON object with an alg"),
        ),
    ] {
        assert_eq!(&refused(&server, garbage).await, expected, "{garbage}");
    }
    let not_json = signer.sign_raw(&signer.header(), b"not json");
    assert_eq!(
        refused(&server, &not_json).await,
        VerifyError::Malformed("the claims are not a JSON object")
    );
    let array = signer.sign_raw(&signer.header(), b"[1]");
    assert_eq!(
        refused(&server, &array).await,
        VerifyError::Malformed("the claims are not a JSON object")
    );
    let missing = signer.sign(&json!({"iss": ISSUER}));
    assert!(matches!(
        refused(&server, &missing).await,
        VerifyError::MissingClaim(_)
    ));
}

// ---- claims -------------------------------------------------------------------------------

#[tokio::test]
async fn the_issuer_must_match_exactly_rfc9068_4() {
    let signer = Signer::es256("ec");
    let server = fixed(config(), &[&signer]);
    for iss in [
        "https://evil.example",
        "https://dan.example/",
        "HTTPS://DAN.EXAMPLE",
    ] {
        let token = signer.sign(&with(claims(), "iss", json!(iss)));
        assert_eq!(
            refused(&server, &token).await,
            VerifyError::WrongIssuer,
            "{iss}"
        );
    }
}

#[tokio::test]
async fn the_audience_must_include_this_api_rfc9068_4() {
    let signer = Signer::es256("ec");
    let server = fixed(config(), &[&signer]);
    let token = signer.sign(&with(claims(), "aud", json!("https://other.example")));
    assert_eq!(refused(&server, &token).await, VerifyError::WrongAudience);
    let token = signer.sign(&with(
        claims(),
        "aud",
        json!(["https://other.example", "x"]),
    ));
    assert_eq!(refused(&server, &token).await, VerifyError::WrongAudience);
    let token = signer.sign(&with(claims(), "aud", json!([])));
    assert_eq!(refused(&server, &token).await, VerifyError::WrongAudience);
    let token = signer.sign(&with(claims(), "aud", json!(AUDIENCE)));
    assert_eq!(
        server.verify_at(&token, now()).await.unwrap().aud,
        [AUDIENCE]
    );
}

#[tokio::test]
async fn expired_tokens_are_refused_beyond_the_leeway_rfc7519_4_1_4() {
    let signer = Signer::eddsa("ed");
    let server = fixed(config().leeway(Duration::from_secs(30)), &[&signer]);
    let now_s = NOW as i64;
    let within = signer.sign(&with(
        with(claims(), "exp", json!(now_s - 29)),
        "iat",
        json!(now_s - 400),
    ));
    assert!(server.verify_at(&within, now()).await.is_ok());
    let beyond = signer.sign(&with(
        with(claims(), "exp", json!(now_s - 30)),
        "iat",
        json!(now_s - 400),
    ));
    assert_eq!(refused(&server, &beyond).await, VerifyError::Expired);
    let strict = fixed(config().leeway(Duration::ZERO), &[&signer]);
    let at_exp = signer.sign(&with(claims(), "exp", json!(now_s)));
    assert_eq!(refused(&strict, &at_exp).await, VerifyError::Expired);
}

#[tokio::test]
async fn tokens_from_the_future_are_not_yet_valid_rfc7519_4_1_5() {
    let signer = Signer::es256("ec");
    let server = fixed(config(), &[&signer]);
    let now_s = NOW as i64;
    let nbf = signer.sign(&with(claims(), "nbf", json!(now_s + 31)));
    assert_eq!(refused(&server, &nbf).await, VerifyError::NotYetValid);
    let iat = signer.sign(&with(claims(), "iat", json!(now_s + 31)));
    assert_eq!(refused(&server, &iat).await, VerifyError::NotYetValid);
    let skewed = signer.sign(&with(
        with(claims(), "nbf", json!(now_s + 29)),
        "iat",
        json!(now_s + 29),
    ));
    assert!(server.verify_at(&skewed, now()).await.is_ok());
}

#[tokio::test]
async fn missing_scopes_are_listed_rfc6750_3_1() {
    let signer = Signer::es256("ec");
    let config = config()
        .require_scope("benefits:read")
        .require_scope("benefits:write")
        .require_scope("admin");
    let server = fixed(config, &[&signer]);
    let token = signer.sign(&claims());
    assert_eq!(
        refused(&server, &token).await,
        VerifyError::InsufficientScope {
            missing: vec!["benefits:write".into(), "admin".into()]
        }
    );
    let token = signer.sign(&with(claims(), "scope", json!("benefits:readx")));
    let fixed_read = fixed(
        ResourceServerConfig::new(ISSUER, AUDIENCE).require_scope("benefits:read"),
        &[&signer],
    );
    assert_eq!(
        refused(&fixed_read, &token).await,
        VerifyError::InsufficientScope {
            missing: vec!["benefits:read".into()]
        }
    );
}

#[tokio::test]
async fn errors_never_echo_the_token() {
    let signer = Signer::es256("ec");
    let server = fixed(config().require_scope("x"), &[&signer]);
    let token = signer.sign(&with(claims(), "iss", json!("https://evil.example")));
    let message = refused(&server, &token).await.to_string();
    for part in token.split('.') {
        assert!(!message.contains(part));
    }
}

// ---- the JWKS -----------------------------------------------------------------------------

#[tokio::test]
async fn keys_of_unknown_type_are_skipped_rfc7517_5() {
    let signer = Signer::es256("ec");
    let document = json!({"keys": [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {"kty": "EC", "crv": "secp256k1", "kid": "k1", "x": "AA", "y": "AA"},
        {"kty": "PQC", "kid": "future"},
        signer.jwk(),
    ]});
    let server = ResourceServer::with_jwks(config(), &document.to_string()).unwrap();
    assert!(
        server
            .verify_at(&signer.sign(&claims()), now())
            .await
            .is_ok()
    );
    let header = json!({"alg": "ES256", "kid": "hmac", "typ": "at+jwt"});
    assert_eq!(
        refused(&server, &signer.sign_with(&header, &claims())).await,
        VerifyError::UnknownKey
    );
}

#[tokio::test]
async fn a_malformed_jwks_is_bad_jwks() {
    assert!(matches!(
        ResourceServer::with_jwks(config(), "{\"keys\": 3}"),
        Err(VerifyError::BadJwks(_))
    ));
    let signer = Signer::es256("ec");
    let remote = TestServer::start("<html>".into()).await;
    let server = remote.resource_server(Duration::ZERO);
    assert_eq!(
        refused(&server, &signer.sign(&claims())).await,
        VerifyError::BadJwks("the document is not JSON")
    );
}

#[tokio::test]
async fn keys_are_fetched_lazily_and_kept_for_max_age() {
    let signer = Signer::es256("ec");
    let remote = TestServer::start(jwks(&[&signer])).await;
    let server = remote.resource_server(Duration::ZERO);
    assert_eq!(remote.requests(), 0);
    let token = signer.sign(&claims());
    for _ in 0..5 {
        server.verify_at(&token, now()).await.unwrap();
    }
    assert_eq!(remote.requests(), 1);
}

#[tokio::test]
async fn an_unknown_kid_refreshes_the_jwks_once() {
    let old = Signer::es256("old");
    let new = Signer::rs256("new");
    let remote = TestServer::start(jwks(&[&old])).await;
    let server = remote.resource_server(Duration::ZERO);
    server.verify_at(&old.sign(&claims()), now()).await.unwrap();
    assert_eq!(remote.requests(), 1);
    remote.serve(jwks(&[&old, &new]));
    server.verify_at(&new.sign(&claims()), now()).await.unwrap();
    assert_eq!(remote.requests(), 2);
    server.verify_at(&new.sign(&claims()), now()).await.unwrap();
    server.verify_at(&old.sign(&claims()), now()).await.unwrap();
    assert_eq!(remote.requests(), 2);
    let stranger = Signer::es256("stranger");
    assert_eq!(
        refused(&server, &stranger.sign(&claims())).await,
        VerifyError::UnknownKey
    );
    assert_eq!(remote.requests(), 3);
}

#[tokio::test]
async fn refreshes_on_unknown_kids_are_rate_limited() {
    let old = Signer::es256("old");
    let new = Signer::eddsa("new");
    let remote = TestServer::start(jwks(&[&old])).await;
    let server = remote.resource_server(HOUR);
    // The first fetch happens, and does not know the key.
    assert_eq!(
        refused(&server, &new.sign(&claims())).await,
        VerifyError::UnknownKey
    );
    assert_eq!(remote.requests(), 1);
    remote.serve(jwks(&[&old, &new]));
    for _ in 0..10 {
        assert_eq!(
            refused(&server, &new.sign(&claims())).await,
            VerifyError::UnknownKey
        );
    }
    assert_eq!(remote.requests(), 1);
    // An explicit refresh is not rate-limited.
    server.refresh_keys().await.unwrap();
    assert_eq!(remote.requests(), 2);
    server.verify_at(&new.sign(&claims()), now()).await.unwrap();
}

#[tokio::test]
async fn concurrent_refreshes_are_coalesced() {
    let signer = Signer::es256("ec");
    let remote = TestServer::start(jwks(&[&signer])).await;
    let server = Arc::new(remote.resource_server(Duration::ZERO));
    let token = Arc::new(signer.sign(&claims()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (server, token) = (Arc::clone(&server), Arc::clone(&token));
        tasks.spawn(async move { server.verify_at(&token, now()).await.map(|t| t.jti) });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap(), "jti-1");
    }
    assert_eq!(remote.requests(), 1);
}

#[tokio::test]
async fn an_unreachable_jwks_is_unavailable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let config = config().jwks_uri(format!("http://{address}/jwks"));
    let server = ResourceServer::new(config).unwrap();
    let signer = Signer::es256("ec");
    let error = refused(&server, &signer.sign(&claims())).await;
    assert!(
        matches!(error, VerifyError::JwksUnavailable(_)),
        "{error:?}"
    );
    assert!(error.is_server_error() && error.bearer_error().is_none());
}

#[tokio::test]
async fn a_failing_jwks_endpoint_is_unavailable_and_not_hammered() {
    let signer = Signer::es256("ec");
    let remote = TestServer::start("oops".into()).await;
    remote.reply.lock().unwrap().status = 503;
    let server = remote.resource_server(HOUR);
    let token = signer.sign(&claims());
    for _ in 0..3 {
        assert_eq!(
            refused(&server, &token).await,
            VerifyError::JwksUnavailable("HTTP status 503 Service Unavailable".into())
        );
    }
    assert_eq!(remote.requests(), 1);
    // Once it is back, an explicit refresh recovers.
    remote.reply.lock().unwrap().status = 200;
    remote.serve(jwks(&[&signer]));
    server.refresh_keys().await.unwrap();
    server.verify_at(&token, now()).await.unwrap();
    assert_eq!(remote.requests(), 2);
}

// ---- introspection ------------------------------------------------------------------------

#[tokio::test]
async fn introspection_posts_the_token_with_basic_auth_rfc7662_2_1() {
    let remote = TestServer::start(
        json!({"active": true, "sub": "s", "scope": "openid benefits:read", "ctx": "x"})
            .to_string(),
    )
    .await;
    let server = remote.resource_server(HOUR);
    let answer = server
        .introspect("opaque-token", "api", "s3cret")
        .await
        .unwrap();
    assert!(answer.active);
    assert_eq!(answer.scopes(), ["openid", "benefits:read"]);
    assert_eq!(answer.claims.get("sub"), Some(&json!("s")));
    assert!(answer.claims.get("ctx").is_none());
    let request = remote.last_request.lock().unwrap().clone();
    assert!(
        request.starts_with("POST /introspect HTTP/1.1"),
        "{request}"
    );
    let credentials = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("api:s3cret")
    );
    assert!(request.to_ascii_lowercase().contains(&format!(
        "authorization: {}",
        credentials.to_ascii_lowercase()
    )));
    assert!(
        request.ends_with("token=opaque-token&token_type_hint=access_token"),
        "{request}"
    );

    remote.serve(json!({"active": false}).to_string());
    let answer = server.introspect("revoked", "api", "s3cret").await.unwrap();
    assert!(!answer.active && answer.claims.is_empty());

    remote.serve(json!({"sub": "s"}).to_string());
    assert!(matches!(
        server.introspect("t", "api", "s3cret").await,
        Err(VerifyError::Introspection(_))
    ));
}
