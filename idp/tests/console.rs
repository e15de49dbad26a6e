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

    // Signing out ends the session where it is kept: the old cookie, replayed, is refused.
    let (other, _) = admin_token(&server, "ops2", Role::Auditor).await;
    let (browser, csrf) = signed_in(&server, &other).await;
    let stolen = browser.cookie("dan_console").unwrap();
    let out = browser
        .post(&url("/console/logout"), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/console/login"));
    assert!(browser.cookie("dan_console").is_none());
    let replayed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url("/console/dashboard"))
        .header("cookie", format!("dan_console={stolen}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), 303, "a replayed cookie is not a session");

    // Signing in again makes a new session id.
    let (again, _) = signed_in(&server, &other).await;
    assert_ne!(again.cookie("dan_console").unwrap(), stolen);
}

/// The answer to a request whose session is over: the sign-in page, or a way to it.
#[track_caller]
fn assert_signed_out(seen: &support::server::Seen, why: &str) {
    let to_sign_in = seen.status == 303 && seen.location.as_deref() == Some("/console/login");
    let sign_in_page = seen.status == 200 && seen.body.contains("action=\"/console/login\"");
    assert!(
        to_sign_in || sign_in_page,
        "{why}: {} {:?}",
        seen.status,
        seen.location
    );
}

/// Refused sign-ins are in the audit trail with the address; an address gets ten refusals a
/// minute, and a live token signs in whatever the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_sign_ins_are_audited_and_limited_per_address() {
    let server = TestServer::start(support::server::Backends::Embedded, &[])
        .await
        .unwrap();
    let url = |path: &str| format!("{}{path}", server.admin_base);
    let (token, _) = admin_token(&server, "ops", Role::SecurityAdmin).await;
    let browser = Browser::new();
    for attempt in 1..=10 {
        let form = browser.get(&url("/console/login")).await;
        let refused = browser
            .post(
                &url("/console/login"),
                &[("csrf", &csrf(&form.body)), ("token", "dan_admin_guess")],
            )
            .await;
        assert_eq!(refused.status, 401, "attempt {attempt}");
    }
    let form = browser.get(&url("/console/login")).await;
    let limited = browser
        .post(
            &url("/console/login"),
            &[("csrf", &csrf(&form.body)), ("token", "dan_admin_guess")],
        )
        .await;
    assert_eq!(limited.status, 429, "the eleventh guess in a minute waits");
    assert_eq!(limited.headers["retry-after"], "60");
    assert!(browser.cookie("dan_console").is_none());
    // A live token still signs in at once: flooding the form locks no administrator out.
    signed_in(&server, &token).await;
    let refusals = server
        .provider
        .audit
        .query(
            &AuditFilter {
                actor: Some("system".into()),
                ..AuditFilter::default()
            },
            0,
            100,
        )
        .await
        .unwrap();
    let refused: Vec<serde_json::Value> = refusals
        .iter()
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .filter(|d: &serde_json::Value| d["action"] == "console.sign_in")
        .collect();
    assert_eq!(
        refused.len(),
        10,
        "each refusal up to the limit is audited, no more"
    );
    assert!(
        refused
            .iter()
            .all(|d| d["outcome"] == "401" && d["address"] == "127.0.0.1")
    );
    assert!(
        !refusals
            .iter()
            .any(|e| e.detail.contains("dan_admin_guess")),
        "no token in the trail"
    );
}

