//! Load generator for the OpenID Connect endpoints of a running `idp` (see `scripts/bench-oidc`,
//! which builds the release binary, starts PostgreSQL, Redis and the provider, registers the
//! clients and imports synthetic citizens, then runs this).
//!
//! For each scenario it runs closed-loop at full speed with `DAN_LOAD_WORKERS` concurrent
//! workers for `DAN_LOAD_SECONDS` to find the peak rate, then open-loop at half that rate to
//! measure latency there, and prints rate, p50 and p99 against the targets. It also
//! prints the provider's resident memory idle and at its peak (from `/proc/PID/status`).
//!
//! Environment: `DAN_LOAD_BASE` (provider URL), `DAN_LOAD_PID`, `DAN_LOAD_CITIZENS` (the CSV the
//! provider imported), `DAN_LOAD_CC_ID`/`DAN_LOAD_CC_SECRET` (a client_credentials client),
//! `DAN_LOAD_RP_ID`/`DAN_LOAD_RP_SECRET` (a confidential code-flow client that skips consent,
//! without the refresh grant, redirect URI `https://rp.example/cb`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

const RP: &str = "https://rp.example/cb";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (run scripts/bench-oidc)"))
}

#[derive(Clone)]
struct Setup {
    base: String,
    http: reqwest::Client,
    cc: (String, String),
    rp: (String, String),
    citizens: Arc<Vec<(String, String)>>,
    next_citizen: Arc<AtomicUsize>,
    ticks: Arc<AtomicUsize>,
    codes: Arc<std::sync::Mutex<Vec<(String, String)>>>,
    access_token: String,
    pid: String,
}

/// One request (or flow) of a scenario; returns whether it succeeded.
type Op = fn(Setup) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>;

struct Figures {
    /// The provider's CPU time per operation (user + system).
    cpu_per_op: Duration,
    rate: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

/// The provider's CPU time so far (user + system), from `/proc/PID/stat`.
fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime is the 12th, stime the 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    // Linux reports in clock ticks of 1/100 s on every common configuration.
    Duration::from_millis(ticks * 10)
}

async fn run(setup: &Setup, op: Op, workers: usize, seconds: u64, rate: Option<f64>) -> Figures {
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = cpu_time(&setup.pid);
    let started = Instant::now();
    let mut handles = Vec::new();
    for worker in 0..workers {
        let setup = setup.clone();
        let stop = stop.clone();
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let interval = rate.map(|r| Duration::from_secs_f64(workers as f64 / r));
            let mut next = Instant::now()
                + interval.map_or(Duration::ZERO, |i| {
                    i.mul_f64(worker as f64 / workers as f64)
                });
            while !stop.load(Ordering::Relaxed) {
                if let Some(interval) = interval {
                    tokio::time::sleep_until(next.into()).await;
                    next += interval;
                }
                let at = Instant::now();
                if op(setup.clone()).await {
                    latencies.push(at.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for handle in handles {
        let (latencies, e) = handle.await.unwrap();
        all.extend(latencies);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let cpu = cpu_time(&setup.pid).saturating_sub(cpu_before);
    Figures {
        cpu_per_op: cpu
            .checked_div(u32::try_from(all.len().max(1)).unwrap_or(u32::MAX))
            .unwrap_or_default(),
        rate: all.len() as f64 / elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
        errors,
    }
}

fn form_ok(response: reqwest::Result<reqwest::Response>) -> bool {
    response.is_ok_and(|r| r.status().is_success())
}

/// Alternates discovery and JWKS requests; each is one operation.
fn discovery(s: Setup) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
    Box::pin(async move {
        let path = if s.ticks.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
            "/.well-known/openid-configuration"
        } else {
            "/jwks"
        };
        form_ok(s.http.get(format!("{}{path}", s.base)).send().await)
    })
}

fn client_credentials(
    s: Setup,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
    Box::pin(async move {
        form_ok(
            s.http
                .post(format!("{}/token", s.base))
                .basic_auth(&s.cc.0, Some(&s.cc.1))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("scope", "bench.read"),
                ])
                .send()
                .await,
        )
    })
}

fn introspection(s: Setup) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
    Box::pin(async move {
        let response = s
            .http
            .post(format!("{}/introspect", s.base))
            .basic_auth(&s.rp.0, Some(&s.rp.1))
            .form(&[("token", s.access_token.as_str())])
            .send()
            .await;
        match response {
            Ok(r) => r.text().await.is_ok_and(|t| t.contains("\"active\":true")),
            Err(_) => false,
        }
    })
}

fn userinfo(s: Setup) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
    Box::pin(async move {
        form_ok(
            s.http
                .get(format!("{}/userinfo", s.base))
                .bearer_auth(&s.access_token)
                .send()
                .await,
        )
    })
}

fn pkce() -> (String, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    let verifier = idp::jose::encode(&bytes);
    let challenge = idp::jose::encode(&Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_url(s: &Setup, challenge: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &s.rp.0)
        .append_pair("redirect_uri", RP)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile")
        .append_pair("state", "s")
        .append_pair("nonce", "n")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("{}/authorize?{query}", s.base)
}

fn cookies(response: &reqwest::Response, jar: &mut Vec<String>) {
    for value in response.headers().get_all("set-cookie") {
        if let Some(pair) = value.to_str().ok().and_then(|v| v.split(';').next()) {
            jar.push(pair.to_owned());
        }
    }
}

fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")?
        .to_str()
        .ok()
        .map(str::to_owned)
}

