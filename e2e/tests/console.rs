//! An administrator in headless Chromium at the admin console of the real `idp` binary, on
//! PostgreSQL and Redis: signs in with an API token, registers an e-service in the console,
//! and that e-service (the SDK's example, configured with the secret the console showed once)
//! then logs a citizen in; back in the console, the dashboard counts the login and names the
//! e-service; the API's explorer runs. Screenshots under `target/test-output/console_*/`; the browser console must stay
//! free of errors (a style or script blocked by the Content-Security-Policy shows there).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_e2e::browser::{ChromeDriver, Witness, field_labelled, wait_for, wait_for_path};
use dan_e2e::citizen::{assert_logged_in, log_in_at, text_of};
use dan_e2e::dan::{Backend, Deployment};
use dan_e2e::eservice::Eservice;
use dan_e2e::processes::free_port;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;

async fn fill(browser: &Client, label: &str, text: &str) {
    let field = wait_for(browser, Locator::XPath(&field_labelled(label))).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(browser: &Client, xpath: &str) {
    wait_for(browser, Locator::XPath(xpath))
        .await
        .click()
        .await
        .unwrap();
}

/// The figure of a dashboard card (`<p id=…>label<b>n</b></p>`).
async fn figure(browser: &Client, id: &str) -> u64 {
    text_of(browser, &format!("#{id} b")).await.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eservice_registered_in_the_console_logs_a_citizen_in_and_the_dashboard_counts_it() {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let Some(deployment) = Deployment::new(Backend::PostgresRedis).await else {
        return;
    };
    let dan = deployment.start_node(&[]).await;
    let created = deployment
        .cli(&[
            "admin",
            "create",
            "--name",
            "oyun",
            "--role",
            "security-admin",
            "--json",
        ])
        .await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let printed: Value = serde_json::from_slice(&created.stdout).unwrap();
    let token = printed["token"].as_str().unwrap().to_owned();

    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path(), 1280, 900).await;
    let mut witness = Witness::new(&driver, "console_registers_an_eservice");
    let console = |path: &str| format!("{}{path}", dan.admin_url);

    // Sign in: the console starts in Mongolian.
    browser.goto(&console("/console/")).await.unwrap();
    wait_for_path(&browser, "/console/login").await;
    fill(&browser, "Админы API токен", &token).await;
    witness.page(&browser, "sign-in").await;
    let token_field = wait_for(
        &browser,
        Locator::XPath(&field_labelled("Админы API токен")),
    )
    .await;
    token_field.send_keys(&Key::Enter).await.unwrap();
    wait_for_path(&browser, "/console/dashboard").await;
    let logins_before = figure(&browser, "logins-24h").await;
    witness.page(&browser, "dashboard-before").await;

    // Register the e-service with its URIs on a port chosen now.
    let port = free_port();
    let [callback, logged_out, backchannel] = Eservice::uris(port);
    click(&browser, "//nav//a[normalize-space()='Цахим үйлчилгээ']").await;
    wait_for_path(&browser, "/console/clients").await;
    click(&browser, "//a[normalize-space()='Цахим үйлчилгээ бүртгэх']").await;
    wait_for_path(&browser, "/console/clients/new").await;
    fill(&browser, "Клиентийн дугаар (client id)", "land-registry").await;
    fill(&browser, "Монгол нэр", "Газрын бүртгэл").await;
    fill(&browser, "Англи нэр", "Land registry").await;
    fill(&browser, "Буцах хаяг (redirect URI)", &callback).await;
    fill(&browser, "Гарсны дараах хаяг (мөр бүрт нэг)", &logged_out).await;
    fill(
        &browser,
        "Арын сувгаар гаргах хаяг (back-channel logout; заавал биш)",
        &backchannel,
    )
    .await;
    click(&browser, "//input[@name='scopes' and @value='profile']").await;
    witness.page(&browser, "register-form").await;
    click(&browser, "//button[normalize-space()='Бүртгэх']").await;
    let secret = text_of(&browser, "#client-secret").await;
    assert!(secret.len() >= 32, "a secret is shown once");
    witness.page(&browser, "registered").await;

    // The e-service, configured with that secret, logs the citizen in.
    let service = Eservice::launch(
        &deployment,
        port,
        "land-registry",
        &secret,
        "Газрын бүртгэл",
        &[],
    )
    .await;
    log_in_at(&browser, &mut witness, &dan, &service).await;
    assert_logged_in(&browser, &service).await;
    witness.page(&browser, "citizen-logged-in").await;

    // The dashboard counts the login and names the e-service, in English on request.
    browser
        .goto(&console("/console/lang/en?back=%2Fconsole%2Fdashboard"))
        .await
        .unwrap();
    wait_for_path(&browser, "/console/dashboard").await;
    assert_eq!(figure(&browser, "logins-24h").await, logins_before + 1);
    let busiest = text_of(&browser, "#top-clients").await;
    assert!(busiest.contains("land-registry"), "{busiest}");
    let by_method = text_of(&browser, "#by-method").await;
    assert!(by_method.contains("sms"), "{by_method}");
    let bars = browser
        .find_all(Locator::Css("svg.chart rect"))
        .await
        .unwrap();
    assert!(!bars.is_empty(), "the chart draws the hour of the login");
    witness.page(&browser, "dashboard-after").await;

    // The API's interactive explorer runs under its policy (a blocked script would show in
    // the browser console) and lists the operations.
    browser.goto(&console("/explorer")).await.unwrap();
    let operation = wait_for(&browser, Locator::Css(".opblock-summary-path")).await;
    assert!(operation.text().await.unwrap().starts_with('/'));
    witness.page(&browser, "explorer").await;
    witness.assert_console_clean();
    browser.close().await.unwrap();
}
