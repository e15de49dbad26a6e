//! The OpenID Connect core over real HTTP, on the embedded default and on PostgreSQL + Redis:
//! every endpoint, and every bad input of the authorization and token endpoints with the
//! error it must get.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use idp::clients::{AuthMethod, ClientId, SubjectType};
use serde_json::{Value, json};
use support::server::{
    Browser, LoginPage, Seen, TestServer, authorize_url, confidential_client, http, log_in, pkce,
    post_basic, query_of, userinfo,
};

const RP: &str = "https://rp.example/cb";

/// Registers `id` (confidential, basic) and logs the demo citizen in; returns the client's
/// secret, the code, the PKCE verifier and the browser (which holds the SSO session).
async fn code_for(
    server: &TestServer,
    id: &str,
    extra: &[(&str, &str)],
) -> (String, String, String, Browser) {
    let (client, secret) = confidential_client(id, RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (verifier, challenge) = pkce();
    let location = log_in(
        server,
        &browser,
        &authorize_url(server, id, RP, &challenge, extra),
    )
    .await;
    let query = query_of(&location);
    assert_eq!(query["state"], "st-1", "state comes back");
    assert_eq!(query["iss"], server.base, "iss in the response, RFC 9207");
    (
        secret.expose().to_owned(),
        query["code"].clone(),
        verifier,
        browser,
    )
}

async fn redeem(
    server: &TestServer,
    id: &str,
    secret: &str,
    code: &str,
    verifier: &str,
) -> (u16, Value) {
    support::server::redeem(server, (id, secret), RP, code, verifier).await
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&idp::jose::decode(payload).unwrap()).unwrap()
}

fn header(jwt: &str) -> Value {
    let head = jwt.split('.').next().unwrap();
    serde_json::from_slice(&idp::jose::decode(head).unwrap()).unwrap()
}

#[track_caller]
fn assert_error(got: &(u16, Value), status: u16, error: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"], error, "{}", got.1);
}

async fn discovery_is_complete_and_truthful(server: TestServer) {
    let response = http()
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["issuer"], server.base);
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "introspection_endpoint",
        "end_session_endpoint",
        "pushed_authorization_request_endpoint",
    ] {
        let url = doc[endpoint].as_str().unwrap();
        assert!(url.starts_with(&server.base), "{endpoint}");
        // Every advertised endpoint exists (a GET answers something other than 404).
        let status = http().get(url).send().await.unwrap().status();
        assert_ne!(status, 404, "{endpoint} {url} is advertised but missing");
    }
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["acr_values_supported"], json!(["low"]));
}

async fn jwks_publishes_every_algorithm_with_next_keys(server: TestServer) {
    let response = http().get(server.url("/jwks")).send().await.unwrap();
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    for alg in ["ES256", "RS256", "EdDSA"] {
        let count = keys.iter().filter(|k| k["alg"] == alg).count();
        assert_eq!(
            count, 2,
            "{alg}: the active key and the next one are published"
        );
    }
    assert!(
        keys.iter()
            .all(|k| k.get("d").is_none() && k["kid"].is_string())
    );
}