fn code_of(location: &str) -> Option<String> {
    url::Url::parse(location)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
}

/// Drives the next citizen through the login pages: authorize → number → the code from the
/// outbox → code entered. Returns the answer to the code form, the cookies and the PKCE
/// verifier.
async fn sms_login_pages(
    s: &Setup,
) -> Result<(reqwest::Response, Vec<String>, String), &'static str> {
    let index = s.next_citizen.fetch_add(1, Ordering::Relaxed);
    let (number, phone) = s.citizens.get(index).ok_or("out of citizens")?.clone();
    let (verifier, challenge) = pkce();
    let mut jar = Vec::new();
    let start = s
        .http
        .get(authorize_url(s, &challenge))
        .send()
        .await
        .map_err(|_| "authorize")?;
    cookies(&start, &mut jar);
    let login = format!(
        "{}{}",
        s.base,
        location(&start).ok_or("authorize redirect")?
    );
    let page = s
        .http
        .get(&login)
        .header("cookie", jar.join("; "))
        .send()
        .await
        .map_err(|_| "login page")?;
    let body = page.text().await.map_err(|_| "login page")?;
    let at = body.find("name=\"csrf\" value=\"").ok_or("no csrf")? + 19;
    let csrf = body[at..at + body[at..].find('"').ok_or("no csrf")?].to_owned();
    let sent = s
        .http
        .post(format!("{login}/number"))
        .header("cookie", jar.join("; "))
        .form(&[("registry_number", number.as_str()), ("csrf", &csrf)])
        .send()
        .await
        .map_err(|_| "number")?;
    if !sent.status().is_success() {
        return Err("number refused");
    }
    let outbox = format!(
        "{}/dev/outbox?to={}",
        s.base,
        url::form_urlencoded::byte_serialize(phone.as_bytes()).collect::<String>()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let code = loop {
        let messages: serde_json::Value = s
            .http
            .get(&outbox)
            .send()
            .await
            .map_err(|_| "outbox")?
            .json()
            .await
            .map_err(|_| "outbox")?;
        if let Some(text) = messages[0]["text"].as_str() {
            let start = text.find(|c: char| c.is_ascii_digit()).ok_or("no code")?;
            break text[start..start + 6].to_owned();
        }
        if Instant::now() > deadline {
            return Err("no SMS");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let entered = s
        .http
        .post(format!("{login}/code"))
        .header("cookie", jar.join("; "))
        .form(&[("code", code.as_str()), ("csrf", &csrf)])
        .send()
        .await
        .map_err(|_| "code")?;
    cookies(&entered, &mut jar);
    Ok((entered, jar, verifier))
}

/// Redeems `code` for the relying party at the token endpoint.
async fn redeem(s: &Setup, code: &str, verifier: &str) -> reqwest::Result<reqwest::Response> {
    s.http
        .post(format!("{}/token", s.base))
        .basic_auth(&s.rp.0, Some(&s.rp.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", RP),
            ("code_verifier", verifier),
        ])
        .send()
        .await
}

/// The complete SMS-code login: the pages, then (consent skipped: a first-party client) the
/// redirect's code exchanged at the token endpoint.
async fn sms_login_flow(s: &Setup) -> Result<(), &'static str> {
    let (entered, _, verifier) = sms_login_pages(s).await?;
    let code = code_of(&location(&entered).ok_or("code refused")?).ok_or("no code in redirect")?;
    let token = redeem(s, &code, &verifier).await.map_err(|_| "token")?;
    if token.status().is_success() {
        Ok(())
    } else {
        Err("token refused")
    }
}

fn sms_login(s: Setup) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
    Box::pin(async move {
        match sms_login_flow(&s).await {
            Ok(()) => true,
            Err(step) => {
                // Name the first few failures, so an error count can be explained.
                static SHOWN: AtomicUsize = AtomicUsize::new(0);
                if SHOWN.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("SMS login failed at: {step}");
                }
                false
            }
        }
    })
}

fn exchange(s: Setup) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
    Box::pin(async move {
        let Some((code, verifier)) = s.codes.lock().unwrap().pop() else {
            return false;
        };
        form_ok(redeem(&s, &code, &verifier).await)
    })
}

