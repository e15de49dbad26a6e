//! A real browser logs a citizen in: headless Chromium, driven over WebDriver (`chromedriver`)
//! at a phone's window size, goes from the demo e-service (`/try`) through DAN's real pages —
//! registry number, SMS code, consent — back to the e-service, which shows the ID token's
//! claims and the userinfo response. Every form is filled and sent from the keyboard (type,
//! then Enter), as a person without a mouse would. Fields are found by their visible labels.
//!
//! Each page is saved as a screenshot under `target/test-output/browser_login/` for people to
//! look at, and the browser's console must stay free of errors (a script blocked by the
//! Content-Security-Policy would show there).
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver`; without them the test is skipped with
//! a message, unless `DAN_TEST_REQUIRE_SERVERS=1` (CI), where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use support::server::{Backends, CITIZEN, TestServer};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any one page may take to appear.
const PAGE_TIMEOUT: Duration = Duration::from_secs(15);

/// A `chromedriver` of the test's own on a free loopback port; shut down when dropped, which
/// also quits the browsers it started.
struct ChromeDriver {
    child: Child,
    port: u16,
    url: String,
}

impl ChromeDriver {
    /// Starts one and waits until it reports ready; `None` (skip) when Chromium or chromedriver
    /// is not installed.
    async fn start() -> Option<Self> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|path| !Path::new(path).exists())
            .collect();
        if !missing.is_empty() {
            assert!(
                std::env::var("DAN_TEST_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "{missing:?} not installed, and DAN_TEST_REQUIRE_SERVERS=1 asks for every test"
            );
            eprintln!("skipped: {missing:?} not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Self {
            child,
            port,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            let status = http.get(format!("{}/status", driver.url)).send().await;
            if let Ok(response) = status
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == true
            {
                return Some(driver);
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ChromeDriver {
    /// `GET /shutdown` quits every session's browser and then chromedriver itself (also after
    /// a failed test, which never reached `close`); killed if it is still there after 5 s.
    fn drop(&mut self) {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.write_all(
                b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session the size of a phone, with its console kept.
async fn phone_browser(driver: &ChromeDriver, profile: &Path) -> Client {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--window-size=390,844",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    ClientBuilder::native()
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("chromedriver starts a Chromium session")
}

/// The test's record of what the browser saw: numbered screenshots, and console errors.
struct Witness<'a> {
    browser: &'a Client,
    driver: &'a ChromeDriver,
    dir: PathBuf,
    shots: usize,
    console_errors: Vec<String>,
}

impl<'a> Witness<'a> {
    /// Screenshots go to `target/test-output/browser_login/` (emptied first).
    fn new(browser: &'a Client, driver: &'a ChromeDriver) -> Self {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/<test binary>
        let target = exe.ancestors().nth(3).expect("the test runs from target/");
        let dir = target.join("test-output").join("browser_login");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            browser,
            driver,
            dir,
            shots: 0,
            console_errors: Vec::new(),
        }
    }

    /// Saves the page as `NN-name.png` and collects the console's errors so far.
    async fn page(&mut self, name: &str) {
        self.shots += 1;
        let png = self.browser.screenshot().await.unwrap();
        let path = self.dir.join(format!("{:02}-{name}.png", self.shots));
        std::fs::write(&path, png).unwrap();
        self.collect_console().await;
    }

    /// The console's SEVERE entries since the last call, through chromedriver's log endpoint
    /// (not part of W3C WebDriver, so fantoccini has no method for it).
    async fn collect_console(&mut self) {
        let session = self.browser.session_id().await.unwrap().unwrap();
        let entries: Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.driver.url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entries = entries["value"]
            .as_array()
            .unwrap_or_else(|| panic!("chromedriver returns the browser's log: {entries}"));
        for entry in entries {
            if entry["level"] == "SEVERE" {
                self.console_errors
                    .push(entry["message"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
}

/// The element the label with exactly `text` is `for`: how a person finds a field.
fn field_labelled(text: &str) -> String {
    format!("//input[@id=//label[normalize-space()='{text}']/@for]")
}

/// Waits for `locator` on the page the browser is going to.
async fn wait_for(browser: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    let wanted = format!("{locator:?}");
    match browser
        .wait()
        .at_most(PAGE_TIMEOUT)
        .for_element(locator)
        .await
    {
        Ok(element) => element,
        Err(error) => panic!(
            "{wanted} did not appear at {}: {error}",
            browser.current_url().await.unwrap()
        ),
    }
}

/// The messages `phone` received, newest first, read the way a tester would: over HTTP from
/// the development outbox.
async fn outbox(server: &TestServer, phone: &str) -> Vec<Value> {
    reqwest::Client::new()
        .get(server.url("/dev/outbox"))
        .query(&[("to", phone)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Polls the outbox until `phone` has more than `seen` messages; the newest one's code.
async fn new_code(server: &TestServer, phone: &str, seen: usize) -> String {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let messages = outbox(server, phone).await;
        if messages.len() > seen {
            let text = messages[0]["text"].as_str().unwrap();
            let digits: String = text
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take(6)
                .collect();
            assert_eq!(digits.len(), 6, "a six-digit code in {text:?}");
            return digits;
        }
        assert!(Instant::now() < deadline, "no SMS reached {phone}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_logs_in_to_the_demo_service_with_the_keyboard_in_headless_chromium() {
    let Some(driver) = ChromeDriver::start().await else {
        return;
    };
    let server = TestServer::start(Backends::Embedded, &[]).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = phone_browser(&driver, profile.path()).await;
    let mut witness = Witness::new(&browser, &driver);
    let (number, phone) = CITIZEN;

    // The e-service: its "Try logging in" link, followed from the keyboard.
    browser.goto(&server.url("/try")).await.unwrap();
    let start = wait_for(&browser, Locator::LinkText("Нэвтэрч үзэх")).await;
    witness.page("demo-service").await;
    start.send_keys(&Key::Enter).await.unwrap();

    // DAN: "Enter your registry number".
    let number_field = wait_for(
        &browser,
        Locator::XPath(&field_labelled("Регистрийн дугаар")),
    )
    .await;
    let helper = browser.find(Locator::Id("cyr-keys")).await.unwrap();
    assert_eq!(
        helper.attr("hidden").await.unwrap(),
        None,
        "the Cyrillic helper's script ran, so the Content-Security-Policy allows it"
    );
    let seen = outbox(&server, phone).await.len();
    number_field.send_keys(number).await.unwrap();
    witness.page("registry-number").await;
    number_field.send_keys(&Key::Enter).await.unwrap();

    // DAN: "Enter the code", from the SMS.
    let code_field = wait_for(&browser, Locator::XPath(&field_labelled("6 оронтой код"))).await;
    let code = new_code(&server, phone, seen).await;
    code_field.send_keys(&code).await.unwrap();
    witness.page("code").await;
    code_field.send_keys(&Key::Enter).await.unwrap();

    // DAN: the consent page; "Allow" is the form's first button, so Enter on it allows.
    let allow = wait_for(
        &browser,
        Locator::XPath("//button[@name='decision' and @value='allow']"),
    )
    .await;
    witness.page("consent").await;
    assert_eq!(allow.text().await.unwrap(), "Зөвшөөрөх");
    allow.send_keys(&Key::Enter).await.unwrap();

    // Back at the e-service, which redeemed the code and shows what it received.
    let result = wait_for(&browser, Locator::Css("pre")).await;
    let url = browser.current_url().await.unwrap();
    assert_eq!(
        url.path(),
        "/try/callback",
        "the login ends at the e-service"
    );
    witness.page("logged-in").await;
    let claims = result.text().await.unwrap();
    assert!(
        claims.contains(r#""acr": "low""#),
        "the ID token's claims are shown, with acr low: {claims}"
    );
    let page = browser.find(Locator::Css("main")).await.unwrap();
    let page = page.text().await.unwrap();
    assert!(
        page.contains(r#""given_name": "Демо-Бат""#),
        "the userinfo response names the citizen: {page}"
    );
    assert!(
        witness.console_errors.is_empty(),
        "the console stayed free of errors (CSP, scripts, loads): {:#?}",
        witness.console_errors
    );
    browser.close().await.unwrap();
}