async fn code_flow_issues_tokens_and_userinfo_answers(server: TestServer) {
    let (secret, code, verifier, _) = code_for(&server, "rp-one", &[]).await;
    let (status, tokens) = redeem(&server, "rp-one", &secret, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 600);
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    for claim in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "sid",
        "azp",
    ] {
        assert!(id_token.get(claim).is_some(), "ID token lacks {claim}");
    }
    assert_eq!(id_token["nonce"], "n-1");
    assert_eq!(id_token["acr"], "low");
    assert_eq!(id_token["amr"], json!(["sms", "otp"]));
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(header(access)["typ"], "at+jwt", "RFC 9068");
    let access_claims = claims(access);
    assert_eq!(access_claims["client_id"], "rp-one");
    assert_eq!(access_claims["scope"], "openid profile");
    assert_eq!(access_claims["sub"], id_token["sub"]);
    assert!(access_claims["jti"].is_string());
    let (status, info) = userinfo(&server, access).await;
    assert_eq!(status, 200);
    assert_eq!(info["sub"], id_token["sub"]);
    assert_eq!(info["given_name"], "Демо-Бат");
    assert_eq!(info["birthdate"], "1990-01-01");
    assert!(
        info.get("phone_number").is_none(),
        "phone was not asked for"
    );
    // POST with the token in the body (RFC 6750 2.2) answers the same.
    let posted: Value = http()
        .post(server.url("/userinfo"))
        .form(&[("access_token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted, info);
}

async fn unknown_client_gets_a_page_never_a_redirect(server: TestServer) {
    let (_, challenge) = pkce();
    let seen = Browser::new()
        .get(&authorize_url(&server, "nobody", RP, &challenge, &[]))
        .await;
    assert_eq!(seen.status, 400);
    assert!(seen.location.is_none());
    assert!(seen.body.contains("<h1"), "an error page for people");
}

async fn unregistered_redirect_uri_gets_a_page_never_a_redirect(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let (_, challenge) = pkce();
    for uri in [
        "https://evil.example/cb",
        "https://rp.example/cb/",
        "https://rp.example/cb?x=1",
    ] {
        let seen = Browser::new()
            .get(&authorize_url(&server, "rp-one", uri, &challenge, &[]))
            .await;
        assert_eq!(seen.status, 400, "{uri}");
        assert!(seen.location.is_none(), "{uri} redirected");
    }
}

async fn disabled_client_is_refused_everywhere(server: TestServer) {
    let (client, secret) = confidential_client("rp-off", RP);
    server.register(&client).await;
    let id = ClientId::parse("rp-off").unwrap();
    server
        .provider
        .clients
        .set_enabled(&id, false)
        .await
        .unwrap();
    let (_, challenge) = pkce();
    let seen = Browser::new()
        .get(&authorize_url(&server, "rp-off", RP, &challenge, &[]))
        .await;
    assert_eq!(seen.status, 400);
    assert!(seen.location.is_none());
    let got = post_basic(
        &server,
        "/token",
        ("rp-off", secret.expose()),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_error(&got, 401, "invalid_client");
}

/// Authorize errors after the redirect URI is trusted go back to it (RFC 6749 4.1.2.1).
async fn authorize_error(
    server: &TestServer,
    challenge: &str,
    extra: &[(&str, &str)],
) -> std::collections::HashMap<String, String> {
    let seen = Browser::new()
        .get(&authorize_url(server, "rp-one", RP, challenge, extra))
        .await;
    assert_eq!(seen.status, 303, "{}", seen.body);
    let location = seen.location.unwrap();
    assert!(location.starts_with(RP), "{location}");
    let query = query_of(&location);
    assert_eq!(query["iss"], server.base);
    assert_eq!(query["state"], "st-1");
    query
}

async fn missing_or_plain_pkce_is_refused_rfc7636_4_4_1(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let (_, challenge) = pkce();
    let plain = authorize_error(&server, &challenge, &[("code_challenge_method", "plain")]).await;
    assert_eq!(plain["error"], "invalid_request");
    assert!(plain["error_description"].contains("plain"));
    let missing = Browser::new()
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("code_challenge", "")],
        ))
        .await;
    let query = query_of(&missing.location.unwrap());
    assert_eq!(query["error"], "invalid_request");
    assert!(query["error_description"].contains("code_challenge"));
}

async fn bad_requests_are_answered_at_the_redirect_uri(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let (_, challenge) = pkce();
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[("scope", "openid national_id")], "invalid_scope"),
        (&[("prompt", "none login")], "invalid_request"),
        (&[("max_age", "soon")], "invalid_request"),
    ];
    for (extra, error) in cases {
        let seen = Browser::new()
            .get(&authorize_url(&server, "rp-one", RP, &challenge, extra))
            .await;
        let query = query_of(&seen.location.expect("a redirect"));
        assert_eq!(query["error"], error, "{extra:?}");
    }
}

async fn oversized_and_repeated_parameters_are_refused(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let (_, challenge) = pkce();
    let long = "x".repeat(3000);
    let seen = Browser::new()
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("state2", &long)],
        ))
        .await;
    assert_eq!(seen.status, 400, "oversized parameter");
    assert!(seen.location.is_none());
    let seen = Browser::new()
        .get(&format!(
            "{}&client_id=rp-one",
            authorize_url(&server, "rp-one", RP, &challenge, &[])
        ))
        .await;
    assert_eq!(seen.status, 400, "repeated parameter, RFC 6749 3.1");
    // At the token endpoint: a JSON error, nothing stored.
    let got = post_basic(
        &server,
        "/token",
        ("rp-one", "x"),
        &[("grant_type", "client_credentials"), ("grant_type", "x")],
    )
    .await;
    assert_error(&got, 400, "invalid_request");
}