/// Sessions end after 15 minutes without a request, and after an hour whatever happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_sessions_end_when_idle_and_after_an_hour() {
    // The in-process store follows the test's clock (Redis keeps real time).
    let server = TestServer::start(support::server::Backends::Embedded, &[])
        .await
        .unwrap();
    let url = |path: &str| format!("{}{path}", server.admin_base);
    let (token, _) = admin_token(&server, "ops", Role::SecurityAdmin).await;
    let (idle, _) = signed_in(&server, &token).await;
    server.clock.advance(Duration::from_secs(16 * 60));
    let ended = idle.get(&url("/console/dashboard")).await;
    assert_signed_out(&ended, "idle for 16 minutes");

    // A token that outlives the session (a token's expiry ends sessions too).
    let (token, _) = server
        .admin
        .admins
        .issue_token("ops", "long", Duration::from_secs(3 * 3600))
        .await
        .unwrap();
    let (busy, _) = signed_in(&server, token.expose()).await;
    for _ in 0..4 {
        server.clock.advance(Duration::from_secs(14 * 60));
        let page = busy.get(&url("/console/dashboard")).await;
        assert_eq!(page.status, 200, "active within the hour");
        assert!(page.body.contains("id=\"logins-24h\""));
    }
    server.clock.advance(Duration::from_secs(5 * 60));
    let ended = busy.get(&url("/console/dashboard")).await;
    assert_signed_out(&ended, "61 minutes after sign-in, however busy");
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

    // Every other form, as a security admin who may do everything: refused without the
    // session's token, and nothing changed.
    let (admin, _) = admin_token(&server, "boss", Role::SecurityAdmin).await;
    let (boss, _) = signed_in(&server, &admin).await;
    let (client, _) = support::server::confidential_client("rp-csrf", "https://rp.example/cb");
    server.register(&client).await;
    let citizen = server
        .admin
        .citizens
        .find_by_registry_number(&RegistryNumber::parse(CITIZEN.0).unwrap())
        .await
        .unwrap()
        .unwrap();
    let jwks: serde_json::Value =
        serde_json::from_str(&server.provider.tokens.keys().jwks()).unwrap();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/console/clients/rp-csrf/edit".into(),
            vec![("name_en", "x")],
        ),
        (
            "/console/clients/rp-csrf/secret".into(),
            vec![("grace_seconds", "0")],
        ),
        (
            "/console/clients/rp-csrf/enabled".into(),
            vec![("enabled", "false")],
        ),
        (
            "/console/clients/rp-csrf/restricted".into(),
            vec![
                ("scope", "national_id"),
                ("granted", "true"),
                ("reason", "forged"),
            ],
        ),
        (
            "/console/citizens".into(),
            vec![("registry_number", CITIZEN.0), ("reason", "forged")],
        ),
        (
            format!("/console/citizens/{}/lock", citizen.id.0),
            vec![("reason", "forged")],
        ),
        (
            format!("/console/citizens/{}/end-sessions", citizen.id.0),
            vec![("reason", "forged")],
        ),
        ("/console/keys/ES256/rotate".into(), vec![]),
        (
            format!("/console/keys/{kid}/withdraw"),
            vec![("reason", "forged")],
        ),
        ("/console/logout".into(), vec![]),
    ];
    let keys_before = server.provider.tokens.keys().jwks();
    for (path, fields) in &forms {
        for token in ["", "not-the-token"] {
            let mut form = fields.clone();
            form.push(("csrf", token));
            let refused = boss.post(&url(path), &form).await;
            assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        }
    }
    let unchanged = server
        .admin
        .clients
        .find(&client.id)
        .await
        .unwrap()
        .unwrap();
    assert!(unchanged.enabled && unchanged.name_en == client.name_en);
    assert_eq!(unchanged.secret_hash, client.secret_hash);
    assert!(!unchanged.allowed_scopes.iter().any(|s| s == "national_id"));
    let citizen_after = server
        .admin
        .citizens
        .find_by_id(citizen.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(citizen_after.record.status.as_str(), "active");
    assert_eq!(server.provider.tokens.keys().jwks(), keys_before);
    assert_eq!(
        boss.get(&url("/console/dashboard")).await.status,
        200,
        "still signed in"
    );

    // Granted the national id (with a reason, by the security admin), the client is no longer
    // the client manager's to change.
    let page = boss.get(&url("/console/clients/rp-csrf")).await;
    let boss_csrf = support::server::csrf(&page.body);
    let short = boss
        .post(
            &url("/console/clients/rp-csrf/restricted"),
            &[
                ("csrf", &boss_csrf),
                ("scope", "national_id"),
                ("granted", "true"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(short.status, 400, "a reason is needed");
    assert!(
        short.body.contains("href=\"#f-reason-national_id\""),
        "{}",
        short.body
    );
    let granted = boss
        .post(
            &url("/console/clients/rp-csrf/restricted"),
            &[
                ("csrf", &boss_csrf),
                ("scope", "national_id"),
                ("granted", "true"),
                ("reason", "land registration law"),
            ],
        )
        .await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    let edit = browser
        .post(
            &url("/console/clients/rp-csrf/edit"),
            &[
                ("csrf", &csrf),
                ("name_mn", "Хулгай"),
                ("name_en", "Theft"),
                ("redirect_uris", "https://attacker.example/cb"),
                ("scopes", "openid"),
                ("grant_types", "authorization_code"),
                ("auth_method", "client_secret_basic"),
                ("subject_type", "pairwise"),
            ],
        )
        .await;
    assert_eq!(edit.status, 403, "{}", edit.body);
    let kept = server
        .admin
        .clients
        .find(&client.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.redirect_uris, client.redirect_uris);

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
    assert!(
        found.body.contains("<td>sms</td><td>low</td>"),
        "the ways to log in are listed"
    );
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
