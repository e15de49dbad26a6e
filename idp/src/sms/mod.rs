//! SMS delivery: the [`SmsGateway`] port through which one-time codes reach a citizen's phone,
//! and its two adapters.
//!
//! | adapter | for |
//! |---|---|
//! | [`HttpGateway`] | production: POSTs each message to an SMS provider's HTTP API, with retries |
//! | [`Outbox`] | development only: keeps the newest messages in memory and prints them to stderr |
//!
//! Messages carry one-time codes, so nothing here lets them leak by accident: [`SmsMessage`]
//! does not print its text or the full phone number, [`SmsError`] texts never contain either,
//! and the HTTP adapter logs only attempt numbers and status codes.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

mod http;
mod outbox;
mod template;

pub use http::{HttpGateway, HttpGatewayConfig};
pub use outbox::{OUTBOX_CAPACITY, Outbox, OutboxEntry};

/// One text message to one phone.
///
/// `Debug` shows only the last two digits of the recipient and never the text, which carries a
/// one-time code. Deliberately not `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// The recipient in E.164 form, e.g. `+97699000001`.
    pub to: String,
    /// The text, including the one-time code.
    pub text: String,
    /// When the message was composed (from the injected clock).
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsMessage")
            .field("to", &mask_phone(&self.to))
            .field("text", &"…")
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// Masks a phone number, keeping a leading `+` and the last two characters: `+*********01`.
/// Numbers of four characters or fewer are masked entirely.
fn mask_phone(to: &str) -> String {
    let chars: Vec<char> = to.chars().collect();
    let keep = if chars.len() > 4 { 2 } else { 0 };
    let masked = chars.len() - keep;
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| match (i, c) {
            (0, '+') => '+',
            (i, c) if i >= masked => *c,
            _ => '*',
        })
        .collect()
}

/// Why a message was not delivered. Texts never contain the message text or the phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The provider refused the message with a non-retryable status (a 4xx other than 429,
    /// or a redirect). Retrying the same request will not help.
    #[error("the SMS provider rejected the message with status {status}")]
    Rejected {
        /// The HTTP status the provider answered.
        status: u16,
    },
    /// The provider could not be reached or kept failing (timeout, connection failure, 5xx or
    /// 429) until the retries ran out.
    #[error("the SMS provider is unavailable: {0}")]
    Unavailable(String),
    /// The body template is unusable (e.g. lacks `{text}`, or an unsupported content type).
    #[error("SMS body template: {0}")]
    Template(String),
    /// The gateway configuration is unusable (URL, header value, HTTP client).
    #[error("SMS gateway configuration: {0}")]
    Config(String),
}

/// The port through which SMS messages leave the provider.
#[async_trait]
pub trait SmsGateway: Send + Sync + 'static {
    /// Delivers one message, or says why it could not.
    async fn send(&self, message: &SmsMessage) -> Result<(), SmsError>;

    /// A short description for logs and readiness output, e.g. `http https://sms.example.mn`.
    /// Never contains credentials.
    fn describe(&self) -> String;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_text_and_masks_phone() {
        let message = SmsMessage {
            to: "+97699000001".into(),
            text: "Your DAN code is 493817".into(),
            created_at: Utc::now(),
        };
        let shown = format!("{message:?}");
        assert!(!shown.contains("493817"), "{shown}");
        assert!(!shown.contains("code"), "{shown}");
        assert!(!shown.contains("97699"), "{shown}");
        assert!(shown.contains("\"+*********01\""), "{shown}");
        let pretty = format!("{message:#?}");
        assert!(!pretty.contains("493817") && !pretty.contains("976990"));
    }

    #[test]
    fn mask_keeps_only_last_two_characters() {
        assert_eq!(mask_phone("+97699000001"), "+*********01");
        assert_eq!(mask_phone("99000042"), "******42");
        assert_eq!(mask_phone("+123"), "+***");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn error_texts_name_no_message_content() {
        let texts = [
            SmsError::Rejected { status: 400 }.to_string(),
            SmsError::Unavailable("3 attempts failed, last: status 503".into()).to_string(),
        ];
        assert_eq!(
            texts[0],
            "the SMS provider rejected the message with status 400"
        );
        assert!(texts[1].starts_with("the SMS provider is unavailable"));
    }
}
