//! SMS one-time codes: six digits from the operating system's CSPRNG, valid five minutes,
//! stored only as a keyed hash, at most five wrong tries per code, a new code only after 60
//! seconds, at most five codes per phone number and per registry number per hour, and at most
//! 25 codes entered per registry number per hour, SMS and authenticator-app codes together.
//!
//! **No enumeration.** An unknown, locked or phone-less registry number goes through the same
//! steps: a code is drawn and its hash stored, the same counters move, and the caller shows the
//! same "code sent" page with a stand-in masked number derived from the registry number (so it
//! is stable across attempts). No SMS leaves, so the code never matches. Delivery happens in a
//! background task for everyone, so the response time does not depend on the gateway.

use std::sync::Arc;
use std::time::Duration;

use subtle::ConstantTimeEq;

use crate::citizens::{PhoneNumber, RegistryNumber};
use crate::clock::Clock;
use crate::ephemeral::{EphemeralStore, Key, StoreError};
use crate::secrets::{Purpose, Secrets};
use crate::sms::{SmsGateway, SmsMessage};

/// How long a code is valid.
pub const CODE_LIFETIME: Duration = Duration::from_secs(300);
/// Wrong tries allowed per code.
pub const MAX_ATTEMPTS: u64 = 5;
/// Wait before another code may be sent for the same login.
pub const RESEND_AFTER: Duration = Duration::from_secs(60);
/// Codes per phone number and per registry number per hour.
pub const CODES_PER_HOUR: u64 = 5;
/// Codes (SMS and authenticator-app together) one registry number may have entered per hour:
/// as many as its SMS codes allow (five codes of five tries), shared, so the app adds no
/// guesses to the SMS budget.
pub const TRIES_PER_HOUR: u64 = MAX_ATTEMPTS * CODES_PER_HOUR;
/// Authenticator-app codes one registry number may have entered per day; past it, only the
/// SMS code logs in until the day is over.
pub const APP_TRIES_PER_DAY: u64 = 50;
const DAY: Duration = Duration::from_secs(24 * 3600);
const HOUR: Duration = Duration::from_secs(3600);

/// Where a code goes: the citizen's phone, or nowhere (unknown, locked, no phone).
pub enum Recipient<'a> {
    /// A citizen who may log in.
    Citizen(&'a PhoneNumber),
    /// Nobody: the same steps, no message.
    Nobody,
}

/// What happened when a code was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// A code is on its way (or, for nobody, seems to be).
    Sent,
    /// A code was sent less than a minute ago.
    TooSoon {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Five codes this hour for this phone or registry number.
    HourlyLimit,
}

/// What happened when a code was entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The right code: it is now used up.
    Valid,
    /// A wrong code; `remaining` tries are left.
    Wrong {
        /// Tries left.
        remaining: u64,
    },
    /// No live code: expired, used, or never sent.
    Expired,
    /// Five wrong tries: the code is gone.
    TooManyAttempts,
}

/// The one-time-code service.
pub struct Otp {
    store: Arc<dyn EphemeralStore>,
    gateway: Arc<dyn SmsGateway>,
    secrets: Arc<Secrets>,
    clock: Arc<dyn Clock>,
}

/// Masks a phone number for display: `+976 ••••12 34`.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    let (a, b) = tail.split_at(tail.len().min(2));
    let country = if phone.starts_with("+976") {
        "+976 "
    } else {
        ""
    };
    format!("{country}••••{a} {b}")
}

