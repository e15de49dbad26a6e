//! Every sentence the pages show, in Mongolian and English.
//!
//! Texts are plain text (they are escaped when placed in a page). A [`Slot`] is a sentence with
//! one `{}` where the page puts a value. Mongolian case endings follow vowel harmony, so no
//! ending is ever glued to an interpolated name: "Та «{}» үйлчилгээнд нэвтэрч байна" puts the
//! ending on the fixed word "үйлчилгээ" and reads right for any e-service name.

use super::{Locale, escape};

/// A sentence with exactly one `{}` slot.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot(pub &'static str);

impl Slot {
    /// The sentence as HTML with `html` (already markup, already escaped) in the slot.
    pub(super) fn fill(self, html: &str) -> String {
        let (before, after) = self.0.split_once("{}").unwrap_or((self.0, ""));
        format!("{}{html}{}", escape(before), escape(after))
    }

    /// The sentence as HTML with plain `text` in the slot.
    pub(super) fn fill_text(self, text: &str) -> String {
        self.fill(&escape(text))
    }

    /// The sentence as plain text (not yet escaped) with plain `text` in the slot, for an
    /// attribute value or a helper that escapes.
    pub(super) fn plain(self, text: &str) -> String {
        let (before, after) = self.0.split_once("{}").unwrap_or((self.0, ""));
        format!("{before}{text}{after}")
    }
}

/// The standard texts of one error kind.
#[derive(Debug, Clone, Copy)]
pub(super) struct ErrorText {
    pub title: &'static str,
    pub message: &'static str,
}

/// All texts of one language.
#[derive(Debug)]
pub(super) struct Texts {
    // Layout
    pub dan: &'static str,
    pub tagline: &'static str,
    pub skip: &'static str,
    pub language: &'static str,
    pub logging_in: Slot,
    pub requested_by: Slot,
    pub error_prefix: &'static str,
    pub error_summary: &'static str,
    // Registry number
    pub rn_heading: &'static str,
    pub rn_label: &'static str,
    pub rn_hint: &'static str,
    pub cyr_summary: &'static str,
    pub cyr_press: &'static str,
    pub cyr_copy: &'static str,
    pub cyr_keyboard: &'static str,
    pub cyr_add: Slot,
    pub continue_: &'static str,
    // Code
    pub code_heading: &'static str,
    pub code_sent: Slot,
    pub code_label: &'static str,
    pub code_submit: &'static str,
    pub code_missing: &'static str,
    pub code_resend: &'static str,
    // Consent
    pub consent_title: &'static str,
    pub consent_heading: Slot,
    pub consent_intro: &'static str,
    pub consent_nothing: &'static str,
    pub scope_profile: &'static str,
    pub scope_phone: &'static str,
    pub scope_address: &'static str,
    pub scope_email: &'static str,
    pub scope_national_id: &'static str,
    pub sensitive: &'static str,
    pub national_id_warning: &'static str,
    pub allow: &'static str,
    pub deny: &'static str,
    pub deny_note: &'static str,
    pub remember: &'static str,
    // Errors
    pub unknown_client: ErrorText,
    pub bad_redirect_uri: ErrorText,
    pub request_expired: ErrorText,
    pub too_many_attempts: ErrorText,
    pub rate_limited: ErrorText,
    pub rate_limited_wait: Slot,
    pub internal: ErrorText,
    pub bad_request: ErrorText,
    pub bad_request_detail: Slot,
    pub csrf_failed: ErrorText,
    // Logout
    pub logout_heading: &'static str,
    pub logout_text: &'static str,
    pub logout: &'static str,
    pub stay: &'static str,
    pub logged_out_heading: &'static str,
    pub logged_out_text: &'static str,
    pub back_to: Slot,
    pub back_to_service: &'static str,
    // Try it
    pub try_heading: &'static str,
    pub try_intro: &'static str,
    pub try_numbers: &'static str,
    pub try_no_numbers: &'static str,
    pub try_sms: Slot,
    pub try_start: &'static str,
    pub try_done: &'static str,
    pub try_claims: &'static str,
    pub try_userinfo: &'static str,
}