async fn wrong_verifier_is_refused_rfc7636_4_6(server: TestServer) {
    let (secret, code, _, _) = code_for(&server, "rp-one", &[]).await;
    let (other, _) = pkce();
    let got = redeem(&server, "rp-one", &secret, &code, &other).await;
    assert_error(&got, 400, "invalid_grant");
    let got = post_basic(
        &server,
        "/token",
        ("rp-one", &secret),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP),
        ],
    )
    .await;
    assert_error(&got, 400, "invalid_grant");
}

async fn code_reuse_revokes_issued_tokens_rfc6749_4_1_2(server: TestServer) {
    let (secret, code, verifier, _) = code_for(&server, "rp-one", &[]).await;
    let (status, tokens) = redeem(&server, "rp-one", &secret, &code, &verifier).await;
    assert_eq!(status, 200);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&server, access).await.0, 200);
    let replay = redeem(&server, "rp-one", &secret, &code, &verifier).await;
    assert_error(&replay, 400, "invalid_grant");
    assert!(
        replay.1["error_description"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    let (status, _) = userinfo(&server, access).await;
    assert_eq!(
        status, 401,
        "the access token from the replayed code is revoked"
    );
    let refreshed = post_basic(
        &server,
        "/token",
        ("rp-one", &secret),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_error(&refreshed, 400, "invalid_grant");
}

async fn expired_code_is_refused(server: TestServer) {
    let (secret, code, verifier, _) = code_for(&server, "rp-one", &[]).await;
    server.clock.advance(Duration::from_secs(61));
    let got = redeem(&server, "rp-one", &secret, &code, &verifier).await;
    assert_error(&got, 400, "invalid_grant");
}

async fn code_of_another_client_is_refused(server: TestServer) {
    let (_, code, verifier, _) = code_for(&server, "rp-one", &[]).await;
    let (thief, secret) = confidential_client("rp-two", RP);
    server.register(&thief).await;
    let got = redeem(&server, "rp-two", secret.expose(), &code, &verifier).await;
    assert_error(&got, 400, "invalid_grant");
}

async fn wrong_or_missing_client_secret_is_invalid_client(server: TestServer) {
    let (secret, code, verifier, _) = code_for(&server, "rp-one", &[]).await;
    let got = redeem(&server, "rp-one", "not-the-secret", &code, &verifier).await;
    assert_error(&got, 401, "invalid_client");
    let response = http()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "rp-one"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    // client_secret_post is not this client's method.
    let got = {
        let response = http()
            .post(server.url("/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "rp-one"),
                ("client_secret", secret.as_str()),
            ])
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    assert_error(&got, 401, "invalid_client");
    // The failures consumed nothing: the code still works.
    assert_eq!(
        redeem(&server, "rp-one", &secret, &code, &verifier).await.0,
        200
    );
}

async fn refresh_rotates_and_reuse_revokes_the_family_rfc9700_4_14_2(server: TestServer) {
    let (secret, code, verifier, _) = code_for(&server, "rp-one", &[]).await;
    let (_, first) = redeem(&server, "rp-one", &secret, &code, &verifier).await;
    let old = first["refresh_token"].as_str().unwrap();
    let refresh = |token: String| {
        let server = &server;
        let secret = secret.clone();
        async move {
            post_basic(
                server,
                "/token",
                ("rp-one", &secret),
                &[("grant_type", "refresh_token"), ("refresh_token", &token)],
            )
            .await
        }
    };
    let (status, second) = refresh(old.to_owned()).await;
    assert_eq!(status, 200, "{second}");
    let new = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(
        claims(second["id_token"].as_str().unwrap())["sub"],
        claims(first["id_token"].as_str().unwrap())["sub"]
    );
    // The old token again: reuse. The whole family dies, the new token included.
    assert_error(&refresh(old.to_owned()).await, 400, "invalid_grant");
    assert_error(&refresh(new).await, 400, "invalid_grant");
}

async fn refresh_tokens_expire_and_belong_to_their_client(server: TestServer) {
    let (secret, code, verifier, _) = code_for(&server, "rp-one", &[]).await;
    let (_, tokens) = redeem(&server, "rp-one", &secret, &code, &verifier).await;
    let token = tokens["refresh_token"].as_str().unwrap();
    let (other, other_secret) = confidential_client("rp-two", RP);
    server.register(&other).await;
    let got = post_basic(
        &server,
        "/token",
        ("rp-two", other_secret.expose()),
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await;
    assert_error(&got, 400, "invalid_grant");
    server.clock.advance(Duration::from_secs(31 * 86_400));
    let got = post_basic(
        &server,
        "/token",
        ("rp-one", &secret),
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await;
    assert_error(&got, 400, "invalid_grant");
}

async fn client_credentials_grants_scopes_and_audience(server: TestServer) {
    let (mut client, secret) = confidential_client("batch-job", RP);
    client.allowed_scopes.push("tax.read".to_owned());
    client.audiences.push("https://tax.gov.mn".to_owned());
    server.register(&client).await;
    let (status, tokens) = post_basic(
        &server,
        "/token",
        ("batch-job", secret.expose()),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "tax.read"),
            ("audience", "https://tax.gov.mn"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens.get("refresh_token").is_none() && tokens.get("id_token").is_none());
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(
        access["sub"], "batch-job",
        "RFC 9068 2.2: sub is the client"
    );
    assert_eq!(access["aud"], json!(["https://tax.gov.mn"]));
    assert_eq!(access["scope"], "tax.read");
    for scope in ["profile", "admin.everything"] {
        let got = post_basic(
            &server,
            "/token",
            ("batch-job", secret.expose()),
            &[("grant_type", "client_credentials"), ("scope", scope)],
        )
        .await;
        assert_error(&got, 400, "invalid_scope");
    }
    // RFC 8707: an audience the client did not register is refused.
    let got = post_basic(
        &server,
        "/token",
        ("batch-job", secret.expose()),
        &[
            ("grant_type", "client_credentials"),
            ("audience", "https://health.gov.mn"),
        ],
    )
    .await;
    assert_error(&got, 400, "invalid_target");
    let got = post_basic(
        &server,
        "/token",
        ("batch-job", secret.expose()),
        &[("grant_type", "password")],
    )
    .await;
    assert_error(&got, 400, "unsupported_grant_type");
}

async fn introspection_and_revocation_rfc7662_rfc7009(server: TestServer) {
    let (secret, code, verifier, _) = code_for(&server, "rp-one", &[]).await;
    let (_, tokens) = redeem(&server, "rp-one", &secret, &code, &verifier).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let introspect = |token: String| {
        let server = &server;
        let secret = secret.clone();
        async move {
            post_basic(
                server,
                "/introspect",
                ("rp-one", &secret),
                &[("token", &token)],
            )
            .await
        }
    };
    let (status, active) = introspect(access.to_owned()).await;
    assert_eq!(status, 200);
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], "rp-one");
    assert!(
        active.get("ctx").is_none(),
        "DAN's sealed claim stays inside"
    );
    assert_eq!(introspect(refresh.to_owned()).await.1["active"], true);
    assert_eq!(
        introspect("garbage".to_owned()).await.1,
        json!({"active": false})
    );
    // Another client learns nothing about this client's token (RFC 7662 4).
    let (other, other_secret) = confidential_client("rp-other", RP);
    server.register(&other).await;
    let (_, seen) = post_basic(
        &server,
        "/introspect",
        ("rp-other", other_secret.expose()),
        &[("token", access)],
    )
    .await;
    assert_eq!(seen, json!({"active": false}));
    // Unauthenticated introspection is refused.
    let response = http()
        .post(server.url("/introspect"))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // Revocation: the access token, then the refresh token's family.
    let (status, _) = post_basic(
        &server,
        "/revoke",
        ("rp-one", &secret),
        &[("token", access)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(introspect(access.to_owned()).await.1["active"], false);
    assert_eq!(userinfo(&server, access).await.0, 401);
    let (status, _) = post_basic(
        &server,
        "/revoke",
        ("rp-one", &secret),
        &[("token", refresh)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(introspect(refresh.to_owned()).await.1["active"], false);
    let (status, _) = post_basic(
        &server,
        "/revoke",
        ("rp-one", &secret),
        &[("token", "unknown")],
    )
    .await;
    assert_eq!(status, 200, "RFC 7009 2.2: unknown tokens are fine");
}

async fn prompt_none_without_a_session_is_login_required(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let (_, challenge) = pkce();
    let query = authorize_error(&server, &challenge, &[("prompt", "none")]).await;
    assert_eq!(query["error"], "login_required");
}

async fn an_essential_acr_above_any_method_is_unmet_and_a_voluntary_one_gets_low(
    server: TestServer,
) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let (_, challenge) = pkce();
    // No method reaches high yet (the Digital ID comes later): refused at once. Substantial
    // needs the citizen's passkey, so it goes to the login (tests/login_methods.rs).
    let claims_param = r#"{"id_token":{"acr":{"essential":true,"values":["high"]}}}"#;
    let query = authorize_error(&server, &challenge, &[("claims", claims_param)]).await;
    assert_eq!(query["error"], "unmet_authentication_requirements");
    // acr_values is voluntary (OpenID Connect Core 3.1.2.1): a citizen without a passkey
    // goes on, at low.
    let (secret, code, verifier, _) =
        code_for(&server, "rp-acr", &[("acr_values", "substantial")]).await;
    let (_, tokens) = redeem(&server, "rp-acr", &secret, &code, &verifier).await;
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["acr"], "low");
}

async fn sso_serves_a_second_client_without_another_code(server: TestServer) {
    let (_, _, _, browser) = code_for(&server, "rp-one", &[]).await;
    let (second, secret) = confidential_client("rp-two", "https://two.example/cb");
    server.register(&second).await;
    let (verifier, challenge) = pkce();
    let sms_before = server.sms_count(support::server::CITIZEN.1);
    let start = browser
        .get(&authorize_url(
            &server,
            "rp-two",
            "https://two.example/cb",
            &challenge,
            &[],
        ))
        .await;
    // Straight to consent for the new client: no code page.
    let consent_page = browser
        .get(&server.url(start.location.as_deref().unwrap()))
        .await;
    assert!(
        consent_page.body.contains("decision"),
        "consent, not a login page"
    );
    let login = server.url(start.location.as_deref().unwrap());
    let done = browser
        .post(
            &format!("{login}/consent"),
            &[
                ("decision", "allow"),
                ("csrf", &support::server::csrf(&consent_page.body)),
            ],
        )
        .await;
    let query = query_of(&done.location.unwrap());
    assert_eq!(
        server.sms_count(support::server::CITIZEN.1),
        sms_before,
        "no new SMS"
    );
    let (status, tokens) = post_basic(
        &server,
        "/token",
        ("rp-two", secret.expose()),
        &[
            ("grant_type", "authorization_code"),
            ("code", &query["code"]),
            ("redirect_uri", "https://two.example/cb"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    // Pairwise: another sector, another sub; the same session id.
    let two = claims(tokens["id_token"].as_str().unwrap());
    assert!(two["sid"].is_string());
    // With consent remembered, a third visit goes straight back (prompt=none works too).
    let (_, challenge) = pkce();
    let again = browser
        .get(&authorize_url(
            &server,
            "rp-two",
            "https://two.example/cb",
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert!(query_of(&again.location.unwrap()).contains_key("code"));
    // prompt=login and an exceeded max_age both ask for a code again.
    for extra in [("prompt", "login"), ("max_age", "0")] {
        server.clock.advance(Duration::from_secs(2));
        let (_, challenge) = pkce();
        let seen = browser
            .get(&authorize_url(
                &server,
                "rp-two",
                "https://two.example/cb",
                &challenge,
                &[extra],
            ))
            .await;
        let page = browser
            .get(&server.url(seen.location.as_deref().unwrap()))
            .await;
        assert!(
            page.body.contains("registry_number"),
            "{extra:?} shows the login page"
        );
    }
}

async fn an_id_token_hint_for_another_citizen_is_not_served_by_the_session_oidc_3_1_2_1(
    server: TestServer,
) {
    let (secret, code, verifier, browser) = code_for(&server, "rp-one", &[]).await;
    let (_, tokens) = redeem(&server, "rp-one", &secret, &code, &verifier).await;
    let own = tokens["id_token"].as_str().unwrap().to_owned();
    // The citizen's own hint: the session answers at once.
    let (_, challenge) = pkce();
    let seen = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("prompt", "none"), ("id_token_hint", &own)],
        ))
        .await;
    assert!(query_of(&seen.location.unwrap()).contains_key("code"));
    // A hint naming someone else: login_required, not this citizen's code.
    let mut other = claims(&own);
    other["sub"] = json!("someone-else");
    let forged_for_test = server
        .provider
        .tokens
        .keys()
        .signer(idp::jose::Algorithm::Es256)
        .unwrap()
        .sign("JWT", &other)
        .unwrap();
    let seen = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("prompt", "none"), ("id_token_hint", &forged_for_test)],
        ))
        .await;
    assert_eq!(query_of(&seen.location.unwrap())["error"], "login_required");
    // A hint DAN did not sign is refused.
    let seen = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("id_token_hint", "a.b.c")],
        ))
        .await;
    assert_eq!(
        query_of(&seen.location.unwrap())["error"],
        "invalid_request"
    );
}

async fn pairwise_subjects_differ_by_sector_and_public_ones_do_not(server: TestServer) {
    let (secret_a, code_a, verifier_a, browser) = code_for(&server, "rp-one", &[]).await;
    let (_, a) = redeem(&server, "rp-one", &secret_a, &code_a, &verifier_a).await;
    let (mut other, secret_b) = confidential_client("rp-public", "https://other.example/cb");
    other.subject_type = SubjectType::Public;
    other.skip_consent = true;
    server.register(&other).await;
    let (verifier, challenge) = pkce();
    let seen = browser
        .get(&authorize_url(
            &server,
            "rp-public",
            "https://other.example/cb",
            &challenge,
            &[],
        ))
        .await;
    let code = query_of(&seen.location.unwrap())["code"].clone();
    let (_, b) = post_basic(
        &server,
        "/token",
        ("rp-public", secret_b.expose()),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://other.example/cb"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    let sub_a = claims(a["id_token"].as_str().unwrap())["sub"].clone();
    let sub_b = claims(b["id_token"].as_str().unwrap())["sub"].clone();
    assert_ne!(sub_a, sub_b);
    assert_eq!(
        sub_b.as_str().unwrap().len(),
        36,
        "a public sub is the citizen's UUID"
    );
}

async fn consent_denied_returns_access_denied(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (_, challenge) = pkce();
    let authorize = authorize_url(&server, "rp-one", RP, &challenge, &[]);
    let page = LoginPage::open(&server, &browser, &authorize).await;
    let code = page.code_for_citizen(&server, &browser).await;
    page.post(&browser, "code", &[("code", &code)]).await;
    let denied = page
        .post(&browser, "consent", &[("decision", "deny")])
        .await;
    let query = query_of(&denied.location.unwrap());
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "st-1");
}

async fn form_post_response_mode_posts_the_code(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (_, challenge) = pkce();
    let authorize = authorize_url(
        &server,
        "rp-one",
        RP,
        &challenge,
        &[("response_mode", "form_post")],
    );
    let page = LoginPage::open(&server, &browser, &authorize).await;
    let code = page.code_for_citizen(&server, &browser).await;
    page.post(&browser, "code", &[("code", &code)]).await;
    let posted: Seen = page
        .post(&browser, "consent", &[("decision", "allow")])
        .await;
    assert_eq!(posted.status, 200);
    assert!(
        posted.body.contains(&format!("action=\"{RP}\"")),
        "{}",
        posted.body
    );
    assert!(posted.body.contains("name=\"code\""));
    assert!(posted.body.contains("name=\"iss\""));
    let csp = posted.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("form-action https://rp.example"), "{csp}");
}

