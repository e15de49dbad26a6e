//! Headless Chromium over WebDriver (`chromedriver`, driven by `fantoccini`), with every page
//! kept as a screenshot for people to look at and the browser console watched for errors (a
//! script blocked by the Content-Security-Policy shows there).
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver`; without them a test is skipped
//! with a message, unless `DAN_TEST_REQUIRE_SERVERS=1` (CI), where it fails.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::processes::{free_port, output_dir};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any one page may take to appear.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(15);

/// A `chromedriver` of the test's own on a free loopback port; shut down when dropped, which
/// also quits the browsers it started.
pub struct ChromeDriver {
    child: Child,
    port: u16,
    url: String,
}

impl ChromeDriver {
    /// Starts one and waits until it reports ready; `None` (skip) when Chromium or
    /// chromedriver is not installed.
    pub async fn start() -> Option<Self> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|path| !Path::new(path).exists())
            .collect();
        if !missing.is_empty() {
            assert!(
                !crate::servers_required(),
                "{missing:?} not installed, and DAN_TEST_REQUIRE_SERVERS=1 asks for every test"
            );
            eprintln!("skipped: {missing:?} not installed");
            return None;
        }
        let port = free_port();
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

    /// A new headless Chromium session with a profile of its own, `width` × `height` CSS
    /// pixels, its console kept.
    pub async fn browser(&self, profile: &Path, width: u32, height: u32) -> Client {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("chromedriver starts a Chromium session")
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

/// The test's record of what the browser saw: numbered screenshots under
/// `target/test-output/<test>/`, and the console's errors.
pub struct Witness {
    driver_url: String,
    /// Where the screenshots go.
    pub dir: PathBuf,
    shots: usize,
    /// The console's SEVERE entries so far.
    pub console_errors: Vec<String>,
}

impl Witness {
    /// Screenshots of test `name` go to `target/test-output/<name>/` (emptied first).
    pub fn new(driver: &ChromeDriver, name: &str) -> Self {
        Self {
            driver_url: driver.url.clone(),
            dir: output_dir(name),
            shots: 0,
            console_errors: Vec::new(),
        }
    }

    /// Saves the page as `NN-name.png` and collects the console's errors so far.
    pub async fn page(&mut self, browser: &Client, name: &str) {
        self.shots += 1;
        let png = browser.screenshot().await.expect("a screenshot");
        let path = self.dir.join(format!("{:02}-{name}.png", self.shots));
        std::fs::write(&path, png).expect("write the screenshot");
        self.collect_console(browser).await;
    }

    /// The console's SEVERE entries since the last call, through chromedriver's log endpoint
    /// (not part of W3C WebDriver, so fantoccini has no method for it).
    async fn collect_console(&mut self, browser: &Client) {
        let Ok(Some(session)) = browser.session_id().await else {
            return;
        };
        let entries: Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.driver_url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("chromedriver answers JSON");
        let entries = entries["value"].as_array().cloned().unwrap_or_default();
        for entry in entries {
            if entry["level"] == "SEVERE" {
                let message = entry["message"].as_str().unwrap_or_default();
                // A 404 for the favicon is the browser's guess, not a page's request.
                if !message.contains("favicon.ico") {
                    self.console_errors.push(message.to_owned());
                }
            }
        }
    }

    /// Fails the test if the console logged errors.
    pub fn assert_console_clean(&self) {
        self.assert_console_clean_except(None);
    }

    /// Fails the test if the console logged errors other than ones containing `expected`
    /// (for example the `422` status of a form answered with its errors).
    pub fn assert_console_clean_except(&self, expected: Option<&str>) {
        let unexpected: Vec<&String> = self
            .console_errors
            .iter()
            .filter(|e| expected.is_none_or(|text| !e.contains(text)))
            .collect();
        assert!(
            unexpected.is_empty(),
            "the console stayed free of errors (CSP, scripts, loads): {unexpected:#?}"
        );
    }
}

/// An XPath for the control (input, textarea, select) that the label with exactly `text` is
/// `for`: how a person finds a field.
pub fn field_labelled(text: &str) -> String {
    format!("//*[@id=//label[normalize-space()='{text}']/@for]")
}

/// Waits for `locator` on the page the browser is going to.
pub async fn wait_for(browser: &Client, locator: Locator<'_>) -> Element {
    let wanted = format!("{locator:?}");
    match browser
        .wait()
        .at_most(PAGE_TIMEOUT)
        .for_element(locator)
        .await
    {
        Ok(element) => element,
        Err(error) => {
            let url = browser.current_url().await.map(|u| u.to_string());
            let source = browser.source().await.unwrap_or_default();
            panic!("{wanted} did not appear at {url:?}: {error}\n{source}")
        }
    }
}

/// Waits until the browser is at a URL whose path is `path`.
pub async fn wait_for_path(browser: &Client, path: &str) {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let url = browser.current_url().await.expect("the browser has a URL");
        if url.path() == path {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the browser did not reach {path}; it is at {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A WebDriver extension command of W3C WebAuthn (section 11, "WebDriver Extension
/// Capability"), which fantoccini has no method for: `POST` or `GET` `path` under the session.
#[derive(Debug)]
struct WebAuthnCommand {
    path: String,
    body: Option<Value>,
}

impl fantoccini::wd::WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        match &self.body {
            Some(body) => (http::Method::POST, Some(body.to_string())),
            None => (http::Method::GET, None),
        }
    }
}

/// Adds a virtual authenticator to `browser` (W3C WebAuthn 11.3): a platform authenticator
/// (CTAP 2.1, internal transport) that keeps discoverable credentials and verifies the user
/// (as a fingerprint would) every time. Returns its id.
pub async fn add_virtual_authenticator(browser: &Client) -> String {
    let answer = browser
        .issue_cmd(WebAuthnCommand {
            path: "webauthn/authenticator".to_owned(),
            body: Some(json!({
                "protocol": "ctap2_1",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserConsenting": true,
                "isUserVerified": true,
            })),
        })
        .await
        .expect("chromedriver adds a virtual authenticator");
    answer
        .as_str()
        .or_else(|| answer["value"].as_str())
        .expect("an authenticator id")
        .to_owned()
}

/// The credentials a virtual authenticator holds (W3C WebAuthn 11.7).
pub async fn virtual_credentials(browser: &Client, authenticator: &str) -> Vec<Value> {
    let answer = browser
        .issue_cmd(WebAuthnCommand {
            path: format!("webauthn/authenticator/{authenticator}/credentials"),
            body: None,
        })
        .await
        .expect("chromedriver lists the credentials");
    answer
        .as_array()
        .or_else(|| answer["value"].as_array())
        .cloned()
        .unwrap_or_default()
}
