//! [`HttpGateway`] against a real local HTTP/1.1 server that plays the SMS provider.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::Utc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use url::Url;

use super::{HttpGateway, HttpGatewayConfig, SmsError, SmsGateway, SmsMessage};

const PHONE: &str = "+97699000001";
const TEXT: &str = "DAN код: \"482915\"\\\nбүү хуваалц";
const JSON_TEMPLATE: &str = r#"{"to":"{to}","message":"{text}"}"#;

/// One request as the provider received it.
#[derive(Debug)]
struct Recorded {
    method: String,
    target: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: String,
}

/// How the provider answers one connection.
#[derive(Clone, Copy)]
enum Reply {
    Status(u16),
    /// Reads the request, then never answers.
    Silence,
}

/// Starts a provider on 127.0.0.1:0 answering the n-th request with `script[n]` (500 once the
/// script runs out); every request is recorded on the returned channel before it is answered.
async fn provider(script: Vec<Reply>) -> (Url, mpsc::UnboundedReceiver<Recorded>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let url = Url::parse(&format!("http://{address}/v1/messages?key=k1")).unwrap();
    let (recorded, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for n in 0.. {
            let (stream, _) = listener.accept().await.unwrap();
            let reply = script.get(n).copied().unwrap_or(Reply::Status(500));
            tokio::spawn(answer(stream, reply, recorded.clone()));
        }
    });
    (url, received)
}

async fn answer(mut stream: TcpStream, reply: Reply, recorded: mpsc::UnboundedSender<Recorded>) {
    let request = read_request(&mut stream).await;
    recorded.send(request).unwrap();
    match reply {
        Reply::Status(status) => {
            let head = format!(
                "HTTP/1.1 {status} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.shutdown().await.unwrap();
        }
        // Hold the connection until the client gives up and closes it.
        Reply::Silence => while stream.read(&mut [0; 64]).await.is_ok_and(|n| n > 0) {},
    }
}

async fn read_request(stream: &mut TcpStream) -> Recorded {
    let mut buffer = Vec::new();
    let mut chunk = [0; 4096];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the request head");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap().split(' ');
    let method = request_line.next().unwrap().to_owned();
    let target = request_line.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length").unwrap().parse().unwrap();
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    Recorded {
        method,
        target,
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: String::from_utf8(body).unwrap(),
    }
}

fn config(url: Url) -> HttpGatewayConfig {
    HttpGatewayConfig {
        auth_header: Some("Bearer s3cret-token".to_owned()),
        retries: 3,
        backoff: Duration::from_millis(1),
        timeout: Duration::from_secs(5),
        ..HttpGatewayConfig::new(url, JSON_TEMPLATE)
    }
}

fn message() -> SmsMessage {
    SmsMessage {
        to: PHONE.to_owned(),
        text: TEXT.to_owned(),
        created_at: Utc::now(),
    }
}

fn drain(received: &mut mpsc::UnboundedReceiver<Recorded>) -> Vec<Recorded> {
    std::iter::from_fn(|| received.try_recv().ok()).collect()
}

fn assert_names_no_message_content(error: &SmsError) {
    let text = error.to_string();
    assert!(!text.contains("97699"), "{text}");
    assert!(!text.contains("482915"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}

#[tokio::test]
async fn posts_the_rendered_body_with_the_configured_headers() {
    let (url, mut received) = provider(vec![Reply::Status(202)]).await;
    let gateway = HttpGateway::new(config(url)).unwrap();

    gateway.send(&message()).await.unwrap();

    let requests = drain(&mut received);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v1/messages?key=k1");
    assert_eq!(
        request.authorization.as_deref(),
        Some("Bearer s3cret-token")
    );
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body, serde_json::json!({"to": PHONE, "message": TEXT}));
}

#[tokio::test]
async fn posts_form_encoded_bodies_without_authorization() {
    let (url, mut received) = provider(vec![Reply::Status(200)]).await;
    let gateway = HttpGateway::new(HttpGatewayConfig {
        auth_header: None,
        content_type: "application/x-www-form-urlencoded".to_owned(),
        ..HttpGatewayConfig::new(url, "to={to}&text={text}")
    })
    .unwrap();

    gateway.send(&message()).await.unwrap();

    let request = drain(&mut received).pop().unwrap();
    assert_eq!(request.authorization, None);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(request.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        pairs,
        [
            ("to".to_owned(), PHONE.to_owned()),
            ("text".to_owned(), TEXT.to_owned())
        ]
    );
}

#[tokio::test]
async fn retries_5xx_and_429_then_succeeds() {
    let script = vec![Reply::Status(503), Reply::Status(429), Reply::Status(200)];
    let (url, mut received) = provider(script).await;
    let gateway = HttpGateway::new(HttpGatewayConfig {
        retries: 2,
        ..config(url)
    })
    .unwrap();

    gateway.send(&message()).await.unwrap();

    let requests = drain(&mut received);
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.body == requests[0].body));
}