/// Mongolian.
static MN: Texts = Texts {
    dan: "ДАН",
    tagline: "Иргэний нэгдсэн нэвтрэлт",
    skip: "Үндсэн хэсэг рүү алгасах",
    language: "Хэл",
    logging_in: Slot("Та «{}» үйлчилгээнд нэвтэрч байна"),
    requested_by: Slot("Хүсэлт илгээсэн үйлчилгээ: «{}»"),
    error_prefix: "Алдаа: ",
    error_summary: "Алдаа гарлаа",
    rn_heading: "Регистрийн дугаараа оруулна уу",
    rn_label: "Регистрийн дугаар",
    rn_hint: "2 кирилл үсэг, 8 оронтой тоо. Жишээ нь: УБ90010112",
    cyr_summary: "Кирилл үсэг оруулах",
    cyr_press: "Үсэг дээр дарахад регистрийн дугаарын талбарт нэмэгдэнэ.",
    cyr_copy: "Хэрэгтэй үсгээ доороос хуулж авна уу:",
    cyr_keyboard: "Утасныхаа тохиргооноос монгол гар нэмж болно.",
    cyr_add: Slot("{} үсэг нэмэх"),
    continue_: "Үргэлжлүүлэх",
    code_heading: "Баталгаажуулах код",
    code_sent: Slot("Бид {} дугаарт 6 оронтой код илгээлээ. Код 5 минут хүчинтэй."),
    code_label: "6 оронтой код",
    code_submit: "Нэвтрэх",
    code_missing: "Код ирэхгүй байвал нэг минут хүлээгээд шинэ код авна уу.",
    code_resend: "Код дахин илгээх",
    consent_title: "Мэдээлэл хуваалцах зөвшөөрөл",
    consent_heading: Slot("{} таны мэдээллийг хүсч байна"),
    consent_intro: "Зөвшөөрвөл ДАН энэ үйлчилгээнд дараах мэдээллийг дамжуулна:",
    consent_nothing: "Зөвхөн таныг нэвтэрсэн гэдгийг мэдэгдэнэ. Өөр мэдээлэл дамжуулахгүй.",
    scope_profile: "Овог, нэр, төрсөн огноо, хүйс",
    scope_phone: "Утасны дугаар",
    scope_address: "Хаяг",
    scope_email: "И-мэйл хаяг",
    scope_national_id: "Регистрийн дугаар",
    sensitive: "Эмзэг мэдээлэл",
    national_id_warning: "Регистрийн дугаараар таны мэдээллийг өөр байгууллагуудын \
                          мэдээлэлтэй холбож болно. Зөвхөн итгэдэг үйлчилгээндээ зөвшөөрнө үү.",
    allow: "Зөвшөөрөх",
    deny: "Татгалзах",
    deny_note: "Татгалзвал ямар ч мэдээлэл дамжуулахгүй.",
    remember: "ДАН таны сонголтыг санана. Та зөвшөөрлөө ДАН-ы хувийн хэсгээс хүссэн үедээ \
               цуцалж болно.",
    unknown_client: ErrorText {
        title: "Цахим үйлчилгээ танигдсангүй",
        message: "Таныг энд илгээсэн цахим үйлчилгээ ДАН-д бүртгэлгүй байна. Цахим үйлчилгээ \
                  рүүгээ буцаж дахин оролдох эсвэл тэдэнтэй холбогдоно уу.",
    },
    bad_redirect_uri: ErrorText {
        title: "Буцах хаяг танигдсангүй",
        message: "Цахим үйлчилгээ таныг ДАН-д бүртгэлгүй хаягтай илгээсэн байна. Цахим \
                  үйлчилгээ рүүгээ буцаж дахин оролдох эсвэл тэдэнтэй холбогдоно уу.",
    },
    request_expired: ErrorText {
        title: "Нэвтрэх хугацаа дууссан",
        message: "Аюулгүй байдлын үүднээс нэвтрэлтийг хэдэн минутын дотор дуусгах ёстой. \
                  Цахим үйлчилгээ рүүгээ буцаж дахин эхлүүлнэ үү.",
    },
    too_many_attempts: ErrorText {
        title: "Оролдлого хэт олон боллоо",
        message: "Буруу код олон удаа оруулсан тул таны бүртгэлийг хамгаалах үүднээс энэ \
                  нэвтрэлтийг зогсоолоо. Түр хүлээгээд цахим үйлчилгээ рүүгээ буцаж дахин \
                  эхлүүлнэ үү.",
    },
    rate_limited: ErrorText {
        title: "Түр хүлээнэ үү",
        message: "Хэт олон хүсэлт ирсэн тул түр хүлээх шаардлагатай.",
    },
    rate_limited_wait: Slot("{} дараа дахин оролдоно уу."),
    internal: ErrorText {
        title: "ДАН-д алдаа гарлаа",
        message: "Манай талд түр зуурын алдаа гарлаа. Хэдэн минутын дараа цахим үйлчилгээ \
                  рүүгээ буцаж дахин оролдоно уу.",
    },
    bad_request: ErrorText {
        title: "Хүсэлт буруу байна",
        message: "Цахим үйлчилгээнээс ирсэн хүсэлтэд алдаа байна. Цахим үйлчилгээ рүүгээ \
                  буцаж дахин оролдох эсвэл тэдэнтэй холбогдоно уу.",
    },
    bad_request_detail: Slot("Дэлгэрэнгүй: {}"),
    csrf_failed: ErrorText {
        title: "Хуудасны хугацаа дууссан",
        message: "Маягт хуучирсан тул юу ч илгээгдсэнгүй. Хуудсаа шинэчлэх эсвэл цахим \
                  үйлчилгээ рүүгээ буцаж дахин эхлүүлнэ үү.",
    },
    logout_heading: "Гарах уу?",
    logout_text: "Та энэ төхөөрөмж дээр ДАН-аас гарна. Дараагийн удаа дахин нэвтрэх \
                  шаардлагатай.",
    logout: "Гарах",
    stay: "Болих",
    logged_out_heading: "Та системээс гарлаа",
    logged_out_text: "Олон хүний ашигладаг компьютер ашигласан бол хөтчийнхөө бүх цонхыг \
                      хаана уу.",
    back_to: Slot("«{}» үйлчилгээ рүү буцах"),
    back_to_service: "Цахим үйлчилгээ рүү буцах",
    try_heading: "Туршилтын цахим үйлчилгээ",
    try_intro: "Энэ бол ДАН-аар нэвтрэхийг туршиж үзэх туршилтын цахим үйлчилгээ. Зөвхөн \
                зохиомол иргэдийн мэдээлэл ашиглана.",
    try_numbers: "Туршилтын регистрийн дугаарууд",
    try_no_numbers: "Туршилтын иргэн бүртгэгдээгүй байна.",
    try_sms: Slot("SMS код серверийн консолд болон {} хуудсанд гарна."),
    try_start: "Нэвтэрч үзэх",
    try_done: "Та нэвтэрлээ",
    try_claims: "ID токены мэдээлэл (claims)",
    try_userinfo: "Userinfo хариу",
};