/// Logs one citizen in, then collects `count` codes through SSO (no SMS), for the exchange
/// scenario. Returns how long collecting took.
async fn collect_codes(s: &Setup, count: usize) -> Duration {
    let (_, jar, _) = sms_login_pages(s).await.expect("a login for SSO");
    let started = Instant::now();
    let jar = Arc::new(jar.join("; "));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let s = s.clone();
        let jar = jar.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..count / 16 {
                let (verifier, challenge) = pkce();
                let response = s
                    .http
                    .get(authorize_url(&s, &challenge))
                    .header("cookie", jar.as_str())
                    .send()
                    .await
                    .unwrap();
                let code = code_of(&location(&response).unwrap()).unwrap();
                s.codes.lock().unwrap().push((code, verifier));
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

fn rss_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn report(name: &str, peak: &Figures, half: &Figures, target: f64) {
    let verdict = if peak.rate >= target {
        "meets"
    } else {
        "BELOW"
    };
    println!(
        "{name:<34} {:>9.0}/s (target {target:>6.0}: {verdict}) p50 {:>7.2} ms p99 {:>7.2} ms, provider CPU {:>5} µs/op | at half rate p50 {:>6.2} ms p99 {:>6.2} ms{}{}",
        peak.rate,
        peak.p50.as_secs_f64() * 1e3,
        peak.p99.as_secs_f64() * 1e3,
        peak.cpu_per_op.as_micros(),
        half.p50.as_secs_f64() * 1e3,
        half.p99.as_secs_f64() * 1e3,
        if half.p99 < Duration::from_millis(10) {
            " (p99 < 10 ms: meets)"
        } else {
            " (p99 >= 10 ms: BELOW)"
        },
        if peak.errors + half.errors > 0 {
            format!(" errors {}", peak.errors + half.errors)
        } else {
            String::new()
        },
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --benches` builds and runs this with no provider: nothing to do.
        return;
    }
    let workers: usize = std::env::var("DAN_LOAD_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    let seconds: u64 = std::env::var("DAN_LOAD_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let pid = env("DAN_LOAD_PID");
    let mut citizens = Vec::new();
    let mut reader = csv::Reader::from_path(env("DAN_LOAD_CITIZENS")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rn = headers.iter().position(|h| h == "registry_number").unwrap();
    let ph = headers.iter().position(|h| h == "phone_numbers").unwrap();
    let st = headers.iter().position(|h| h == "status").unwrap();
    // Citizens who share a phone number would read each other's codes: keep one of each.
    let mut phones = std::collections::HashSet::new();
    for record in reader.records() {
        let record = record.unwrap();
        // A deceased citizen gets the same "code sent" page and no SMS (no enumeration).
        if &record[st] == "deceased" || !phones.insert(record[ph].to_owned()) {
            continue;
        }
        citizens.push((
            record[rn].to_owned(),
            record[ph].split(';').next().unwrap().to_owned(),
        ));
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(workers * 2)
        .build()
        .unwrap();
    let mut setup = Setup {
        base: env("DAN_LOAD_BASE"),
        http,
        cc: (env("DAN_LOAD_CC_ID"), env("DAN_LOAD_CC_SECRET")),
        rp: (env("DAN_LOAD_RP_ID"), env("DAN_LOAD_RP_SECRET")),
        citizens: Arc::new(citizens),
        next_citizen: Arc::new(AtomicUsize::new(0)),
        ticks: Arc::new(AtomicUsize::new(0)),
        codes: Arc::default(),
        access_token: String::new(),
        pid: pid.clone(),
    };
    let idle = rss_kib(&pid, "VmRSS:");
    println!("provider RSS idle: {:.1} MiB", idle as f64 / 1024.0);
    println!(
        "{workers} workers, {seconds} s per run; each scenario: peak, then half the peak rate\n"
    );

    // A citizen's access token for userinfo and introspection.
    collect_codes(&setup, 16).await;
    let (code, verifier) = setup.codes.lock().unwrap().pop().unwrap();
    let tokens: serde_json::Value = redeem(&setup, &code, &verifier)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    setup.access_token = tokens["access_token"].as_str().unwrap().to_owned();
    setup.codes.lock().unwrap().clear();

    let scenarios: [(&str, Op, f64); 5] = [
        ("discovery and JWKS", discovery, 50_000.0),
        (
            "client_credentials (ES256 JWT)",
            client_credentials,
            10_000.0,
        ),
        ("introspection", introspection, 20_000.0),
        ("userinfo", userinfo, 15_000.0),
        ("complete SMS-code logins", sms_login, 1_000.0),
    ];
    for (name, op, target) in scenarios {
        let peak = run(&setup, op, workers, seconds, None).await;
        let half = run(&setup, op, workers, seconds, Some(peak.rate / 2.0)).await;
        report(name, &peak, &half, target);
    }
    // Code exchanges: codes collected through SSO first (each /authorize with the session
    // cookie answers a code at once), then redeemed.
    let wanted = 20_000;
    let took = collect_codes(&setup, wanted).await;
    println!(
        "{:<34} {:>9.0}/s (SSO authorize answering a code at once)",
        "authorize with SSO (setup)",
        wanted as f64 / took.as_secs_f64()
    );
    let peak = run(&setup, exchange, workers, 2, None).await;
    setup.codes.lock().unwrap().clear();
    collect_codes(&setup, wanted).await;
    let half = run(&setup, exchange, workers, 2, Some(peak.rate / 2.0)).await;
    report("authorization_code exchanges", &peak, &half, 5_000.0);
    let hwm = rss_kib(&pid, "VmHWM:");
    println!(
        "\nprovider RSS: idle {:.1} MiB (target <= 30), peak {:.1} MiB (target <= 100)",
        idle as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
}
