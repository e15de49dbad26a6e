//! A citizen in headless Chromium, at the SDK's example e-service, logging in through the real
//! `idp` binary: registry number, the SMS code from the development outbox, consent, and back
//! with the claims; single sign-on into a second e-service; single logout reaching both
//! (back-channel). Then the same login with the keyboard alone on a phone-sized screen, and the
//! accessibility of DAN's forms checked in the DOM.
//!
//! Every page is kept as a screenshot under `target/test-output/<test>/`, and the console
//! must stay free of errors (a script blocked by the Content-Security-Policy shows there).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_e2e::CITIZEN;
use dan_e2e::browser::{ChromeDriver, Witness, field_labelled, wait_for, wait_for_path};
use dan_e2e::citizen::{assert_logged_in, consent, log_in_at, text_of};
use dan_e2e::dan::{Backend, Deployment};
use dan_e2e::eservice::Eservice;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;

/// A phone's screen, in CSS pixels.
const PHONE: (u32, u32) = (390, 844);
/// A laptop's.
const LAPTOP: (u32, u32) = (1280, 900);

async fn sso_and_single_logout(backend: Backend) {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let Some(deployment) = Deployment::new(backend).await else {
        return;
    };
    let dan = deployment.start_node(&[]).await;
    let benefits = Eservice::start(&deployment, "benefits-portal", "Benefits portal").await;
    let mut tax = Eservice::start(&deployment, "tax-office", "Tax office").await;
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path(), LAPTOP.0, LAPTOP.1).await;
    let mut witness = Witness::new(&driver, &format!("sso_and_single_logout_{backend:?}"));

    // The first e-service: a full login with an SMS code.
    log_in_at(&browser, &mut witness, &dan, &benefits).await;
    assert_logged_in(&browser, &benefits).await;
    witness.page(&browser, "benefits-logged-in").await;

    // The second e-service: single sign-on, so no number and no code, only its consent.
    let sent = dan.outbox(CITIZEN.1).await.len();
    browser.goto(&tax.at("/")).await.unwrap();
    wait_for(&browser, Locator::Id("login"))
        .await
        .click()
        .await
        .unwrap();
    consent(&browser, &mut witness, &tax).await;
    assert_logged_in(&browser, &tax).await;
    witness.page(&browser, "tax-logged-in").await;
    assert_eq!(
        dan.outbox(CITIZEN.1).await.len(),
        sent,
        "single sign-on sent no second SMS"
    );

    // Logging out at the first ends DAN's session, and DAN tells the second (back-channel).
    browser.goto(&benefits.at("/")).await.unwrap();
    wait_for(&browser, Locator::Id("logout"))
        .await
        .click()
        .await
        .unwrap();
    wait_for_path(&browser, "/logged-out").await;
    assert_eq!(text_of(&browser, "#status").await, "You have logged out.");
    witness.page(&browser, "benefits-logged-out").await;
    tax.wait_for_backchannel_logout(1).await;
    browser.goto(&tax.at("/")).await.unwrap();
    let ended = text_of(&browser, "#ended").await;
    assert!(ended.contains("DAN ended your session"), "{ended}");
    assert_eq!(text_of(&browser, "#status").await, "You are not logged in.");
    witness.page(&browser, "tax-ended-by-dan").await;

    // DAN's session is gone: logging in again asks for the registry number.
    wait_for(&browser, Locator::Id("login"))
        .await
        .click()
        .await
        .unwrap();
    wait_for(
        &browser,
        Locator::XPath(&field_labelled("Регистрийн дугаар")),
    )
    .await;
    witness.page(&browser, "login-again").await;
    witness.assert_console_clean();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_into_a_second_eservice_and_single_logout_on_the_embedded_default() {
    sso_and_single_logout(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_into_a_second_eservice_and_single_logout_on_postgres_and_redis() {
    sso_and_single_logout(Backend::PostgresRedis).await;
}

/// Presses Tab until the focused element satisfies `wanted` (given its tag, id, text and
/// name), at most 40 times; returns it.
async fn tab_to(
    browser: &Client,
    what: &str,
    wanted: impl Fn(&str, &str, &str, &str) -> bool,
) -> fantoccini::elements::Element {
    for _ in 0..40 {
        let focused = browser.active_element().await.unwrap();
        let tag = focused.tag_name().await.unwrap_or_default();
        let id = focused.attr("id").await.unwrap().unwrap_or_default();
        let name = focused.attr("name").await.unwrap().unwrap_or_default();
        let text = focused.text().await.unwrap_or_default();
        if wanted(&tag, &id, &text, &name) {
            return focused;
        }
        focused.send_keys(&Key::Tab).await.unwrap();
    }
    panic!("Tab never reached {what}");
}

/// The page is no wider than the screen: nothing to scroll sideways on a phone.
async fn assert_fits_the_screen(browser: &Client, page: &str) {
    let widths = browser
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
    assert!(
        scroll <= inner,
        "{page} is {scroll} px wide on a {inner} px screen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_login_is_done_with_the_keyboard_alone_on_a_phone_sized_screen() {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let deployment = Deployment::new(Backend::Embedded).await.unwrap();
    let dan = deployment.start_node(&[]).await;
    let service = Eservice::start(&deployment, "benefits-portal", "Benefits portal").await;
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path(), PHONE.0, PHONE.1).await;
    let mut witness = Witness::new(&driver, "keyboard_only_phone");
    let (number, phone) = CITIZEN;

    browser.goto(&service.at("/")).await.unwrap();
    wait_for(&browser, Locator::Id("login")).await;
    let link = tab_to(&browser, "the login link", |_, id, _, _| id == "login").await;
    link.send_keys(&Key::Enter).await.unwrap();

    let number_field = wait_for(
        &browser,
        Locator::XPath(&field_labelled("Регистрийн дугаар")),
    )
    .await;
    assert_fits_the_screen(&browser, "the registry number page").await;
    let seen = dan.outbox(phone).await.len();
    let field = tab_to(&browser, "the registry number field", |tag, _, _, name| {
        tag == "input" && name == "registry_number"
    })
    .await;
    field.send_keys(number).await.unwrap();
    witness.page(&browser, "registry-number").await;
    field.send_keys(&Key::Enter).await.unwrap();
    drop(number_field);

    wait_for(&browser, Locator::XPath(&field_labelled("6 оронтой код"))).await;
    assert_fits_the_screen(&browser, "the code page").await;
    let code = dan.new_code(phone, seen).await;
    let field = tab_to(&browser, "the code field", |tag, _, _, name| {
        tag == "input" && name == "code"
    })
    .await;
    field.send_keys(&code).await.unwrap();
    witness.page(&browser, "code").await;
    field.send_keys(&Key::Enter).await.unwrap();

    wait_for(
        &browser,
        Locator::XPath("//button[@name='decision' and @value='allow']"),
    )
    .await;
    assert_fits_the_screen(&browser, "the consent page").await;
    witness.page(&browser, "consent").await;
    let allow = tab_to(&browser, "the Allow button", |tag, _, text, _| {
        tag == "button" && text == "Зөвшөөрөх"
    })
    .await;
    allow.send_keys(&Key::Enter).await.unwrap();

    assert_logged_in(&browser, &service).await;
    witness.page(&browser, "logged-in").await;
    witness.assert_console_clean();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_input_is_labelled_and_every_error_is_announced() {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let deployment = Deployment::new(Backend::Embedded).await.unwrap();
    let dan = deployment.start_node(&[]).await;
    let service = Eservice::start(&deployment, "benefits-portal", "Benefits portal").await;
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path(), PHONE.0, PHONE.1).await;
    let mut witness = Witness::new(&driver, "labels_and_errors");
    browser.goto(&service.at("/")).await.unwrap();
    wait_for(&browser, Locator::Id("login"))
        .await
        .click()
        .await
        .unwrap();

    // Latin letters where Cyrillic ones belong: a clear, announced error.
    let field = wait_for(
        &browser,
        Locator::XPath(&field_labelled("Регистрийн дугаар")),
    )
    .await;
    assert_every_input_labelled(&browser, "the registry number page").await;
    field.send_keys("UB90010112").await.unwrap();
    field.send_keys(&Key::Enter).await.unwrap();
    assert_error_announced(&browser, "registry_number").await;
    witness.page(&browser, "number-error").await;

    // A wrong code: announced too, and the field says so.
    let field = wait_for(
        &browser,
        Locator::XPath(&field_labelled("Регистрийн дугаар")),
    )
    .await;
    field.clear().await.unwrap();
    let seen = dan.outbox(CITIZEN.1).await.len();
    field.send_keys(CITIZEN.0).await.unwrap();
    field.send_keys(&Key::Enter).await.unwrap();
    let field = wait_for(&browser, Locator::XPath(&field_labelled("6 оронтой код"))).await;
    assert_every_input_labelled(&browser, "the code page").await;
    let code = dan.new_code(CITIZEN.1, seen).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    field.send_keys(wrong).await.unwrap();
    field.send_keys(&Key::Enter).await.unwrap();
    assert_error_announced(&browser, "code").await;
    witness.page(&browser, "code-error").await;
    // DAN answers a form with errors 422, which Chromium reports as a failed load.
    witness.assert_console_clean_except(Some("status of 422 (Unprocessable Entity)"));
    browser.close().await.unwrap();
}

/// Every visible input has a label (`<label for>`, or `aria-label`/`aria-labelledby`).
async fn assert_every_input_labelled(browser: &Client, page: &str) {
    let unlabelled = browser
        .execute(
            "return Array.from(document.querySelectorAll('input, select, textarea'))\
               .filter(e => e.type !== 'hidden')\
               .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')\
                            && !e.getAttribute('aria-labelledby'))\
               .map(e => e.outerHTML);",
            vec![],
        )
        .await
        .unwrap();
    let inputs = browser
        .execute(
            "return document.querySelectorAll('input:not([type=hidden])').length;",
            vec![],
        )
        .await
        .unwrap();
    assert!(inputs.as_u64().unwrap() > 0, "{page} has inputs");
    assert_eq!(
        unlabelled,
        Value::Array(vec![]),
        "unlabelled inputs on {page}"
    );
}

/// The page has an error summary announced on load (`role="alert"`) linking to the field, and
/// the field is `aria-invalid` and described by its error message.
async fn assert_error_announced(browser: &Client, field_name: &str) {
    let summary = wait_for(browser, Locator::Css("[role=alert]")).await;
    let summary_text = summary.text().await.unwrap();
    assert!(!summary_text.trim().is_empty(), "the alert says something");
    let report = browser
        .execute(
            "const f = document.querySelector(`input[name='${arguments[0]}']`);\
             const error = document.getElementById(f.id + '-error');\
             const link = document.querySelector('[role=alert] a');\
             return { id: f.id, invalid: f.getAttribute('aria-invalid'),\
                      describedby: f.getAttribute('aria-describedby') || '',\
                      error: error ? error.textContent.trim() : null,\
                      link: link ? link.getAttribute('href') : null,\
                      linkText: link ? link.textContent.trim() : null };",
            vec![Value::String(field_name.to_owned())],
        )
        .await
        .unwrap();
    let id = report["id"].as_str().unwrap();
    assert_eq!(
        report["invalid"], "true",
        "{field_name} is aria-invalid: {report}"
    );
    let described_by: Vec<&str> = report["describedby"].as_str().unwrap().split(' ').collect();
    assert!(
        described_by.contains(&format!("{id}-error").as_str()),
        "{field_name} is described by its error: {report}"
    );
    let message = report["linkText"].as_str().unwrap();
    assert!(
        !message.is_empty() && report["error"].as_str().unwrap().ends_with(message),
        "the field's error and the announced summary say the same: {report}"
    );
    assert_eq!(
        report["link"].as_str(),
        Some(format!("#{id}").as_str()),
        "the summary links to the field"
    );
}