#[tokio::test]
async fn gives_up_as_unavailable_when_retries_run_out() {
    let script = vec![Reply::Status(503); 3];
    let (url, mut received) = provider(script).await;
    let gateway = HttpGateway::new(HttpGatewayConfig {
        retries: 2,
        ..config(url)
    })
    .unwrap();

    let error = gateway.send(&message()).await.unwrap_err();

    assert!(
        matches!(error, SmsError::Unavailable(ref why) if why.contains("503")),
        "{error:?}"
    );
    assert_names_no_message_content(&error);
    assert_eq!(drain(&mut received).len(), 3);
}

#[tokio::test]
async fn a_4xx_is_rejected_after_exactly_one_attempt() {
    let (url, mut received) = provider(vec![Reply::Status(400), Reply::Status(200)]).await;
    let gateway = HttpGateway::new(config(url)).unwrap();

    let error = gateway.send(&message()).await.unwrap_err();

    assert_eq!(error, SmsError::Rejected { status: 400 });
    assert_names_no_message_content(&error);
    assert_eq!(drain(&mut received).len(), 1);
}

#[tokio::test]
async fn a_silent_provider_times_out_into_unavailable() {
    let (url, mut received) = provider(vec![Reply::Silence]).await;
    let gateway = HttpGateway::new(HttpGatewayConfig {
        timeout: Duration::from_millis(200),
        retries: 0,
        ..config(url)
    })
    .unwrap();

    let error = gateway.send(&message()).await.unwrap_err();

    assert!(
        matches!(error, SmsError::Unavailable(ref why) if why.contains("timeout")),
        "{error:?}"
    );
    assert_names_no_message_content(&error);
    assert_eq!(drain(&mut received).len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_unavailable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let url = Url::parse(&format!("http://{address}/send")).unwrap();
    let gateway = HttpGateway::new(HttpGatewayConfig {
        retries: 1,
        ..config(url)
    })
    .unwrap();

    let error = gateway.send(&message()).await.unwrap_err();

    assert!(
        matches!(error, SmsError::Unavailable(ref why) if why.contains("2 attempt(s)")),
        "{error:?}"
    );
    assert_names_no_message_content(&error);
}

#[test]
fn a_template_without_text_is_refused() {
    let url = Url::parse("https://sms.example.mn/send").unwrap();
    let config = HttpGatewayConfig::new(url, r#"{"to":"{to}","message":"Your code"}"#);
    assert!(matches!(config.check(), Err(SmsError::Template(_))));
    assert!(matches!(
        HttpGateway::new(config),
        Err(SmsError::Template(why)) if why.contains("{text}")
    ));
}

#[test]
fn unusable_configurations_are_refused() {
    let url = Url::parse("https://sms.example.mn/send").unwrap();
    let good = HttpGatewayConfig::new(url, JSON_TEMPLATE);
    assert!(good.check().is_ok());
    let refused = [
        HttpGatewayConfig {
            content_type: "text/plain".to_owned(),
            ..good.clone()
        },
        HttpGatewayConfig {
            url: Url::parse("ftp://sms.example.mn/").unwrap(),
            ..good.clone()
        },
        HttpGatewayConfig {
            timeout: Duration::ZERO,
            ..good.clone()
        },
        HttpGatewayConfig {
            auth_header: Some("Bearer a\nInjected: yes".to_owned()),
            ..good.clone()
        },
    ];
    for config in refused {
        let error = config.check().unwrap_err();
        assert!(!error.to_string().contains("Injected"), "{error}");
    }
}

#[test]
fn describe_and_debug_show_no_credentials() {
    let url = Url::parse("https://user:pw@sms.example.mn:8443/api/k3y/send?token=t0k").unwrap();
    let config = HttpGatewayConfig {
        auth_header: Some("Bearer s3cret-token".to_owned()),
        ..HttpGatewayConfig::new(url, r#"{"api_key":"k3y","to":"{to}","text":"{text}"}"#)
    };
    let shown = format!("{config:?}");
    assert!(shown.contains(r#"auth_header: Some("…")"#), "{shown}");
    let gateway = HttpGateway::new(config).unwrap();
    assert_eq!(gateway.describe(), "http https://sms.example.mn:8443");
    for shown in [shown, format!("{gateway:?}"), gateway.describe()] {
        for secret in ["s3cret", "k3y", "t0k", "pw", "user", "/api"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
    let default_port = Url::parse("https://sms.example.mn:443/x").unwrap();
    let gateway = HttpGateway::new(HttpGatewayConfig::new(default_port, "{text}")).unwrap();
    assert_eq!(gateway.describe(), "http https://sms.example.mn");
}
