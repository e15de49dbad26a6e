//! What a citizen does in the browser, shared by the browser tests: log in at an e-service
//! through DAN's pages (number, SMS code from the outbox, consent), and what the e-service
//! then shows.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::CITIZEN;
use crate::browser::{Witness, field_labelled, wait_for, wait_for_path};
use crate::dan::Idp;
use crate::eservice::Eservice;

/// The text of the first element matching `css`, once it is there.
pub async fn text_of(browser: &Client, css: &str) -> String {
    wait_for(browser, Locator::Css(css))
        .await
        .text()
        .await
        .expect("the browser answers")
}

/// From an e-service's home page through DAN's number, code and consent pages back to the
/// e-service, with clicks. Returns the code used.
pub async fn log_in_at(
    browser: &Client,
    witness: &mut Witness,
    dan: &Idp,
    service: &Eservice,
) -> String {
    let (number, phone) = CITIZEN;
    browser
        .goto(&service.at("/"))
        .await
        .expect("the browser answers");
    wait_for(browser, Locator::Id("login"))
        .await
        .click()
        .await
        .expect("the browser answers");
    let number_field = wait_for(
        browser,
        Locator::XPath(&field_labelled("Регистрийн дугаар")),
    )
    .await;
    let seen = dan.outbox(phone).await.len();
    number_field
        .send_keys(number)
        .await
        .expect("the browser answers");
    witness.page(browser, "registry-number").await;
    number_field
        .send_keys(&Key::Enter)
        .await
        .expect("the browser answers");
    let code_field = wait_for(browser, Locator::XPath(&field_labelled("6 оронтой код"))).await;
    let code = dan.new_code(phone, seen).await;
    code_field
        .send_keys(&code)
        .await
        .expect("the browser answers");
    witness.page(browser, "code").await;
    code_field
        .send_keys(&Key::Enter)
        .await
        .expect("the browser answers");
    consent(browser, witness, service).await;
    code
}

/// Allows on DAN's consent page, which names the e-service.
pub async fn consent(browser: &Client, witness: &mut Witness, service: &Eservice) {
    let allow = wait_for(
        browser,
        Locator::XPath("//button[@name='decision' and @value='allow']"),
    )
    .await;
    let page = text_of(browser, "main").await;
    assert!(
        page.contains(&service.name),
        "the consent page names {}: {page}",
        service.name
    );
    witness.page(browser, "consent").await;
    allow.click().await.expect("the browser answers");
}

/// Waits for the e-service to show a logged-in citizen, and checks what it shows.
pub async fn assert_logged_in(browser: &Client, service: &Eservice) {
    wait_for_path(browser, "/").await;
    let status = text_of(browser, "#status").await;
    assert_eq!(status, "You are logged in.", "at {}", service.url);
    assert_eq!(text_of(browser, "#acr").await, "low", "the level reached");
    let amr = text_of(browser, "#amr").await;
    let amr: Vec<&str> = amr.split(' ').collect();
    assert!(amr.contains(&"sms") && amr.contains(&"otp"), "{amr:?}");
    let userinfo = text_of(browser, "#userinfo").await;
    let userinfo: Value = serde_json::from_str(&userinfo).expect("userinfo is JSON");
    assert_eq!(userinfo["given_name"], "Демо-Бат", "userinfo: {userinfo}");
}
