//! What the SDK's integration tests share:
//!
//! - [`Signer`]: signs JWS with OpenSSL (ES256, RS256, EdDSA) and publishes its public key as a
//!   JWK, so tests make DAN's tokens themselves, valid or broken in exactly one way;
//! - [`FakeOp`]: a fake OpenID provider, a tiny HTTP/1.1 server on a loopback port whose answers
//!   the tests set path by path and which records every request it receives, so tests can
//!   assert on what the SDK sent;
//! - [`verify_es256`]: checks a JWS the SDK signed, against the JWKS it publishes;
//! - relying party fixtures: a configuration at a [`FakeOp`], valid ID token claims, and a
//!   login driven from the authorization URL to the callback.
//!
//! Each test crate uses part of it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dan_sdk::relying_party::{
    Callback, ClientAuth, Login, LoginError, LoginRequest, PendingLogin, RelyingParty,
    RelyingPartyConfig, Secret,
};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer as OpenSslSigner;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// Base64url without padding, as JOSE wants it.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

// ---- a tiny test signer -------------------------------------------------------------------

/// A signing key of one of the three types DAN uses.
pub enum Key {
    /// P-256, for ES256.
    Ec(EcKey<Private>),
    /// RSA 2048, for RS256.
    Rsa(PKey<Private>),
    /// Ed25519, for EdDSA.
    Ed(PKey<Private>),
}

/// A key with its `kid`, signing compact JWS.
pub struct Signer {
    /// The key id, in the header and the JWK.
    pub kid: String,
    /// The private key.
    pub key: Key,
}

impl Signer {
    /// A fresh P-256 key.
    pub fn es256(kid: &str) -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = Key::Ec(EcKey::generate(&group).unwrap());
        Self {
            kid: kid.into(),
            key,
        }
    }

    /// A fresh RSA 2048 key.
    pub fn rs256(kid: &str) -> Self {
        let key = Key::Rsa(PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap());
        Self {
            kid: kid.into(),
            key,
        }
    }

    /// A fresh Ed25519 key.
    pub fn eddsa(kid: &str) -> Self {
        let key = Key::Ed(PKey::generate_ed25519().unwrap());
        Self {
            kid: kid.into(),
            key,
        }
    }

    /// The JWS algorithm of the key.
    pub fn alg(&self) -> &'static str {
        match self.key {
            Key::Ec(_) => "ES256",
            Key::Rsa(_) => "RS256",
            Key::Ed(_) => "EdDSA",
        }
    }

    /// The public key as a JWK, with `kid`, `alg` and `use`.
    pub fn jwk(&self) -> Value {
        let mut jwk = match &self.key {
            Key::Ec(key) => {
                let mut ctx = BigNumContext::new().unwrap();
                let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
                key.public_key()
                    .affine_coordinates(key.group(), &mut x, &mut y, &mut ctx)
                    .unwrap();
                json!({"kty": "EC", "crv": "P-256",
                       "x": b64(&x.to_vec_padded(32).unwrap()),
                       "y": b64(&y.to_vec_padded(32).unwrap())})
            }
            Key::Rsa(key) => {
                let rsa = key.rsa().unwrap();
                json!({"kty": "RSA", "n": b64(&rsa.n().to_vec()), "e": b64(&rsa.e().to_vec())})
            }
            Key::Ed(key) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&key.raw_public_key().unwrap())})
            }
        };
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(self.alg());
        jwk["use"] = json!("sig");
        jwk
    }

    /// The JWS signature of `input` (ES256 as `r || s`, RFC 7518 3.4).
    pub fn signature(&self, input: &[u8]) -> Vec<u8> {
        match &self.key {
            Key::Ec(key) => {
                let digest = hash(MessageDigest::sha256(), input).unwrap();
                let sig = EcdsaSig::sign(&digest, key).unwrap();
                let mut out = sig.r().to_vec_padded(32).unwrap();
                out.extend(sig.s().to_vec_padded(32).unwrap());
                out
            }
            Key::Rsa(key) => {
                let mut signer = OpenSslSigner::new(MessageDigest::sha256(), key).unwrap();
                signer.sign_oneshot_to_vec(input).unwrap()
            }
            Key::Ed(key) => {
                let mut signer = OpenSslSigner::new_without_digest(key).unwrap();
                signer.sign_oneshot_to_vec(input).unwrap()
            }
        }
    }

    /// An access token's header (`typ` `at+jwt`, RFC 9068 2.1).
    pub fn header(&self) -> Value {
        self.header_typed(Some("at+jwt"))
    }

    /// A header with this `typ` (none when `None`): `JWT` for ID tokens, `logout+jwt` for
    /// logout tokens.
    pub fn header_typed(&self, typ: Option<&str>) -> Value {
        let mut header = json!({"alg": self.alg(), "kid": self.kid});
        if let Some(typ) = typ {
            header["typ"] = json!(typ);
        }
        header
    }

    /// Signs any payload under any header.
    pub fn sign_raw(&self, header: &Value, payload: &[u8]) -> String {
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload));
        format!("{input}.{}", b64(&self.signature(input.as_bytes())))
    }

    /// Signs claims under any header.
    pub fn sign_with(&self, header: &Value, claims: &Value) -> String {
        self.sign_raw(header, claims.to_string().as_bytes())
    }

    /// Signs claims as an access token.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with(&self.header(), claims)
    }

    /// Signs claims with `typ` `JWT`, as an ID token.
    pub fn sign_id_token(&self, claims: &Value) -> String {
        self.sign_with(&self.header_typed(Some("JWT")), claims)
    }

    /// Signs claims with `typ` `logout+jwt`, as a logout token.
    pub fn sign_logout_token(&self, claims: &Value) -> String {
        self.sign_with(&self.header_typed(Some("logout+jwt")), claims)
    }
}

