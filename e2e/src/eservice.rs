//! The SDK's `eservice` example as a process: registered with DAN through `idp clients add`
//! (secret, redirect, post-logout and back-channel logout URIs on its own loopback port), then
//! started against DAN's issuer.

use tokio::process::Command;

use crate::dan::Deployment;
use crate::processes::{Process, binary, free_port};

/// A running example e-service; stopped when dropped.
pub struct Eservice {
    /// Its URL, `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its client id at DAN.
    pub client_id: String,
    /// The name it shows in its header.
    pub name: String,
    /// Its session cookie's name.
    pub cookie: String,
    process: Process,
}

impl Eservice {
    /// Registers `client_id` with `dan` (scopes openid and profile, `client_secret_basic`)
    /// and starts the e-service for it.
    pub async fn start(dan: &Deployment, client_id: &str, name: &str) -> Self {
        Self::start_with(dan, client_id, name, &[]).await
    }

    /// [`Eservice::start`] with extra settings of the example (`ESERVICE_ACR`, say).
    pub async fn start_with(
        dan: &Deployment,
        client_id: &str,
        name: &str,
        extra_env: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let [callback, logged_out, backchannel] = Self::uris(port);
        let secret = dan
            .add_client(&[
                "--id",
                client_id,
                "--name-mn",
                name,
                "--name-en",
                name,
                "--redirect-uri",
                &callback,
                "--post-logout-uri",
                &logged_out,
                "--backchannel-logout-uri",
                &backchannel,
                "--scope",
                "openid",
                "--scope",
                "profile",
            ])
            .await
            .expect("client_secret_basic clients get a secret");
        Self::launch(dan, port, client_id, &secret, name, extra_env).await
    }

    /// The callback, post-logout and back-channel logout URIs of an e-service on `port`.
    pub fn uris(port: u16) -> [String; 3] {
        let url = format!("http://127.0.0.1:{port}");
        [
            format!("{url}/callback"),
            format!("{url}/logged-out"),
            format!("{url}/backchannel-logout"),
        ]
    }

    /// Starts the e-service on `port` for a client registered already (with [`Eservice::uris`]
    /// of that port) whose secret is `secret`, with `extra_env` settings.
    pub async fn launch(
        dan: &Deployment,
        port: u16,
        client_id: &str,
        secret: &str,
        name: &str,
        extra_env: &[(&str, &str)],
    ) -> Self {
        let url = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(binary("examples/eservice"));
        command
            .env("DAN_ISSUER", &dan.issuer)
            .env("ESERVICE_LISTEN", format!("127.0.0.1:{port}"))
            .env("ESERVICE_CLIENT_ID", client_id)
            .env("ESERVICE_CLIENT_SECRET", secret)
            .env("ESERVICE_NAME", name)
            .envs(extra_env.iter().copied());
        let log = dan.dir().join(format!("eservice-{client_id}.log"));
        let mut process = Process::spawn("eservice", command, &log);
        process.wait_until_answering(&format!("{url}/")).await;
        Self {
            url,
            client_id: client_id.to_owned(),
            name: name.to_owned(),
            cookie: format!("eservice_{port}"),
            process,
        }
    }

    /// `url` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The e-service's output so far.
    pub fn log(&self) -> String {
        self.process.output()
    }

    /// Waits until the e-service reports a back-channel logout that ended `sessions`
    /// session(s).
    pub async fn wait_for_backchannel_logout(&mut self, sessions: usize) {
        self.process
            .wait_for_output(&format!("back-channel logout: {sessions} session(s) ended"))
            .await;
    }
}