/// English.
static EN: Texts = Texts {
    dan: "DAN",
    tagline: "Citizen single sign-on",
    skip: "Skip to main content",
    language: "Language",
    logging_in: Slot("Logging in to {}"),
    requested_by: Slot("Requested by {}"),
    error_prefix: "Error: ",
    error_summary: "There is a problem",
    rn_heading: "Enter your registry number",
    rn_label: "Registry number",
    rn_hint: "Two Cyrillic letters and 8 digits, for example УБ90010112",
    cyr_summary: "Type Cyrillic letters",
    cyr_press: "Press a letter to add it to the registry number field.",
    cyr_copy: "Copy the letter you need from here:",
    cyr_keyboard: "You can also add a Mongolian keyboard in your phone's settings.",
    cyr_add: Slot("Add letter {}"),
    continue_: "Continue",
    code_heading: "Enter the code",
    code_sent: Slot("We sent a 6-digit code to {}. The code is valid for 5 minutes."),
    code_label: "6-digit code",
    code_submit: "Log in",
    code_missing: "If the code does not arrive within a minute, ask for a new one.",
    code_resend: "Send a new code",
    consent_title: "Share your information",
    consent_heading: Slot("{} asks for your information"),
    consent_intro: "If you allow it, DAN will share with this e-service:",
    consent_nothing: "Only that you have logged in. No other information is shared.",
    scope_profile: "Your name, date of birth and sex",
    scope_phone: "Your phone number",
    scope_address: "Your address",
    scope_email: "Your email address",
    scope_national_id: "Your registry number",
    sensitive: "Sensitive",
    national_id_warning: "Your registry number can be used to link your records across \
                          organizations. Allow it only for an e-service you trust.",
    allow: "Allow",
    deny: "Deny",
    deny_note: "If you deny, nothing is shared.",
    remember: "DAN will remember your choice. You can withdraw your permission at any time in \
               your DAN account.",
    unknown_client: ErrorText {
        title: "Unknown e-service",
        message: "The e-service that sent you here is not registered with DAN. Go back to the \
                  e-service and try again, or contact it.",
    },
    bad_redirect_uri: ErrorText {
        title: "Unknown return address",
        message: "The e-service sent you here with an address DAN does not know. Go back to \
                  the e-service and try again, or contact it.",
    },
    request_expired: ErrorText {
        title: "Your login took too long",
        message: "For your security, a login has to be finished within a few minutes. Go back \
                  to the e-service and start again.",
    },
    too_many_attempts: ErrorText {
        title: "Too many attempts",
        message: "A wrong code was entered too many times, so this login was stopped to protect \
                  your account. Wait a while, then start again from the e-service.",
    },
    rate_limited: ErrorText {
        title: "Please wait",
        message: "There were too many requests, so you need to wait a moment.",
    },
    rate_limited_wait: Slot("Try again in {}."),
    internal: ErrorText {
        title: "DAN had a problem",
        message: "Something went wrong on our side. Go back to the e-service and try again in a \
                  few minutes.",
    },
    bad_request: ErrorText {
        title: "Something is wrong with the request",
        message: "The request from the e-service has a problem. Go back to the e-service and try \
                  again, or contact it.",
    },
    bad_request_detail: Slot("Details: {}"),
    csrf_failed: ErrorText {
        title: "This page has expired",
        message: "The form was out of date, so nothing was sent. Reload the page, or start again \
                  from the e-service.",
    },
    logout_heading: "Log out of DAN?",
    logout_text: "You will be logged out of DAN on this device. Next time you will need to log \
                  in again.",
    logout: "Log out",
    stay: "Cancel",
    logged_out_heading: "You have logged out",
    logged_out_text: "If you used a shared computer, close all browser windows.",
    back_to: Slot("Back to {}"),
    back_to_service: "Back to the e-service",
    try_heading: "Demo e-service",
    try_intro: "This is a demo e-service for trying a DAN login. It uses made-up citizens only.",
    try_numbers: "Demo registry numbers",
    try_no_numbers: "No demo citizens are loaded.",
    try_sms: Slot("The SMS code is printed in the server console and shown at {}."),
    try_start: "Try logging in",
    try_done: "You are logged in",
    try_claims: "ID token claims",
    try_userinfo: "Userinfo response",
};