impl Otp {
    /// The service.
    pub fn new(
        store: Arc<dyn EphemeralStore>,
        gateway: Arc<dyn SmsGateway>,
        secrets: Arc<Secrets>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            gateway,
            secrets,
            clock,
        }
    }

    /// The masked number shown after a registry number was entered: the citizen's phone, or a
    /// stand-in derived from the registry number for anyone else.
    pub fn masked_for(
        &self,
        registry_number: &RegistryNumber,
        phone: Option<&PhoneNumber>,
    ) -> String {
        match phone {
            Some(phone) => mask_phone(phone.as_str()),
            None => {
                let hash = self
                    .secrets
                    .keyed_hash(Purpose::Decoy, registry_number.as_str().as_bytes());
                let n = u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]) % 10_000;
                mask_phone(&format!("+976{n:04}"))
            }
        }
    }

    /// The stored form of a code: bound to the login *and* the registry number it was sent
    /// for, so a code can only ever authenticate the citizen whose phone received it.
    fn code_hash(&self, login: &str, registry_number: &RegistryNumber, code: &str) -> [u8; 32] {
        self.secrets.keyed_hash(
            Purpose::OneTimeCode,
            format!("{login}\0{}\0{code}", registry_number.as_str()).as_bytes(),
        )
    }

    /// Draws and (for a citizen) sends a code for the login `login`.
    pub async fn send(
        &self,
        login: &str,
        registry_number: &RegistryNumber,
        recipient: Recipient<'_>,
    ) -> Result<Sent, StoreError> {
        let resend_key = Key::new("otp_resend", login.to_owned());
        if !self.store.put_new(&resend_key, b"1", RESEND_AFTER).await? {
            return Ok(Sent::TooSoon {
                retry_after: RESEND_AFTER.as_secs(),
            });
        }
        let per_number = Key::new(
            "otp_rn_hour",
            self.secrets
                .keyed_id(Purpose::RateLimit, registry_number.as_str().as_bytes()),
        );
        let mut count = self.store.increment(&per_number, HOUR).await?;
        // Nobody's phone is a stand-in derived from the number: the same round trips either way.
        let phone_id = match &recipient {
            Recipient::Citizen(phone) => self
                .secrets
                .keyed_id(Purpose::RateLimit, phone.as_str().as_bytes()),
            Recipient::Nobody => self
                .secrets
                .keyed_id(Purpose::Decoy, registry_number.as_str().as_bytes()),
        };
        count = count.max(
            self.store
                .increment(&Key::new("otp_phone_hour", phone_id), HOUR)
                .await?,
        );
        if count > CODES_PER_HOUR {
            return Ok(Sent::HourlyLimit);
        }
        let code = draw_code().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.store
            .put(
                &Key::new("otp", login.to_owned()),
                &self.code_hash(login, registry_number, &code),
                CODE_LIFETIME,
            )
            .await?;
        self.store
            .delete(&Key::new("otp_try", login.to_owned()))
            .await?;
        if let Recipient::Citizen(phone) = recipient {
            let message = SmsMessage {
                to: phone.as_str().to_owned(),
                text: format!(
                    "ДАН: нэвтрэх код {code}. Хэнд ч бүү хэлээрэй. / DAN login code {code}. Never share it."
                ),
                created_at: self.clock.now(),
            };
            let gateway = self.gateway.clone();
            tokio::spawn(async move {
                if let Err(error) = gateway.send(&message).await {
                    tracing::warn!(%error, "one-time code not delivered");
                }
            });
        }
        Ok(Sent::Sent)
    }

    /// Checks a code entered for `registry_number` in constant time; the right code is used
    /// up, the fifth wrong one destroys it. A code sent for another number never matches.
    pub async fn check(
        &self,
        login: &str,
        registry_number: &RegistryNumber,
        entered: &str,
    ) -> Result<Checked, StoreError> {
        let code_key = Key::new("otp", login.to_owned());
        let tries = self
            .store
            .increment(&Key::new("otp_try", login.to_owned()), CODE_LIFETIME)
            .await?;
        let hourly = self
            .count_try(
                &self
                    .secrets
                    .keyed_id(Purpose::RateLimit, registry_number.as_str().as_bytes()),
            )
            .await?;
        if tries > MAX_ATTEMPTS || hourly > TRIES_PER_HOUR {
            self.store.delete(&code_key).await?;
            return Ok(Checked::TooManyAttempts);
        }
        let Some(stored) = self.store.get(&code_key).await? else {
            return Ok(Checked::Expired);
        };
        let entered = entered.trim();
        let well_formed = entered.len() == 6 && entered.bytes().all(|b| b.is_ascii_digit());
        let matches = well_formed
            && bool::from(stored.ct_eq(&self.code_hash(login, registry_number, entered)));
        if matches {
            // Taken, not read: of two concurrent correct submissions one wins.
            return Ok(if self.store.take(&code_key).await?.is_some() {
                Checked::Valid
            } else {
                Checked::Expired
            });
        }
        if tries == MAX_ATTEMPTS {
            self.store.delete(&code_key).await?;
            return Ok(Checked::TooManyAttempts);
        }
        Ok(Checked::Wrong {
            remaining: MAX_ATTEMPTS - tries,
        })
    }

    /// Counts one authenticator-app code entered in the login `login` for `registry_number`
    /// against the limits of SMS codes: the login's five tries (the very counter its SMS code
    /// uses) and the registry number's hourly budget of tries, shared with SMS codes
    /// ([`TRIES_PER_HOUR`]); and [`APP_TRIES_PER_DAY`]. Returns the tries left after this
    /// one, or `None` when a limit is passed.
    pub async fn count_app_try(
        &self,
        login: &str,
        registry_number: &RegistryNumber,
    ) -> Result<Option<u64>, StoreError> {
        let tries = self
            .store
            .increment(&Key::new("otp_try", login.to_owned()), CODE_LIFETIME)
            .await?;
        let number_id = self
            .secrets
            .keyed_id(Purpose::RateLimit, registry_number.as_str().as_bytes());
        let hourly = self.count_try(&number_id).await?;
        let daily = self
            .store
            .increment(&Key::new("app_rn_day", number_id), DAY)
            .await?;
        if tries > MAX_ATTEMPTS || hourly > TRIES_PER_HOUR || daily > APP_TRIES_PER_DAY {
            return Ok(None);
        }
        Ok(Some(MAX_ATTEMPTS - tries))
    }

    /// Counts one code entered for a registry number (keyed id), SMS or app, in the hour's
    /// shared budget; returns the count.
    async fn count_try(&self, number_id: &str) -> Result<u64, StoreError> {
        self.store
            .increment(&Key::new("tries_rn_hour", number_id.to_owned()), HOUR)
            .await
    }

    /// Tells the citizen at `phone` that a way to log in was added to their account, so a
    /// method added by someone else does not go unnoticed. Sent in the background; the text
    /// carries no code and no name.
    pub fn notify_method_added(&self, phone: &PhoneNumber) {
        let message = SmsMessage {
            to: phone.as_str().to_owned(),
            text: "ДАН: таны бүртгэлд шинэ нэвтрэх арга нэмэгдлээ. Та биш бол ДАН-ы тусламжид \
                   хандана уу. / DAN: a new way to log in was added to your account. If it was \
                   not you, contact DAN support."
                .to_owned(),
            created_at: self.clock.now(),
        };
        let gateway = self.gateway.clone();
        tokio::spawn(async move {
            if let Err(error) = gateway.send(&message).await {
                tracing::warn!(%error, "method notice not delivered");
            }
        });
    }

    /// Counts a login start from `ip` in a one-minute window; returns the seconds to wait when
    /// over `per_minute`.
    pub async fn limit_ip(&self, ip: &str, per_minute: u32) -> Result<Option<u64>, StoreError> {
        self.limit("login_ip", ip, per_minute).await
    }

    /// Counts an event of kind `namespace` from `ip` in a one-minute window; returns the
    /// seconds to wait when over `per_minute`.
    pub async fn limit(
        &self,
        namespace: &'static str,
        ip: &str,
        per_minute: u32,
    ) -> Result<Option<u64>, StoreError> {
        let key = Key::new(
            namespace,
            self.secrets.keyed_id(Purpose::RateLimit, ip.as_bytes()),
        );
        let count = self.store.increment(&key, Duration::from_secs(60)).await?;
        Ok((count > u64::from(per_minute)).then_some(60))
    }
}

/// Six uniformly random digits.
fn draw_code() -> Result<String, getrandom::Error> {
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes)?;
        let n = u32::from_be_bytes(bytes);
        // Reject the top sliver so every code is equally likely.
        if n < u32::MAX - (u32::MAX % 1_000_000) {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_to_their_last_four_digits() {
        assert_eq!(mask_phone("+97699001234"), "+976 ••••12 34");
        assert_eq!(mask_phone("+14155550123"), "••••01 23");
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = draw_code().unwrap();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
