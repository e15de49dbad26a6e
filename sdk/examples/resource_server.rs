//! An API that accepts DAN access tokens: `GET /api/me` answers with who the token speaks
//! for, `GET /api/benefits` also requires the `benefits:read` scope. Refusals follow RFC 6750
//! (`401 invalid_token`, `403 insufficient_scope`, with `WWW-Authenticate`).
//!
//! ```text
//! API_AUDIENCE=http://127.0.0.1:3001 cargo run -p sdk --features poem --example resource_server
//! curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:3001/api/me
//! ```
//!
//! Configuration (environment): `DAN_ISSUER` (`http://127.0.0.1:8080`), `API_LISTEN`
//! (`127.0.0.1:3001`), `API_AUDIENCE` (the API's URL as registered with DAN, `http://` +
//! listen by default).

use std::net::SocketAddr;
use std::sync::Arc;

use dan_sdk::resource_server::{Bearer, ResourceServer, ResourceServerConfig};
use poem::http::StatusCode;
use poem::listener::TcpListener;
use poem::web::{Data, Json};
use poem::{EndpointExt, IntoResponse, Response, Route, Server, get, handler};
use serde_json::json;

/// `GET /api/me`: any valid DAN access token for this API.
#[handler]
fn me(Bearer(token): Bearer) -> Json<serde_json::Value> {
    Json(json!({
        "sub": token.sub,
        "client_id": token.client_id,
        "scopes": token.scopes,
        "acr": token.acr,
        "expires_at": token.exp,
    }))
}

/// `GET /api/benefits`: needs the `benefits:read` scope on top.
#[handler]
fn benefits(Bearer(token): Bearer) -> Response {
    if !token.has_scope("benefits:read") {
        return Response::builder()
            .status(StatusCode::FORBIDDEN)
            .header(
                "WWW-Authenticate",
                r#"Bearer error="insufficient_scope", scope="benefits:read""#,
            )
            .finish();
    }
    Json(json!({ "sub": token.sub, "benefits": [] })).into_response()
}

/// `GET /healthz`.
#[handler]
fn healthz(Data(server): Data<&Arc<ResourceServer>>) -> String {
    format!("ok: tokens of {}", server.config().issuer)
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = env("DAN_ISSUER", "http://127.0.0.1:8080");
    let listen: SocketAddr = env("API_LISTEN", "127.0.0.1:3001").parse()?;
    let audience = env("API_AUDIENCE", &format!("http://{listen}"));
    let server = Arc::new(ResourceServer::new(ResourceServerConfig::new(
        issuer.clone(),
        audience.clone(),
    ))?);
    let routes = Route::new()
        .at("/api/me", get(me))
        .at("/api/benefits", get(benefits))
        .at("/healthz", get(healthz))
        .data(server);
    println!("API {audience} at http://{listen}, accepting DAN access tokens of {issuer}");
    Server::new(TcpListener::bind(listen)).run(routes).await?;
    Ok(())
}