/// A JWK Set document with these signers' public keys.
pub fn jwks(signers: &[&Signer]) -> String {
    json!({ "keys": signers.iter().map(|s| s.jwk()).collect::<Vec<_>>() }).to_string()
}

/// Verifies an ES256 compact JWS with the key of a JWK Set whose `kid` the header names, and
/// returns its header and claims; panics when it does not verify.
pub fn verify_es256(jwks: &Value, token: &str) -> (Value, Value) {
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let (input, signature) = token.rsplit_once('.').unwrap();
    let (header, claims) = input.split_once('.').unwrap();
    let (header, claims) = (decode(header), decode(claims));
    assert_eq!(header["alg"], "ES256");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the header's kid is in the JWKS");
    let coordinate = |name: &str| {
        BigNum::from_slice(&URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap()).unwrap()
    };
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = EcKey::from_public_key_affine_coordinates(&group, &coordinate("x"), &coordinate("y"))
        .unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    assert_eq!(signature.len(), 64, "ES256 signatures are r || s");
    let (r, s) = signature.split_at(32);
    let signature = EcdsaSig::from_private_components(
        BigNum::from_slice(r).unwrap(),
        BigNum::from_slice(s).unwrap(),
    )
    .unwrap();
    let digest = hash(MessageDigest::sha256(), input.as_bytes()).unwrap();
    assert!(
        signature.verify(&digest, &key).unwrap(),
        "the signature verifies"
    );
    (header, claims)
}

// ---- a fake OpenID provider ---------------------------------------------------------------

/// An answer of the fake provider.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Headers besides `Content-Length` and `Connection`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Sent with `Transfer-Encoding: chunked` and no `Content-Length`, so the reader cannot
    /// know the size before reading.
    pub chunked: bool,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: &Value) -> Self {
        Self::text(status, "application/json", body.to_string())
    }

    /// An answer with this media type.
    pub fn text(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            chunked: false,
        }
    }

    /// Sends the body in chunks, without a `Content-Length`.
    pub fn chunked(mut self) -> Self {
        self.chunked = true;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A request the fake provider received.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query, without `?`.
    pub query: String,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Request {
    /// A header's value (the name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The form parameters of the body, in order.
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    /// The form parameters of the body; panics if one is repeated.
    pub fn form(&self) -> HashMap<String, String> {
        let pairs = self.form_pairs();
        let form: HashMap<_, _> = pairs.iter().cloned().collect();
        assert_eq!(
            form.len(),
            pairs.len(),
            "a repeated form parameter: {pairs:?}"
        );
        form
    }

    /// Parses one request if `raw` holds all of it.
    fn parse(raw: &[u8]) -> Option<Self> {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next()?.split(' ');
        let method = request_line.next()?.to_owned();
        let target = request_line.next()?.to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map_or(0, |(_, v)| v.parse::<usize>().unwrap());
        let body = raw.get(end + 4..end + 4 + length)?;
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        Some(Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: String::from_utf8_lossy(body).into_owned(),
        })
    }
}

struct OpState {
    replies: HashMap<String, Reply>,
    requests: Vec<Request>,
}