async fn pushed_authorization_requests_rfc9126(server: TestServer) {
    let (mut client, secret) = confidential_client("rp-par", RP);
    client.require_par = true;
    server.register(&client).await;
    let (verifier, challenge) = pkce();
    // Without PAR the client is refused, at its redirect URI.
    let seen = Browser::new()
        .get(&authorize_url(&server, "rp-par", RP, &challenge, &[]))
        .await;
    assert_eq!(
        query_of(&seen.location.unwrap())["error"],
        "invalid_request"
    );
    let (status, pushed) = post_basic(
        &server,
        "/par",
        ("rp-par", secret.expose()),
        &[
            ("response_type", "code"),
            ("redirect_uri", RP),
            ("scope", "openid"),
            ("state", "st-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{pushed}");
    assert_eq!(pushed["expires_in"], 60);
    let request_uri = pushed["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    let browser = Browser::new();
    let front = server.url(&format!(
        "/authorize?client_id=rp-par&request_uri={}",
        url::form_urlencoded::byte_serialize(request_uri.as_bytes()).collect::<String>()
    ));
    let location = log_in(&server, &browser, &front).await;
    let code = query_of(&location)["code"].clone();
    let (status, _) = post_basic(
        &server,
        "/token",
        ("rp-par", secret.expose()),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200);
    // A request_uri is single-use.
    let again = Browser::new().get(&front).await;
    assert_eq!(again.status, 400);
    // A pushed request with bad parameters is refused as JSON, before any browser is involved.
    let bad = post_basic(
        &server,
        "/par",
        ("rp-par", secret.expose()),
        &[
            ("response_type", "code"),
            ("redirect_uri", RP),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_error(&bad, 400, "invalid_request");
}

async fn private_key_jwt_assertions_rfc7523(server: TestServer) {
    use idp::jose::{Algorithm, SigningKey};
    let key = SigningKey::generate(Algorithm::Es256, "client-key-1").unwrap();
    let (mut client, _) = confidential_client("rp-jwt", RP);
    client.auth_method = AuthMethod::PrivateKeyJwt;
    client.secret_hash = None;
    client.jwks = Some(json!({ "keys": [key.public_jwk().unwrap()] }));
    client.check().unwrap();
    server.register(&client).await;
    let now = chrono::Utc::now().timestamp();
    let assertion = |aud: &str, exp: i64, jti: &str| {
        key.sign(
            "JWT",
            &json!({"iss": "rp-jwt", "sub": "rp-jwt", "aud": aud, "exp": exp, "iat": now, "jti": jti}),
        )
        .unwrap()
    };
    let token_url = server.url("/token");
    let call = |assertion: String| {
        let url = token_url.clone();
        async move {
            let response = http()
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                ])
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let good = assertion(&token_url, now + 60, "jti-1");
    assert_eq!(call(good.clone()).await.0, 200);
    let replayed = call(good).await;
    assert_error(&replayed, 401, "invalid_client");
    assert!(
        replayed.1["error_description"]
            .as_str()
            .unwrap()
            .contains("jti")
    );
    let expired = call(assertion(&token_url, now - 10, "jti-2")).await;
    assert_error(&expired, 401, "invalid_client");
    let elsewhere = call(assertion(
        "https://other-idp.example/token",
        now + 60,
        "jti-3",
    ))
    .await;
    assert_error(&elsewhere, 401, "invalid_client");
    let other_key = SigningKey::generate(Algorithm::Es256, "client-key-1").unwrap();
    let forged = other_key
        .sign("JWT", &json!({"iss": "rp-jwt", "sub": "rp-jwt", "aud": token_url, "exp": now + 60, "jti": "jti-4"}))
        .unwrap();
    assert_error(&call(forged).await, 401, "invalid_client");
    // The issuer as audience is accepted too (OpenID Connect Core 9).
    assert_eq!(
        call(assertion(&server.base, now + 60, "jti-5")).await.0,
        200
    );
}

on_both_backends!(
    discovery_is_complete_and_truthful,
    jwks_publishes_every_algorithm_with_next_keys,
    code_flow_issues_tokens_and_userinfo_answers,
    unknown_client_gets_a_page_never_a_redirect,
    unregistered_redirect_uri_gets_a_page_never_a_redirect,
    disabled_client_is_refused_everywhere,
    missing_or_plain_pkce_is_refused_rfc7636_4_4_1,
    bad_requests_are_answered_at_the_redirect_uri,
    oversized_and_repeated_parameters_are_refused,
    wrong_verifier_is_refused_rfc7636_4_6,
    code_reuse_revokes_issued_tokens_rfc6749_4_1_2,
    expired_code_is_refused,
    code_of_another_client_is_refused,
    wrong_or_missing_client_secret_is_invalid_client,
    refresh_rotates_and_reuse_revokes_the_family_rfc9700_4_14_2,
    refresh_tokens_expire_and_belong_to_their_client,
    client_credentials_grants_scopes_and_audience,
    introspection_and_revocation_rfc7662_rfc7009,
    prompt_none_without_a_session_is_login_required,
    an_essential_acr_above_any_method_is_unmet_and_a_voluntary_one_gets_low,
    sso_serves_a_second_client_without_another_code,
    pairwise_subjects_differ_by_sector_and_public_ones_do_not,
    an_id_token_hint_for_another_citizen_is_not_served_by_the_session_oidc_3_1_2_1,
    consent_denied_returns_access_denied,
    form_post_response_mode_posts_the_code,
    pushed_authorization_requests_rfc9126,
    private_key_jwt_assertions_rfc7523,
);
