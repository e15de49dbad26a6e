//! A passkey in headless Chromium with a WebDriver virtual authenticator (a platform
//! authenticator that verifies the user, as a fingerprint would), on the real `idp` binary at
//! `http://localhost`: the citizen logs in to an e-service with an SMS code, adds a passkey on
//! their DAN account page, logs out, and logs in to an e-service that asks for `substantial`
//! with the passkey alone (no registry number, no SMS), from the passkey autofill of the
//! registry-number page. The e-service receives `acr`
//! substantial and `amr` with `mfa`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_e2e::CITIZEN;
use dan_e2e::browser::{
    ChromeDriver, Witness, add_virtual_authenticator, field_labelled, virtual_credentials,
    wait_for, wait_for_path,
};
use dan_e2e::citizen::{assert_logged_in, consent, log_in_at, text_of};
use dan_e2e::dan::{Backend, Deployment};
use dan_e2e::eservice::Eservice;
use fantoccini::{Client, Locator};

const LAPTOP: (u32, u32) = (1280, 900);

async fn click(browser: &Client, xpath: &str) {
    wait_for(browser, Locator::XPath(xpath))
        .await
        .click()
        .await
        .expect("the browser answers");
}

async fn sms_then_passkey_alone_at_substantial(backend: Backend) {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let Some(deployment) = Deployment::new(backend).await else {
        return;
    };
    let deployment = deployment.on_localhost();
    let dan = deployment.start_node(&[]).await;
    let library = Eservice::start(&deployment, "library", "Library").await;
    let pension = Eservice::start_with(
        &deployment,
        "pension-fund",
        "Pension fund",
        &[("ESERVICE_ACR", "substantial")],
    )
    .await;
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path(), LAPTOP.0, LAPTOP.1).await;
    let authenticator = add_virtual_authenticator(&browser).await;
    let mut witness = Witness::new(&driver, &format!("passkey_{backend:?}"));

    // An SMS login at an e-service that asks for nothing more.
    log_in_at(&browser, &mut witness, &dan, &library).await;
    assert_logged_in(&browser, &library).await;

    // The DAN account, through single sign-on: add a passkey.
    browser
        .goto(&format!("{}/account", deployment.issuer))
        .await
        .unwrap();
    let name = wait_for(
        &browser,
        Locator::XPath(&field_labelled("Нэвтрэх түлхүүрийн нэр")),
    )
    .await;
    name.send_keys("Миний зөөврийн компьютер").await.unwrap();
    witness.page(&browser, "account").await;
    click(
        &browser,
        "//button[normalize-space()='Нэвтрэх түлхүүр үүсгэх']",
    )
    .await;
    let notice = text_of(&browser, ".notice").await;
    assert_eq!(notice, "Нэвтрэх түлхүүр нэмэгдлээ.");
    let listed = text_of(&browser, ".methods-list").await;
    assert!(listed.contains("Миний зөөврийн компьютер"), "{listed}");
    witness.page(&browser, "passkey-added").await;
    let credentials = virtual_credentials(&browser, &authenticator).await;
    assert_eq!(credentials.len(), 1, "{credentials:?}");
    assert_eq!(
        credentials[0]["isResidentCredential"], true,
        "a discoverable credential"
    );

    // Log out (of the e-service and of DAN).
    browser.goto(&library.at("/")).await.unwrap();
    click(&browser, "//*[@id='logout']").await;
    wait_for_path(&browser, "/logged-out").await;

    // The pension fund asks for substantial: the passkey alone, no number, no SMS.
    let sent = dan.outbox(CITIZEN.1).await.len();
    browser.goto(&pension.at("/")).await.unwrap();
    // The registry-number page asks the browser for a passkey in the field's autofill
    // (conditional UI); Chromium's virtual authenticator answers such a request at once, as a
    // citizen picking the passkey from the autofill list would, so the next page is consent.
    click(&browser, "//*[@id='login']").await;
    consent(&browser, &mut witness, &pension).await;
    wait_for_path(&browser, "/").await;
    assert_eq!(text_of(&browser, "#status").await, "You are logged in.");
    assert_eq!(text_of(&browser, "#acr").await, "substantial");
    let amr = text_of(&browser, "#amr").await;
    let amr: Vec<&str> = amr.split(' ').collect();
    assert!(amr.contains(&"mfa") && amr.contains(&"user"), "{amr:?}");
    assert!(!amr.contains(&"sms"), "{amr:?}");
    witness.page(&browser, "pension-logged-in").await;
    assert_eq!(dan.outbox(CITIZEN.1).await.len(), sent, "no SMS was sent");
    witness.assert_console_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_then_passkey_alone_at_substantial_embedded() {
    sms_then_passkey_alone_at_substantial(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_then_passkey_alone_at_substantial_postgres_redis() {
    sms_then_passkey_alone_at_substantial(Backend::PostgresRedis).await;
}