/// A fake OpenID provider at `http://127.0.0.1:PORT`: `/.well-known/openid-configuration`,
/// `/jwks`, `/token`, `/userinfo`, `/revoke` and `/logout` answer what the test set.
#[derive(Clone)]
pub struct FakeOp {
    /// The issuer, `http://127.0.0.1:PORT` without a trailing slash.
    pub issuer: String,
    state: Arc<Mutex<OpState>>,
}

impl FakeOp {
    /// Starts a provider publishing these keys; its token endpoint answers `invalid_grant`
    /// until a test sets its answer.
    pub async fn start(signers: &[&Signer]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let op = Self {
            issuer: format!("http://{}", listener.local_addr().unwrap()),
            state: Arc::new(Mutex::new(OpState {
                replies: HashMap::new(),
                requests: Vec::new(),
            })),
        };
        op.set_discovery(&op.discovery());
        op.set_jwks(jwks(signers));
        op.set(
            "/token",
            Reply::json(400, &json!({"error": "invalid_grant"})),
        );
        op.set("/userinfo", Reply::json(401, &json!({})));
        op.set("/revoke", Reply::text(200, "application/json", ""));
        op.set("/logout", Reply::text(200, "text/html", "bye"));
        let shared = op.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(shared.clone().answer(stream));
            }
        });
        op
    }

    /// The URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The discovery document it serves at start.
    pub fn discovery(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "authorization_endpoint": self.url("/authorize"),
            "token_endpoint": self.url("/token"),
            "userinfo_endpoint": self.url("/userinfo"),
            "jwks_uri": self.url("/jwks"),
            "revocation_endpoint": self.url("/revoke"),
            "end_session_endpoint": self.url("/logout"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256", "EdDSA"],
            "acr_values_supported": ["low", "substantial", "high"],
            "authorization_response_iss_parameter_supported": true,
        })
    }

    /// Sets the answer at a path.
    pub fn set(&self, path: &str, reply: Reply) {
        self.state
            .lock()
            .unwrap()
            .replies
            .insert(path.to_owned(), reply);
    }

    /// Serves this discovery document.
    pub fn set_discovery(&self, document: &Value) {
        self.set(
            "/.well-known/openid-configuration",
            Reply::json(200, document),
        );
    }

    /// Serves this JWK Set document.
    pub fn set_jwks(&self, document: String) {
        self.set(
            "/jwks",
            Reply::text(200, "application/jwk-set+json", document),
        );
    }

    /// Answers the token endpoint with 200 and this JSON.
    pub fn set_token_response(&self, response: &Value) {
        self.set("/token", Reply::json(200, response));
    }

    /// The requests received at a path, in order.
    pub fn requests(&self, path: &str) -> Vec<Request> {
        let state = self.state.lock().unwrap();
        state
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// How many requests were received at a path.
    pub fn count(&self, path: &str) -> usize {
        self.requests(path).len()
    }

    /// The one request received at a path; panics if there were none or several.
    pub fn only_request(&self, path: &str) -> Request {
        let mut requests = self.requests(path);
        assert_eq!(requests.len(), 1, "requests at {path}: {requests:?}");
        requests.remove(0)
    }

    /// Records a request and makes the answer.
    fn respond(&self, request: Request) -> Vec<u8> {
        let mut state = self.state.lock().unwrap();
        let reply = state
            .replies
            .get(&request.path)
            .cloned()
            .unwrap_or_else(|| Reply::text(404, "text/plain", "not found"));
        state.requests.push(request);
        let mut response = format!("HTTP/1.1 {} X\r\n", reply.status);
        for (name, value) in &reply.headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        if reply.chunked {
            response.push_str("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            let mut bytes = response.into_bytes();
            for chunk in reply.body.chunks(16 * 1024) {
                bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                bytes.extend_from_slice(chunk);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
            return bytes;
        }
        response.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            reply.body.len()
        ));
        let mut bytes = response.into_bytes();
        bytes.extend_from_slice(&reply.body);
        bytes
    }

    async fn answer(self, mut stream: tokio::net::TcpStream) {
        let mut raw = Vec::new();
        let mut buffer = [0; 8192];
        let request = loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => raw.extend_from_slice(&buffer[..n]),
            }
            if let Some(request) = Request::parse(&raw) {
                break request;
            }
        };
        let response = self.respond(request);
        let _ = stream.write_all(&response).await;
        let _ = stream.shutdown().await;
    }
}

// ---- relying party fixtures ---------------------------------------------------------------

