//! What a citizen's login leaves in the audit trail, over real HTTP on both backends: the
//! failed and the successful authentication, the consent, the tokens issued, their revocation
//! after a replayed code; no registry number, phone number or code in any event; the chain
//! intact afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use idp::audit::{AuditEvent, AuditFilter};
use support::server::{
    Browser, CITIZEN, LoginPage, TestServer, authorize_url, confidential_client, pkce, query_of,
    redeem,
};

const RP: &str = "https://rp.example/cb";

async fn events(server: &TestServer) -> Vec<AuditEvent> {
    server
        .provider
        .audit
        .query(&AuditFilter::default(), 0, 1000)
        .await
        .unwrap()
}

fn detail(event: &AuditEvent) -> serde_json::Value {
    serde_json::from_str(&event.detail).unwrap()
}

async fn a_login_is_audited_from_the_wrong_code_to_the_replayed_one(server: TestServer) {
    let (client, secret) = confidential_client("rp-audit", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (verifier, challenge) = pkce();
    let page = LoginPage::open(
        &server,
        &browser,
        &authorize_url(&server, "rp-audit", RP, &challenge, &[]),
    )
    .await;
    let code = page.code_for_citizen(&server, &browser).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = page.post(&browser, "code", &[("code", wrong)]).await;
    assert_eq!(refused.status, 422);
    let entered = page.post(&browser, "code", &[("code", &code)]).await;
    assert_eq!(entered.status, 303);
    browser
        .get(&server.url(entered.location.as_deref().unwrap()))
        .await;
    let allowed = page
        .post(&browser, "consent", &[("decision", "allow")])
        .await;
    let query = query_of(allowed.location.as_deref().unwrap());
    let redeemed = redeem(
        &server,
        ("rp-audit", secret.expose()),
        RP,
        &query["code"],
        &verifier,
    )
    .await;
    assert_eq!(redeemed.0, 200);
    let replayed = redeem(
        &server,
        ("rp-audit", secret.expose()),
        RP,
        &query["code"],
        &verifier,
    )
    .await;
    assert_eq!(replayed.0, 400);

    let trail = events(&server).await;
    let kinds: Vec<&str> = trail.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "login.failed",
            "login.succeeded",
            "consent.granted",
            "tokens.issued",
            "tokens.revoked"
        ],
        "{trail:#?}"
    );
    assert_eq!(detail(&trail[0])["reason"], "wrong_code");
    assert_eq!(detail(&trail[1])["method"], "sms");
    assert_eq!(detail(&trail[1])["acr"], "low");
    assert_eq!(detail(&trail[2])["scopes"], "openid profile");
    assert_eq!(detail(&trail[3])["grant_type"], "authorization_code");
    assert_eq!(detail(&trail[4])["reason"], "code_replay");
    let citizen = trail[1].citizen_id.expect("the login names the citizen");
    for event in &trail[..3] {
        assert_eq!(event.citizen_id, Some(citizen), "{event:?}");
    }
    assert!(
        trail
            .iter()
            .all(|e| e.client_id.as_deref() == Some("rp-audit"))
    );
    assert_eq!(trail[1].actor, format!("citizen:{citizen}"));

    let (number, phone) = CITIZEN;
    // Everything but the hashes, which are hex and may contain any run of digits.
    let everything: String = trail
        .iter()
        .map(|e| {
            format!(
                "{} {} {:?} {:?} {}",
                e.kind, e.actor, e.citizen_id, e.client_id, e.detail
            )
        })
        .collect();
    for secret_value in [number, phone, &code, wrong, &query["code"]] {
        assert!(
            !everything.contains(secret_value),
            "the trail never holds {secret_value:?}"
        );
    }
    let report = server.provider.audit.verify().await.unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.events, 5);
}

on_both_backends!(a_login_is_audited_from_the_wrong_code_to_the_replayed_one);
