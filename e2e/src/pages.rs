//! DAN's login pages driven over plain HTTP, as a browser without JavaScript would: a cookie
//! jar, redirects seen (not followed), the CSRF token read from the forms.

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

/// What one request got back.
#[derive(Debug)]
pub struct Seen {
    /// The status code.
    pub status: u16,
    /// The `Location` header, if any.
    pub location: Option<String>,
    /// The body, as text.
    pub body: String,
}

/// A cookie jar and an HTTP client that does not follow redirects. Cookies are kept by name
/// whatever the host, as one browser behind one load balancer sees every node.
pub struct HttpBrowser {
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Default for HttpBrowser {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpBrowser {
    /// A browser with no cookies.
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    /// Sets a cookie, as a forger could.
    pub fn set_cookie(&self, name: &str, value: &str) {
        let mut jar = self.cookies.lock().expect("the jar is not poisoned");
        jar.insert(name.to_owned(), value.to_owned());
    }

    /// The value of the cookie `name`, if the browser holds one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let jar = self.cookies.lock().expect("the jar is not poisoned");
        jar.get(name).cloned()
    }

    fn cookie_header(&self) -> String {
        let jar = self.cookies.lock().expect("the jar is not poisoned");
        jar.iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn seen(&self, response: reqwest::Response) -> Seen {
        {
            let mut jar = self.cookies.lock().expect("the jar is not poisoned");
            for cookie in response.headers().get_all(SET_COOKIE) {
                let text = cookie.to_str().unwrap_or_default();
                let pair = text.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    if value.is_empty() || text.contains("Max-Age=0") {
                        jar.remove(name.trim());
                    } else {
                        jar.insert(name.trim().to_owned(), value.to_owned());
                    }
                }
            }
        }
        Seen {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: response.text().await.unwrap_or_default(),
        }
    }

    /// GETs `url` with the cookies.
    pub async fn get(&self, url: &str) -> Seen {
        let response = self
            .http
            .get(url)
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        self.seen(response).await
    }

    /// POSTs a form to `url` with the cookies.
    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Seen {
        let response = self
            .http
            .post(url)
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        self.seen(response).await
    }
}

/// The CSRF token of the page's forms.
pub fn csrf(body: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("the page has a CSRF field: {body}"))
        + marker.len();
    let end = body[start..].find('"').expect("the value is quoted") + start;
    body[start..end].to_owned()
}

/// A login under way at DAN: its page's path (`/login/{id}`) and CSRF token.
pub struct LoginFlow {
    /// `/login/{id}`.
    pub path: String,
    /// The CSRF token of its forms.
    pub csrf: String,
}

impl LoginFlow {
    /// Follows an authorization URL to DAN's login page, on the node of `authorize`.
    pub async fn start(browser: &HttpBrowser, authorize: &str) -> Self {
        let start = browser.get(authorize).await;
        assert_eq!(start.status, 303, "authorize: {}", start.body);
        let path = start
            .location
            .expect("authorize redirects to the login page");
        assert!(path.starts_with("/login/"), "a login page: {path}");
        let origin = origin(authorize);
        let page = browser.get(&format!("{origin}{path}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        Self {
            csrf: csrf(&page.body),
            path,
        }
    }

    /// Posts `fields` and the CSRF token to the step (`number`, `code`, `consent`) on `node`
    /// (a node's URL).
    pub async fn post(
        &self,
        browser: &HttpBrowser,
        node: &str,
        step: &str,
        fields: &[(&str, &str)],
    ) -> Seen {
        let mut form = fields.to_vec();
        form.push(("csrf", &self.csrf));
        browser
            .post(&format!("{node}{}/{step}", self.path), &form)
            .await
    }
}

/// `scheme://host:port` of a URL.
pub fn origin(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    parsed.origin().ascii_serialization()
}

/// The query parameters of a URL, by name.
pub fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    parsed.query_pairs().into_owned().collect()
}