/// The e-service's client id.
pub const CLIENT_ID: &str = "benefits-portal";
/// The e-service's redirect URI.
pub const REDIRECT_URI: &str = "https://benefits.example/callback";
/// The client secret, with characters that RFC 6749 2.3.1 has form-encoded in Basic auth.
pub const SECRET: &str = "s3cret/+&= x";
/// The citizen's pairwise subject.
pub const SUB: &str = "pairwise-citizen-1";

/// Seconds since the epoch, now.
pub fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// `client_secret_basic` with [`SECRET`].
pub fn basic() -> ClientAuth {
    ClientAuth::SecretBasic(Secret::new(SECRET))
}

/// The e-service's configuration at this provider, with scope `profile`.
pub fn rp_config(op: &FakeOp, auth: ClientAuth) -> RelyingPartyConfig {
    RelyingPartyConfig::new(&op.issuer, CLIENT_ID, REDIRECT_URI, auth).scope("profile")
}

/// A relying party discovered at this provider.
pub async fn relying_party(op: &FakeOp, auth: ClientAuth) -> RelyingParty {
    RelyingParty::discover(rp_config(op, auth)).await.unwrap()
}

/// The claims of a valid ID token of `issuer` for [`CLIENT_ID`] with this `nonce`.
pub fn id_claims(issuer: &str, nonce: &str) -> Value {
    let now = unix_now();
    json!({
        "iss": issuer, "sub": SUB, "aud": CLIENT_ID, "exp": now + 300, "iat": now,
        "auth_time": now - 5, "nonce": nonce, "acr": "substantial", "amr": ["hwk", "user"],
        "sid": "dan-session-1", "given_name": "Bat", "family_name": "Dorj",
    })
}

/// The claims with one set.
pub fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

/// The claims with one removed.
pub fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

/// A successful token response (RFC 6749 5.1) with this ID token.
pub fn token_response(id_token: &str) -> Value {
    json!({
        "access_token": "access-token-1", "token_type": "Bearer", "expires_in": 300,
        "refresh_token": "refresh-token-1", "scope": "openid profile", "id_token": id_token,
    })
}

/// Form-encodes a value (`application/x-www-form-urlencoded`), as RFC 6749 2.3.1 has client
/// ids and secrets encoded before HTTP Basic.
pub fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A query parameter of a URL.
pub fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// The successful callback of a pending login: its `state`, a code and the provider's `iss`.
pub fn callback(op: &FakeOp, pending: &PendingLogin) -> Callback {
    Callback {
        code: Some("code-1".into()),
        state: Some(pending.state().into()),
        iss: Some(op.issuer.clone()),
        ..Callback::default()
    }
}

/// A login sent to the provider: the authorization URL, the pending login, and the URL's nonce.
pub struct Started {
    /// The authorization URL.
    pub url: Url,
    /// What the e-service keeps.
    pub pending: PendingLogin,
    /// The `nonce` of the URL.
    pub nonce: String,
}

/// Starts a login.
pub async fn start(rp: &RelyingParty, request: &LoginRequest) -> Started {
    let (url, pending) = rp.authorization_url(request).await.unwrap();
    let nonce = query(&url, "nonce").expect("the authorization URL has a nonce");
    Started {
        url,
        pending,
        nonce,
    }
}

/// Starts a login, has the provider answer the code with the ID token `id_token(nonce)`
/// makes, and finishes the login.
pub async fn login_with(
    rp: &RelyingParty,
    op: &FakeOp,
    request: &LoginRequest,
    id_token: impl FnOnce(&str) -> String,
) -> Result<Login, LoginError> {
    let started = start(rp, request).await;
    op.set_token_response(&token_response(&id_token(&started.nonce)));
    rp.finish_login(&started.pending, &callback(op, &started.pending))
        .await
}

/// A successful login with an ID token of these claims (the nonce filled in).
pub async fn login_claims(
    rp: &RelyingParty,
    op: &FakeOp,
    signer: &Signer,
    claims: impl FnOnce(Value) -> Value,
) -> Result<Login, LoginError> {
    let issuer = op.issuer.clone();
    login_with(rp, op, &LoginRequest::new(), |nonce| {
        signer.sign_id_token(&claims(id_claims(&issuer, nonce)))
    })
    .await
}

/// A successful login.
pub async fn login(rp: &RelyingParty, op: &FakeOp, signer: &Signer) -> Login {
    login_claims(rp, op, signer, |c| c).await.unwrap()
}
