//! The development outbox: an in-process [`SmsGateway`] that keeps the newest messages and
//! prints each to stderr, so a developer can read one-time codes without a phone.
//!
//! Development only: it shows codes to whoever can read stderr or the outbox endpoint. The
//! configuration refuses it in production.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{SmsError, SmsGateway, SmsMessage};

/// How many messages the outbox keeps; older ones are dropped first.
pub const OUTBOX_CAPACITY: usize = 500;

/// One message as the development outbox shows it. Carries the text in clear: dev only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// The recipient, E.164.
    pub to: String,
    /// The text, including any one-time code.
    pub text: String,
    /// When the message was sent: its `created_at` (the outbox delivers instantly).
    /// Serialized as RFC 3339.
    pub sent_at: DateTime<Utc>,
}

/// The development outbox. Share it (e.g. in an `Arc`) between the code that sends and the
/// endpoint that lists messages.
pub struct Outbox {
    entries: Mutex<VecDeque<OutboxEntry>>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self {
            entries: Mutex::new(VecDeque::with_capacity(OUTBOX_CAPACITY)),
        }
    }

    /// The kept messages, newest first; only those sent to exactly `to` when given.
    pub fn messages(&self, to: Option<&str>) -> Vec<OutboxEntry> {
        self.lock()
            .iter()
            .rev()
            .filter(|entry| to.is_none_or(|to| entry.to == to))
            .cloned()
            .collect()
    }

    fn push(&self, entry: OutboxEntry) {
        let mut entries = self.lock();
        while entries.len() >= OUTBOX_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<OutboxEntry>> {
        // A panic while holding the lock cannot leave the deque half-updated in a way that
        // matters for a dev outbox, so recover rather than propagate the poison.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for Outbox {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("messages", &self.lock().len())
            .finish()
    }
}

#[async_trait]
impl SmsGateway for Outbox {
    async fn send(&self, message: &SmsMessage) -> Result<(), SmsError> {
        // Deliberately stderr, not `tracing`: logs must never carry codes, and this line exists
        // only so a developer can read them.
        eprintln!("[dev outbox] to {}: {}", message.to, message.text);
        self.push(OutboxEntry {
            to: message.to.clone(),
            text: message.text.clone(),
            sent_at: message.created_at,
        });
        Ok(())
    }

    fn describe(&self) -> String {
        "dev outbox".to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn message(to: &str, text: &str, second: u32) -> SmsMessage {
        SmsMessage {
            to: to.into(),
            text: text.into(),
            created_at: Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, second).unwrap(),
        }
    }

    #[tokio::test]
    async fn lists_messages_newest_first() {
        let outbox = Outbox::new();
        assert!(outbox.messages(None).is_empty());
        for (i, text) in ["first", "second", "third"].into_iter().enumerate() {
            let sent = message("+97699000001", text, i as u32);
            outbox.send(&sent).await.unwrap();
        }
        let texts: Vec<_> = outbox
            .messages(None)
            .into_iter()
            .map(|entry| entry.text)
            .collect();
        assert_eq!(texts, ["third", "second", "first"]);
    }

    #[tokio::test]
    async fn filters_by_exact_recipient() {
        let outbox = Outbox::new();
        outbox
            .send(&message("+97699000001", "a1", 0))
            .await
            .unwrap();
        outbox
            .send(&message("+97699000002", "b1", 1))
            .await
            .unwrap();
        outbox
            .send(&message("+97699000001", "a2", 2))
            .await
            .unwrap();

        let to_a = outbox.messages(Some("+97699000001"));
        assert_eq!(to_a.len(), 2);
        assert_eq!(to_a[0].text, "a2");
        assert_eq!(to_a[1].text, "a1");
        assert!(to_a.iter().all(|entry| entry.to == "+97699000001"));

        let to_b = outbox.messages(Some("+97699000002"));
        assert_eq!(to_b.len(), 1);
        assert_eq!(to_b[0].text, "b1");

        // Exact match only: no prefix or suffix matching.
        assert!(outbox.messages(Some("+9769900000")).is_empty());
        assert!(outbox.messages(Some("97699000001")).is_empty());
    }

    #[tokio::test]
    async fn keeps_only_the_newest_500() {
        let outbox = Outbox::default();
        let total = OUTBOX_CAPACITY + 37;
        for i in 0..total {
            outbox
                .send(&message("+97699000001", &format!("message {i}"), 0))
                .await
                .unwrap();
        }
        let kept = outbox.messages(None);
        assert_eq!(kept.len(), 500);
        assert_eq!(kept[0].text, format!("message {}", total - 1));
        assert_eq!(kept[499].text, format!("message {}", total - 500));
    }

    #[tokio::test]
    async fn entry_serializes_with_rfc3339_sent_at() {
        let outbox = Outbox::new();
        outbox
            .send(&message("+97699000001", "Код: 123456", 9))
            .await
            .unwrap();
        let json = serde_json::to_value(outbox.messages(None)).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{
                "to": "+97699000001",
                "text": "Код: 123456",
                "sent_at": "2026-05-01T08:00:09Z",
            }])
        );
    }

    #[test]
    fn debug_shows_only_the_count() {
        let outbox = Outbox::new();
        outbox.push(OutboxEntry {
            to: "+97699000001".into(),
            text: "code 777111".into(),
            sent_at: Utc::now(),
        });
        let shown = format!("{outbox:?}");
        assert_eq!(shown, "Outbox { messages: 1 }");
    }

    #[test]
    fn describes_itself() {
        assert_eq!(Outbox::new().describe(), "dev outbox");
    }
}