impl Locale {
    /// The texts of this language.
    pub(super) fn texts(self) -> &'static Texts {
        match self {
            Locale::Mn => &MN,
            Locale::En => &EN,
        }
    }

    /// A wait of `secs` seconds in words, in the form [`Texts::rate_limited_wait`] expects
    /// ("5 минутын" / "5 minutes"). Rounded up to whole minutes from one minute on.
    pub(super) fn wait(self, secs: u64) -> String {
        let (count, minutes) = if secs < 60 {
            (secs.max(1), false)
        } else {
            (secs.div_ceil(60), true)
        };
        match (self, minutes, count) {
            (Locale::Mn, true, n) => format!("{n} минутын"),
            (Locale::Mn, false, n) => format!("{n} секундын"),
            (Locale::En, true, 1) => "1 minute".to_owned(),
            (Locale::En, true, n) => format!("{n} minutes"),
            (Locale::En, false, 1) => "1 second".to_owned(),
            (Locale::En, false, n) => format!("{n} seconds"),
        }
    }
}

/// The texts of the development pages: for developers, in English, with the warning also in
/// Mongolian.
pub(super) mod dev {
    pub const OUTBOX_TITLE: &str = "SMS outbox — DEVELOPMENT ONLY";
    pub const OUTBOX_WARNING: &str = "DEVELOPMENT ONLY: messages that would have been sent by \
                                      SMS. Never enabled in production.";
    pub const OUTBOX_WARNING_MN: &str = "ЗӨВХӨН ХӨГЖҮҮЛЭЛТЭД";
    pub const OUTBOX_CAPTION: &str = "SMS messages, newest first (DEVELOPMENT ONLY). This page \
                                      refreshes every 5 seconds.";
    pub const OUTBOX_EMPTY: &str = "No messages yet.";
    pub const COL_SENT: &str = "Sent at";
    pub const COL_TO: &str = "To";
    pub const COL_TEXT: &str = "Message";
    /// The form-post page is shown for a moment in both languages: it has no locale.
    pub const FORM_POST_TITLE_MN: &str = "Цахим үйлчилгээ рүү буцаж байна";
    pub const FORM_POST_TITLE_EN: &str = "Returning to the e-service";
    pub const FORM_POST_NOSCRIPT_MN: &str = "Үргэлжлүүлэх товчийг дарна уу.";
    pub const FORM_POST_NOSCRIPT_EN: &str = "Press Continue.";
    pub const FORM_POST_BUTTON_MN: &str = "Үргэлжлүүлэх";
    pub const FORM_POST_BUTTON_EN: &str = "Continue";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(t: &Texts) -> [Slot; 9] {
        [
            t.logging_in,
            t.requested_by,
            t.cyr_add,
            t.code_sent,
            t.consent_heading,
            t.rate_limited_wait,
            t.bad_request_detail,
            t.back_to,
            t.try_sms,
        ]
    }

    #[test]
    fn every_slot_has_exactly_one_placeholder() {
        for locale in [Locale::Mn, Locale::En] {
            for slot in slots(locale.texts()) {
                assert_eq!(slot.0.matches("{}").count(), 1, "{:?}", slot.0);
            }
        }
    }

    #[test]
    fn slot_escapes_its_own_text_and_keeps_the_given_markup() {
        assert_eq!(Slot("a<{}>&").fill("<b>x</b>"), "a&lt;<b>x</b>&gt;&amp;");
        assert_eq!(Slot("{}!").fill_text("<i>"), "&lt;i&gt;!");
        assert_eq!(Slot("it's {}").plain("<i>"), "it's <i>");
    }

    #[test]
    fn waits_are_rounded_up_and_pluralised() {
        assert_eq!(Locale::En.wait(0), "1 second");
        assert_eq!(Locale::En.wait(30), "30 seconds");
        assert_eq!(Locale::En.wait(60), "1 minute");
        assert_eq!(Locale::En.wait(61), "2 minutes");
        assert_eq!(Locale::Mn.wait(300), "5 минутын");
        assert_eq!(Locale::Mn.wait(45), "45 секундын");
    }
}
