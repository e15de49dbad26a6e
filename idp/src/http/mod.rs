//! The public listener: routes, the edge middleware every request passes through, and the
//! server loop with graceful shutdown.
//!
//! Handlers are thin: they parse, call one domain operation and map its result.

mod account;
mod browser;
mod dev;
mod digital_id;
mod edge;
mod health;
mod protocol;
mod registration;
mod respond;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, Route, Server, get, post};

use crate::config::Config;
use crate::database::Database;
use crate::ephemeral::EphemeralStore;
use crate::provider::Provider;

pub use dev::{DEMO_CLIENT, demo_client, seed_demo_client};
pub use edge::EdgePolicy;
pub use health::{Readiness, readiness};
pub use protocol::discovery_document;
pub use registration::openapi_json;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Durable storage.
    pub database: Database,
    /// Short-lived state.
    pub store: Arc<dyn EphemeralStore>,
    /// How long a readiness probe waits for each backend.
    pub backend_timeout: Duration,
}

/// Every route of the public listener, with the edge middleware.
pub fn routes(state: AppState, provider: Arc<Provider>, policy: EdgePolicy) -> impl Endpoint {
    let mut route = Route::new()
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .at(
            "/.well-known/openid-configuration",
            get(protocol::discovery),
        )
        .at("/jwks", get(protocol::jwks))
        .at(
            "/authorize",
            get(browser::authorize).post(browser::authorize),
        )
        .at("/login/:id", get(browser::login_page))
        .at("/login/:id/number", post(browser::submit_number))
        .at("/login/:id/code", post(browser::submit_code))
        .at("/login/:id/resend", post(browser::resend))
        .at("/login/:id/consent", post(browser::consent))
        .at("/digital-id/v1/enroll", post(digital_id::enroll))
        .at("/digital-id/v1/device", get(digital_id::own_device))
        .at("/account", get(account::account_page))
        .at("/account/passkeys", post(account::add_passkey))
        .at("/account/confirm", post(account::confirm_first))
        .at("/account/digital-id", post(account::device_code))
        .at("/account/apps", post(account::start_app))
        .at("/account/apps/confirm", post(account::confirm_app))
        .at(
            "/account/methods/:kind/:id/rename",
            post(account::rename_method),
        )
        .at(
            "/account/methods/:kind/:id/remove",
            post(account::remove_method),
        )
        .at("/login/:id/method", post(browser::choose_method))
        .at("/login/:id/app", post(browser::submit_app_code))
        .at("/login/:id/passkey", post(browser::submit_passkey))
        .at("/login/:id/unmet", post(browser::leave_unmet))
        .at("/login/:id/continue", post(browser::continue_as_is))
        .at("/token", post(protocol::token_endpoint))
        .at(
            "/userinfo",
            get(protocol::userinfo).post(protocol::userinfo),
        )
        .at("/introspect", post(protocol::introspect))
        .at("/revoke", post(protocol::revoke))
        .at("/par", post(protocol::par))
        .at("/logout", get(browser::logout).post(browser::logout))
        .at("/logout/confirm", post(browser::logout_confirm));
    // Dynamic client registration, described by `openapi/idp.json`: its own paths
    // (`/register`, `/register/{client_id}`); everything else is matched above first.
    route = route.nest("/", registration::endpoint());
    if provider.outbox.is_some() {
        route = route.at("/dev/outbox", get(dev::outbox));
    }
    if provider.settings.demo {
        route = route
            .at("/try", get(dev::try_it))
            .at("/try/start", get(dev::try_start))
            .at("/try/callback", get(dev::try_callback));
    }
    let discovery = protocol::Discovery(Arc::new(
        protocol::discovery_document(&provider).to_string(),
    ));
    route
        .data(state)
        .data(discovery)
        .data(provider)
        .with(CatchPanic::new())
        .around(move |endpoint, request| {
            let policy = policy.clone();
            async move { edge::handle(&policy, endpoint, request).await }
        })
}

/// The edge policy the configuration asks for.
pub fn edge_policy(config: &Config) -> EdgePolicy {
    EdgePolicy {
        body_limit_bytes: config.body_limit_bytes,
        hsts: config.issuer.starts_with("https://"),
    }
}

/// A bound public listener, ready to serve.
pub struct BoundListener {
    acceptor: TcpAcceptor,
    /// The address actually bound (useful with port 0).
    pub local_addr: std::net::SocketAddr,
}

/// Binds the public listener.
pub async fn bind(addr: std::net::SocketAddr) -> std::io::Result<BoundListener> {
    let acceptor = TcpListener::bind(addr).into_acceptor().await?;
    let local_addr = acceptor
        .local_addr()
        .into_iter()
        .find_map(|a| a.as_socket_addr().copied())
        .unwrap_or(addr);
    Ok(BoundListener {
        acceptor,
        local_addr,
    })
}

/// Serves until `shutdown` completes, then lets requests in flight finish (at most 10 s).
pub async fn serve(
    listener: BoundListener,
    app: impl Endpoint + 'static,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    Server::new_with_acceptor(listener.acceptor)
        .run_with_graceful_shutdown(app, shutdown, Some(Duration::from_secs(10)))
        .await
}
