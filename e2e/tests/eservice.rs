//! The example e-service's own session security, over HTTP against the real `idp`: a new
//! session id once logged in (no fixation), a logout form that refuses a wrong CSRF token of
//! any length without harm, and a made-up session cookie that creates nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_e2e::CITIZEN;
use dan_e2e::dan::{Backend, Deployment};
use dan_e2e::eservice::Eservice;
use dan_e2e::pages::{HttpBrowser, LoginFlow, csrf};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_renews_its_session_on_login_and_guards_its_logout_form() {
    let deployment = Deployment::new(Backend::Embedded).await.unwrap();
    let dan = deployment.start_node(&[]).await;
    let service = Eservice::start(&deployment, "benefits-portal", "Benefits portal").await;
    let browser = HttpBrowser::new();

    // A made-up cookie is not a session, and is not kept for the login.
    let forged = "ab".repeat(32);
    browser.set_cookie(&service.cookie, &forged);
    let home = browser.get(&service.at("/")).await;
    assert!(home.body.contains("You are not logged in."));
    let start = browser.get(&service.at("/login")).await;
    assert_eq!(start.status, 303);
    let before = browser
        .cookie(&service.cookie)
        .expect("a session for the pending login");
    assert_ne!(before, forged);

    // The citizen logs in at DAN; the e-service answers with a new session id.
    let flow = LoginFlow::start(&browser, start.location.as_deref().unwrap()).await;
    let (number, phone) = CITIZEN;
    let seen = dan.outbox(phone).await.len();
    flow.post(&browser, &dan.url, "number", &[("registry_number", number)])
        .await;
    let code = dan.new_code(phone, seen).await;
    flow.post(&browser, &dan.url, "code", &[("code", &code)])
        .await;
    let allowed = flow
        .post(&browser, &dan.url, "consent", &[("decision", "allow")])
        .await;
    let back = browser.get(allowed.location.as_deref().unwrap()).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let after = browser.cookie(&service.cookie).unwrap();
    assert_ne!(after, before, "logging in renews the session id");
    let home = browser.get(&service.at("/")).await;
    assert!(home.body.contains("You are logged in."), "{}", home.body);
    let token = csrf(&home.body);

    // Wrong CSRF tokens, of other lengths too, neither log out nor break the e-service.
    for wrong in ["", "x", &"0".repeat(token.len()), &format!("{token}0")] {
        let refused = browser
            .post(&service.at("/logout"), &[("csrf", wrong)])
            .await;
        assert_eq!(refused.status, 303);
        assert_eq!(refused.location.as_deref(), Some("/"));
        let home = browser.get(&service.at("/")).await;
        assert!(home.body.contains("You are logged in."), "csrf {wrong:?}");
    }
    let out = browser
        .post(&service.at("/logout"), &[("csrf", &token)])
        .await;
    let to_dan = out.location.unwrap();
    assert!(to_dan.starts_with(&dan.at("/logout?")), "{to_dan}");
    let home = browser.get(&service.at("/")).await;
    assert!(home.body.contains("You are not logged in."));
}
