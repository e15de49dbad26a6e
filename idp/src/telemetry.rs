//! Structured logs with `tracing`: readable lines in development, JSON in production, always
//! on standard error (standard output is for the startup banner and command results).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Crates whose verbose levels log what must never be logged (webauthn-rs writes credential
/// data at `debug` and ceremony state at `trace`): capped at `warn` whatever the filter says.
const CAPPED: [&str; 2] = ["webauthn_rs_core=warn", "webauthn_rs=warn"];

/// Installs the global subscriber. Calling it twice keeps the first one.
pub fn init(filter: &str, format: LogFormat) {
    let mut filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    for directive in CAPPED {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
