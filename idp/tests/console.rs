//! The admin console over real HTTP on the admin listener, on both backends (its sessions
//! live in the short-lived store): sign-in with an API token and nothing else, the session
//! ending when its token is revoked, CSRF on every form with nothing changed without it,
//! the same role checks and audit records as the API, a refused registration that keeps
//! what was typed, citizens looked up and locked, the language switch, and the headers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use idp::admins::Role;
use idp::audit::AuditFilter;
use idp::citizens::RegistryNumber;
use idp::clients::{ClientId, ClientSecret};
use support::server::{Browser, CITIZEN, TestServer, csrf};

/// An admin account `name` with `role`, and a token for it.
async fn admin_token(server: &TestServer, name: &str, role: Role) -> (String, String) {
    let admins = &server.admin.admins;
    admins.create(name, role, None).await.unwrap();
    let (token, record) = admins
        .issue_token(name, "console", Duration::from_secs(3600))
        .await
        .unwrap();
    (token.expose().to_owned(), record.id)
}

/// Signs in a new browser with `token`; returns it and the CSRF token of its session.
async fn signed_in(server: &TestServer, token: &str) -> (Browser, String) {
    let browser = Browser::new();
    let url = |path: &str| format!("{}{path}", server.admin_base);
    let form = browser.get(&url("/console/login")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let done = browser
        .post(
            &url("/console/login"),
            &[("csrf", &csrf(&form.body)), ("token", token)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/console/dashboard"));
    let mut home = browser.get(&url("/console/dashboard")).await;
    if home.status == 303 {
        // Roles without the dashboard start at the e-services.
        assert_eq!(home.location.as_deref(), Some("/console/clients"));
        home = browser.get(&url("/console/clients")).await;
    }
    assert_eq!(home.status, 200, "{}", home.body);
    let csrf = csrf(&home.body);
    (browser, csrf)
}

async fn the_console_signs_in_with_a_live_token_and_ends_with_it(server: TestServer) {
    let url = |path: &str| format!("{}{path}", server.admin_base);
    let anonymous = Browser::new();
    let away = anonymous.get(&url("/console/dashboard")).await;
    assert_eq!(away.status, 303);
    assert_eq!(away.location.as_deref(), Some("/console/login"));
    let root = anonymous.get(&url("/")).await;
    assert_eq!(root.location.as_deref(), Some("/console/dashboard"));

    // The sign-in page: strict policy, no caching, a double-submit cookie.
    let form = anonymous.get(&url("/console/login")).await;
    assert_eq!(
        form.headers["content-security-policy"],
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(form.headers["cache-control"], "no-store");
    let set_cookie = form.headers["set-cookie"].to_str().unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
    assert!(form.body.contains("<html lang=\"mn\">"), "Mongolian first");

    // A wrong token, and a right one without the form's cookie, are refused.
    let (token, token_id) = admin_token(&server, "ops", Role::SecurityAdmin).await;
    let wrong = anonymous
        .post(
            &url("/console/login"),
            &[("csrf", &csrf(&form.body)), ("token", "dan_admin_guess")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("aria-invalid=\"true\""));
    assert!(anonymous.cookie("dan_console").is_none());
    let forged = Browser::new()
        .post(
            &url("/console/login"),
            &[("csrf", &csrf(&form.body)), ("token", &token)],
        )
        .await;
    assert_eq!(forged.status, 403, "a login form from elsewhere");

    let (browser, _) = signed_in(&server, &token).await;
    let session = browser.cookie("dan_console").unwrap();
    assert!(!session.contains(&token), "the cookie is not the token");
    let dashboard = browser.get(&url("/console/dashboard")).await;
    assert!(dashboard.body.contains("ops"), "{}", dashboard.body);
    assert!(dashboard.body.contains("id=\"logins-24h\""));
    let css = browser.get(&url("/console/assets/console.css")).await;
    assert_eq!(css.status, 200);
    assert!(
        css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );

    // Revoking the token ends the session at its next request.
    assert!(server.admin.admins.revoke_token(&token_id).await.unwrap());
    let ended = browser.get(&url("/console/dashboard")).await;
    assert_eq!(ended.status, 200);
    assert!(ended.body.contains("action=\"/console/login\""));
    assert!(browser.cookie("dan_console").is_none(), "cookie cleared");
    let again = browser.get(&url("/console/clients")).await;
    assert_eq!(again.location.as_deref(), Some("/console/login"));

    // Signing out ends a session too.
    let (other, _) = admin_token(&server, "ops2", Role::Auditor).await;
    let (browser, csrf) = signed_in(&server, &other).await;
    let out = browser
        .post(&url("/console/logout"), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, 200);
    let after = browser.get(&url("/console/dashboard")).await;
    assert_eq!(after.location.as_deref(), Some("/console/login"));
}

async fn forms_need_the_session_csrf_token_and_roles_hold(server: TestServer) {
    let url = |path: &str| format!("{}{path}", server.admin_base);
    let (manager, _) = admin_token(&server, "manager", Role::ClientManager).await;
    let (browser, csrf) = signed_in(&server, &manager).await;
    let fields = |csrf: &'static str| {
        vec![
            ("csrf", csrf),
            ("client_id", "forged"),
            ("name_mn", "Хуурамч"),
            ("name_en", "Forged"),
            ("redirect_uris", "https://forged.example/cb"),
            ("scopes", "openid"),
            ("grant_types", "authorization_code"),
            ("auth_method", "client_secret_basic"),
            ("subject_type", "pairwise"),
        ]
    };
    for token in ["", "not-the-token"] {
        let refused = browser
            .post(&url("/console/clients/new"), &fields(token))
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
    let absent = server
        .admin
        .clients
        .find(&ClientId::parse("forged").unwrap())
        .await;
    assert!(matches!(absent, Ok(None)), "nothing was created");

    // The client manager may not look citizens up; the refusal is recorded as in the API.
    let lookup = browser
        .post(
            &url("/console/citizens"),
            &[
                ("csrf", &csrf),
                ("registry_number", CITIZEN.0),
                ("reason", "curiosity"),
            ],
        )
        .await;
    assert_eq!(lookup.status, 403);
    assert!(lookup.body.contains("client-manager"), "{}", lookup.body);
    let keys = browser.get(&url("/console/keys")).await;
    assert_eq!(keys.status, 403);
    let refusals = server
        .provider
        .audit
        .query(
            &AuditFilter {
                actor: Some("admin:manager".into()),
                ..AuditFilter::default()
            },
            0,
            100,
        )
        .await
        .unwrap();
    let outcomes: Vec<String> = refusals
        .iter()
        .map(|e| {
            let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap();
            format!("{} {}", detail["action"], detail["outcome"])
        })
        .collect();
    assert!(
        outcomes.contains(&"\"citizens.lookup\" \"403\"".to_owned()),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&"\"keys.list\" \"403\"".to_owned()),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&"\"console.sign_in\" \"ok\"".to_owned()),
        "{outcomes:?}"
    );
}

async fn a_refused_registration_keeps_what_was_typed(server: TestServer) {
    let url = |path: &str| format!("{}{path}", server.admin_base);
    let (manager, _) = admin_token(&server, "manager", Role::ClientManager).await;
    let (browser, csrf) = signed_in(&server, &manager).await;
    let new = browser.get(&url("/console/clients/new")).await;
    assert_eq!(new.status, 200);
    assert!(new.body.contains("name=\"scopes\" value=\"profile\""));
    assert!(
        !new.body.contains("value=\"national_id\""),
        "the restricted scope is not offered at registration"
    );
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("client_id", "tax-office"),
        ("name_mn", "Татварын алба"),
        ("name_en", "Tax office"),
        ("redirect_uris", "http://tax.example/callback"),
        ("scopes", "openid"),
        ("scopes", "profile"),
        ("grant_types", "authorization_code"),
        ("auth_method", "client_secret_basic"),
        ("subject_type", "pairwise"),
    ];
    let refused = browser.post(&url("/console/clients/new"), &form).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("href=\"#f-redirect_uris\""));
    assert!(refused.body.contains("id=\"f-redirect_uris\" name=\"redirect_uris\" rows=\"3\" spellcheck=\"false\" aria-describedby=\"f-redirect_uris-hint f-redirect_uris-error\" aria-invalid=\"true\">http://tax.example/callback</textarea>"), "{}", refused.body);
    assert!(refused.body.contains("value=\"Татварын алба\""), "kept");
    assert!(
        refused
            .body
            .contains("name=\"scopes\" value=\"profile\" checked"),
        "kept"
    );
    let absent = server
        .admin
        .clients
        .find(&ClientId::parse("tax-office").unwrap())
        .await;
    assert!(matches!(absent, Ok(None)));

    form[4] = ("redirect_uris", "https://tax.example/callback");
    let created = browser.post(&url("/console/clients/new"), &form).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let start = created.body.find("id=\"client-secret\">").unwrap() + 19;
    let secret = &created.body[start..start + created.body[start..].find('<').unwrap()];
    let client = server
        .admin
        .clients
        .find(&ClientId::parse("tax-office").unwrap())
        .await
        .unwrap()
        .unwrap();
    let hash = client.secret_hash.as_ref().unwrap();
    assert!(hash.verify(&ClientSecret::from_presented(secret)));
    assert_eq!(client.name_en, "Tax office");

    // The page of the client shows it; disabling it there takes effect.
    let page = browser.get(&url("/console/clients/tax-office")).await;
    assert!(page.body.contains("https://tax.example/callback"));
    assert!(
        !page.body.contains(secret),
        "the secret is never shown again"
    );
    let disabled = browser
        .post(
            &url("/console/clients/tax-office/enabled"),
            &[("csrf", &csrf), ("enabled", "false")],
        )
        .await;
    assert_eq!(disabled.status, 303);
    let client = server
        .admin
        .clients
        .find(&ClientId::parse("tax-office").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!client.enabled);
    let list = browser.get(&url("/console/clients?enabled=false")).await;
    assert!(list.body.contains("/console/clients/tax-office"));
}

async fn a_citizen_is_looked_up_and_locked_with_reasons(server: TestServer) {
    let url = |path: &str| format!("{}{path}", server.admin_base);
    let (admin, _) = admin_token(&server, "security", Role::SecurityAdmin).await;
    let (browser, csrf) = signed_in(&server, &admin).await;
    let no_reason = browser
        .post(
            &url("/console/citizens"),
            &[
                ("csrf", &csrf),
                ("registry_number", CITIZEN.0),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(no_reason.status, 400);
    assert!(no_reason.body.contains("href=\"#f-reason\""));
    assert!(
        no_reason.body.contains(&format!("value=\"{}\"", CITIZEN.0)),
        "kept"
    );
    let found = browser
        .post(
            &url("/console/citizens"),
            &[
                ("csrf", &csrf),
                ("registry_number", CITIZEN.0),
                ("reason", "ticket 42"),
            ],
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(found.body.contains("<b id=\"citizen-status\">active</b>"));
    let start = found.body.find("action=\"/console/citizens/").unwrap() + 26;
    let id = &found.body[start..start + 36];
    let locked = browser
        .post(
            &url(&format!("/console/citizens/{id}/lock")),
            &[("csrf", &csrf), ("reason", "stolen phone, ticket 42")],
        )
        .await;
    assert_eq!(locked.status, 200, "{}", locked.body);
    assert!(locked.body.contains("<b id=\"citizen-status\">locked</b>"));
    let citizen = server
        .admin
        .citizens
        .find_by_registry_number(&RegistryNumber::parse(CITIZEN.0).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(citizen.record.status.as_str(), "locked");
}

async fn the_console_speaks_english_on_request_and_goes_back_only_to_itself(server: TestServer) {
    let url = |path: &str| format!("{}{path}", server.admin_base);
    let (admin, _) = admin_token(&server, "auditor", Role::Auditor).await;
    let (browser, _) = signed_in(&server, &admin).await;
    let switched = browser
        .get(&url(
            "/console/lang/en?back=%2Fconsole%2Faudit%3Fkind%3Dadmin.action",
        ))
        .await;
    assert_eq!(
        switched.location.as_deref(),
        Some("/console/audit?kind=admin.action")
    );
    let page = browser.get(&url("/console/audit?kind=admin.action")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains("Audit trail"));
    assert!(
        page.body.contains("admin:auditor"),
        "its own sign-in is listed"
    );
    let bad_time = browser.get(&url("/console/audit?from=yesterday")).await;
    assert_eq!(bad_time.status, 400);
    assert!(bad_time.body.contains("href=\"#f-from\""));
    for back in [
        "//evil.example/",
        "https://evil.example/",
        "/console\\@evil",
    ] {
        let away = browser
            .get(&url(&format!("/console/lang/mn?back={}", urlencode(back))))
            .await;
        assert_eq!(
            away.location.as_deref(),
            Some("/console/dashboard"),
            "{back}"
        );
    }
    // The API's explorer: a page with inline scripts, each allowed by its hash only.
    let explorer = browser.get(&url("/explorer")).await;
    assert_eq!(explorer.status, 200);
    let policy = explorer.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        policy.starts_with("default-src 'none'; script-src 'sha256-"),
        "{policy}"
    );
    assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"));
    assert!(
        explorer.body.contains("\"DAN admin API\""),
        "the document is in the page"
    );
    let verified = browser.get(&url("/console/audit/verify")).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert!(verified.body.contains("role=\"status\""));
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

on_both_backends!(
    the_console_signs_in_with_a_live_token_and_ends_with_it,
    forms_need_the_session_csrf_token_and_roles_hold,
    a_refused_registration_keeps_what_was_typed,
    a_citizen_is_looked_up_and_locked_with_reasons,
    the_console_speaks_english_on_request_and_goes_back_only_to_itself,
);
