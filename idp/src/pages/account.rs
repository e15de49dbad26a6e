//! The citizen's account pages: the ways they can log in (add, rename, remove) and the
//! authenticator-app enrollment with its QR code.
//!
//! Adding a passkey needs JavaScript (WebAuthn); everything else is plain forms.

use super::form::{self, Field};
use super::layout::{Banner, Layout, PASSKEY_JS};
use super::methods::WebAuthnForm;
use super::{Locale, Page, escape, url_attr};

/// One of the citizen's methods, as listed.
#[derive(Debug, Clone)]
pub struct MethodRow {
    /// Its id (in the form actions).
    pub id: String,
    /// The citizen's name for it.
    pub name: String,
    /// When it was added (a date, already formatted).
    pub added: String,
    /// When it last logged in (already formatted).
    pub last_used: Option<String>,
    /// Its level, when it is not the one of its kind (a Digital ID device: high or
    /// substantial), in the page's language.
    pub level: Option<String>,
}

/// What the account page shows.
#[derive(Debug)]
pub struct AccountPage<'a> {
    /// The language.
    pub locale: Locale,
    /// The CSRF token of the account's forms.
    pub csrf: &'a str,
    /// The citizen's name.
    pub name: &'a str,
    /// The registry's phone, masked, when there is one.
    pub phone: Option<&'a str>,
    /// Digital ID devices.
    pub devices: &'a [MethodRow],
    /// Passkeys.
    pub passkeys: &'a [MethodRow],
    /// Authenticator apps.
    pub apps: &'a [MethodRow],
    /// What the "add a passkey" section offers.
    pub add_passkey: AddPasskey<'a>,
    /// A status message.
    pub notice: Option<&'a str>,
    /// A refused input: the id of its field and the message.
    pub error: Option<(&'a str, &'a str)>,
    /// What the citizen typed into the field in error, kept.
    pub typed: &'a str,
}

/// What the "add a passkey" section offers.
#[derive(Debug, Clone, Copy)]
pub enum AddPasskey<'a> {
    /// The form, with the WebAuthn options to create one.
    Create(&'a str),
    /// First a fresh login (a button posting to `/account/confirm`).
    ConfirmFirst,
    /// Nothing: the citizen has as many as allowed.
    Full,
    /// Nothing: passkeys are not available at this address.
    Unavailable,
}

struct AccountTexts {
    title: &'static str,
    hello: &'static str,
    methods: &'static str,
    level: &'static str,
    added: &'static str,
    last_used: &'static str,
    never: &'static str,
    sms: &'static str,
    sms_note: &'static str,
    passkey: &'static str,
    device: &'static str,
    app: &'static str,
    low: &'static str,
    substantial: &'static str,
    high: &'static str,
    rename: &'static str,
    new_name: &'static str,
    remove: &'static str,
    add_passkey: &'static str,
    add_passkey_intro: &'static str,
    passkey_name: &'static str,
    passkey_name_hint: &'static str,
    passkey_create: &'static str,
    no_passkeys: &'static str,
    passkeys_full: &'static str,
    confirm_first: &'static str,
    confirm_button: &'static str,
    add_app: &'static str,
    add_app_intro: &'static str,
    app_name: &'static str,
    app_name_hint: &'static str,
    app_start: &'static str,
    logout: &'static str,
    add_device: &'static str,
    add_device_intro: &'static str,
    add_device_button: &'static str,
    device_code_title: &'static str,
    device_code_intro: &'static str,
    device_code_until: &'static str,
    back: &'static str,
    enroll_title: &'static str,
    enroll_scan: &'static str,
    enroll_qr_alt: &'static str,
    enroll_type: &'static str,
    enroll_code: &'static str,
    enroll_code_hint: &'static str,
    enroll_confirm: &'static str,
    cancel: &'static str,
}

const MN: AccountTexts = AccountTexts {
    title: "Миний ДАН бүртгэл",
    hello: "Та нэвтэрсэн байна:",
    methods: "Нэвтрэх аргууд",
    level: "Түвшин",
    added: "Нэмсэн",
    last_used: "Сүүлд ашигласан",
    never: "—",
    sms: "SMS код",
    sms_note: "Улсын бүртгэлд бүртгэлтэй утас. Өөрчлөхдөө иргэний бүртгэлд хандана уу.",
    passkey: "Нэвтрэх түлхүүр",
    device: "Дижитал ID апп",
    app: "Баталгаажуулах апп",
    low: "доод",
    substantial: "дунд",
    high: "өндөр",
    rename: "Нэр солих",
    new_name: "Шинэ нэр",
    remove: "Устгах",
    add_passkey: "Нэвтрэх түлхүүр нэмэх",
    add_passkey_intro: "Нэвтрэх түлхүүрээр та утас, компьютерийнхээ хурууны хээ, царай эсвэл PIN кодоор нэвтэрнэ. Энэ нь SMS кодоос илүү найдвартай бөгөөд өндөр түвшин шаардах үйлчилгээнд хэрэгтэй.",
    passkey_name: "Нэвтрэх түлхүүрийн нэр",
    passkey_name_hint: "Жишээ нь: Миний утас",
    passkey_create: "Нэвтрэх түлхүүр үүсгэх",
    no_passkeys: "Энэ хаягаар нэвтрэх түлхүүр ашиглах боломжгүй байна (аюулгүй холболт шаардлагатай).",
    passkeys_full: "Танд хамгийн олондоо 10 нэвтрэх түлхүүр байж болно. Шинийг нэмэхийн өмнө нэгийг нь устгана уу.",
    confirm_first: "Шинэ нэвтрэх арга нэмэх, нэвтрэх түлхүүр устгахын өмнө та өөрийгөө дахин баталгаажуулна.",
    confirm_button: "Өөрийгөө баталгаажуулах",
    add_app: "Баталгаажуулах апп нэмэх",
    add_app_intro: "Google Authenticator, Microsoft Authenticator зэрэг апп 30 секунд тутам шинэ код гаргана.",
    app_name: "Апп-ын нэр",
    app_name_hint: "Жишээ нь: Утсан дээрх апп",
    app_start: "Үргэлжлүүлэх",
    logout: "Гарах",
    add_device: "Дижитал ID апп нэмэх",
    add_device_intro: "Утсан дээрх Дижитал ID апп-аа энд нэмвэл «дунд» түвшинд нэвтэрнэ. «Өндөр» түвшний хувьд иргэний үйлчилгээний төвд хурууны хээгээ баталгаажуулж нэмүүлнэ үү. Эхлээд нэвтрэх түлхүүрээрээ баталгаажуулна.",
    add_device_button: "Апп-д оруулах код авах",
    device_code_title: "Дижитал ID апп-д оруулах код",
    device_code_intro: "Энэ кодыг Дижитал ID апп-даа оруулна уу. Кодыг нэг л удаа ашиглана.",
    device_code_until: "Хүчинтэй хугацаа (UTC):",
    back: "Бүртгэл рүү буцах",
    enroll_title: "Баталгаажуулах апп нэмэх",
    enroll_scan: "1. Апп-аараа энэ QR кодыг уншуулна уу.",
    enroll_qr_alt: "Баталгаажуулах апп-д зориулсан QR код",
    enroll_type: "Эсвэл энэ түлхүүрийг гараар оруулна уу:",
    enroll_code: "2. Апп дээр гарч ирсэн 6 оронтой код",
    enroll_code_hint: "Код зөв бол апп нэмэгдэнэ.",
    enroll_confirm: "Баталгаажуулах",
    cancel: "Болих",
};

const EN: AccountTexts = AccountTexts {
    title: "My DAN account",
    hello: "You are logged in as",
    methods: "Ways to log in",
    level: "Level",
    added: "Added",
    last_used: "Last used",
    never: "—",
    sms: "SMS code",
    sms_note: "The phone in the civil registry. To change it, contact the civil registry.",
    passkey: "Passkey",
    device: "Digital ID app",
    app: "Authenticator app",
    low: "low",
    substantial: "substantial",
    high: "high",
    rename: "Rename",
    new_name: "New name",
    remove: "Remove",
    add_passkey: "Add a passkey",
    add_passkey_intro: "With a passkey you log in with your phone or computer's fingerprint, face or PIN. It is safer than an SMS code, and e-services that ask for a higher level need it.",
    passkey_name: "Name of the passkey",
    passkey_name_hint: "For example: My phone",
    passkey_create: "Create a passkey",
    no_passkeys: "Passkeys cannot be used at this address (a secure connection is needed).",
    passkeys_full: "You can have at most 10 passkeys. Remove one before adding another.",
    confirm_first: "Before adding a way to log in or removing a passkey, you confirm it is you again.",
    confirm_button: "Confirm it is me",
    add_app: "Add an authenticator app",
    add_app_intro: "Apps such as Google Authenticator or Microsoft Authenticator show a new code every 30 seconds.",
    app_name: "Name of the app",
    app_name_hint: "For example: App on my phone",
    app_start: "Continue",
    logout: "Log out",
    add_device: "Add the Digital ID app",
    add_device_intro: "A Digital ID app added here logs in at the level substantial. For the level high, have it added at a service centre, where your fingerprint is checked. You confirm with your passkey first.",
    add_device_button: "Get a code for the app",
    device_code_title: "Code for the Digital ID app",
    device_code_intro: "Type this code into the Digital ID app. It works once.",
    device_code_until: "Valid until (UTC):",
    back: "Back to my account",
    enroll_title: "Add an authenticator app",
    enroll_scan: "1. Scan this QR code with your app.",
    enroll_qr_alt: "QR code for your authenticator app",
    enroll_type: "Or type this key into the app:",
    enroll_code: "2. The 6-digit code your app shows",
    enroll_code_hint: "When the code is right, the app is added.",
    enroll_confirm: "Confirm",
    cancel: "Cancel",
};

fn texts(locale: Locale) -> &'static AccountTexts {
    match locale {
        Locale::Mn => &MN,
        Locale::En => &EN,
    }
}

/// A Digital ID device's level in `locale`'s words.
pub fn level_words(locale: Locale, level: &str) -> String {
    let t = texts(locale);
    match level {
        "high" => t.high,
        "substantial" => t.substantial,
        _ => t.low,
    }
    .to_owned()
}

/// Ids of the account's fields (the error summary links to them).
pub const PASSKEY_NAME_ID: &str = "passkey-name";
/// The authenticator app's name field.
pub const APP_NAME_ID: &str = "app-name";
/// The enrollment's code field.
const ENROLL_CODE_ID: &str = "enroll-code";

fn layout<'a>(locale: Locale, title: &'a str, main: String) -> Layout<'a> {
    let mut layout = Layout::bare(locale, title, Banner::None, main);
    layout.switch = Some(("/account?lang=mn", "/account?lang=en"));
    layout
}

fn rows(
    t: &AccountTexts,
    kind: &str,
    label: &str,
    level: &str,
    list: &[MethodRow],
    csrf: &str,
    renamable: bool,
) -> String {
    let mut html = String::new();
    for row in list {
        let base = format!("/account/methods/{kind}/{}", row.id);
        let rename_id = format!("rename-{kind}-{}", row.id);
        let rename_form = if renamable {
            format!(
                "<form method=\"post\" action=\"{rename}\" class=\"inline\">\n{csrf}\
                 <label for=\"{rid}\">{new_name}</label>\n\
                 <input class=\"input\" id=\"{rid}\" name=\"name\" type=\"text\" value=\"{name}\" \
                 maxlength=\"64\" autocomplete=\"off\">\n\
                 <button type=\"submit\" class=\"btn secondary\">{rename_label}</button>\n</form>\n",
                rename = url_attr(&format!("{base}/rename")),
                csrf = form::hidden("csrf", csrf),
                rid = escape(&rename_id),
                new_name = escape(t.new_name),
                name = escape(&row.name),
                rename_label = escape(t.rename),
            )
        } else {
            String::new()
        };
        html.push_str(&format!(
            "<li class=\"method\">\n<h3>{name}</h3>\n<p>{label} · {level_label}: {level} · \
             {added_label}: {added} · {used_label}: {used}</p>\n{rename_form}\
             <form method=\"post\" action=\"{remove}\" class=\"inline\">\n{csrf}\
             <button type=\"submit\" class=\"btn secondary\" aria-label=\"{remove_aria}\">{remove_label}</button>\n\
             </form>\n</li>\n",
            label = escape(label),
            name = escape(&row.name),
            level_label = escape(t.level),
            level = escape(row.level.as_deref().unwrap_or(level)),
            added_label = escape(t.added),
            added = escape(&row.added),
            used_label = escape(t.last_used),
            used = escape(row.last_used.as_deref().unwrap_or(t.never)),
            remove = url_attr(&format!("{base}/remove")),
            csrf = form::hidden("csrf", csrf),
            remove_label = escape(t.remove),
            remove_aria = escape(&format!("{} {}", t.remove, row.name)),
        ));
    }
    html
}

/// The account page. Status 200, or 422 with `error`.
pub fn account(page: &AccountPage<'_>) -> Page {
    let locale = page.locale;
    let t = texts(locale);
    let mut main = String::new();
    if let Some((field, message)) = page.error {
        main.push_str(&form::error_summary(locale, field, message));
    }
    main.push_str(&format!(
        "<h1>{}</h1>\n<p>{} <b>{}</b></p>\n",
        escape(t.title),
        escape(t.hello),
        escape(page.name)
    ));
    if let Some(text) = page.notice {
        main.push_str(&form::notice(text));
    }
    main.push_str(&format!(
        "<h2>{}</h2>\n<ul class=\"methods-list\">\n",
        escape(t.methods)
    ));
    if let Some(phone) = page.phone {
        main.push_str(&format!(
            "<li class=\"method\">\n<h3>{}</h3>\n<p>{} · {}: {}</p>\n<p class=\"hint\">{}</p>\n</li>\n",
            escape(t.sms),
            escape(phone),
            escape(t.level),
            escape(t.low),
            escape(t.sms_note),
        ));
    }
    main.push_str(&rows(
        t,
        "device",
        t.device,
        t.high,
        page.devices,
        page.csrf,
        false,
    ));
    main.push_str(&rows(
        t,
        "passkey",
        t.passkey,
        t.substantial,
        page.passkeys,
        page.csrf,
        true,
    ));
    main.push_str(&rows(t, "app", t.app, t.low, page.apps, page.csrf, true));
    main.push_str("</ul>\n");

    main.push_str(&format!(
        "<h2>{}</h2>\n<p>{}</p>\n",
        escape(t.add_passkey),
        escape(t.add_passkey_intro)
    ));
    let error_of = |id: &str| page.error.filter(|(f, _)| *f == id).map(|(_, m)| m);
    let typed_of = |id: &str| {
        if page.error.is_some_and(|(f, _)| f == id) {
            page.typed
        } else {
            ""
        }
    };
    match page.add_passkey {
        AddPasskey::Create(options) => {
            let field = Field {
                id: PASSKEY_NAME_ID,
                name: "name",
                label: t.passkey_name,
                hint: Some(t.passkey_name_hint),
                value: typed_of(PASSKEY_NAME_ID),
                error: error_of(PASSKEY_NAME_ID),
                class: "",
                // Required: the browser checks it before the authenticator makes anything.
                attrs: "maxlength=\"64\" autocomplete=\"off\" required",
            }
            .render(locale);
            main.push_str(
                &WebAuthnForm {
                    kind: "create",
                    action: "/account/passkeys",
                    csrf: page.csrf,
                    options,
                    conditional: false,
                    fields: &field,
                    button: t.passkey_create,
                }
                .render(locale),
            );
        }
        AddPasskey::ConfirmFirst => {
            main.push_str(&format!("<p>{}</p>\n", escape(t.confirm_first)));
            main.push_str(&form::open("/account/confirm", page.csrf, ""));
            main.push_str(&form::submit(t.confirm_button, false, None));
            main.push_str("</form>\n");
        }
        AddPasskey::Full => main.push_str(&format!("<p>{}</p>\n", escape(t.passkeys_full))),
        AddPasskey::Unavailable => {
            main.push_str(&format!("<p>{}</p>\n", escape(t.no_passkeys)));
        }
    }
    main.push_str(&format!(
        "<h2>{}</h2>\n<p>{}</p>\n",
        escape(t.add_app),
        escape(t.add_app_intro)
    ));
    main.push_str(&form::open("/account/apps", page.csrf, ""));
    main.push_str(
        &Field {
            id: APP_NAME_ID,
            name: "name",
            label: t.app_name,
            hint: Some(t.app_name_hint),
            value: typed_of(APP_NAME_ID),
            error: error_of(APP_NAME_ID),
            class: "",
            attrs: "maxlength=\"64\" autocomplete=\"off\"",
        }
        .render(locale),
    );
    main.push_str(&form::submit(t.app_start, false, None));
    main.push_str("</form>\n");
    main.push_str(&format!(
        "<h2>{}</h2>\n<p>{}</p>\n",
        escape(t.add_device),
        escape(t.add_device_intro)
    ));
    main.push_str(&form::open("/account/digital-id", page.csrf, ""));
    main.push_str(&form::submit(t.add_device_button, true, None));
    main.push_str("</form>\n");
    main.push_str(&format!(
        "<p><a href=\"/logout\">{}</a></p>\n",
        escape(t.logout)
    ));
    let mut layout = layout(locale, t.title, main);
    layout.has_error = page.error.is_some();
    layout.script = matches!(page.add_passkey, AddPasskey::Create(_)).then_some(PASSKEY_JS);
    layout.into_page(if page.error.is_some() { 422 } else { 200 })
}

/// The authenticator-app enrollment: the QR code (`qr_data_url`, an SVG drawn by DAN), the
/// key as text, and the first code that confirms it. Status 200, or 422 with `error`.
pub fn app_enrollment(
    locale: Locale,
    csrf: &str,
    id: &str,
    secret: &str,
    qr_data_url: Option<&str>,
    error: Option<&str>,
) -> Page {
    let t = texts(locale);
    let mut main = String::new();
    if let Some(message) = error {
        main.push_str(&form::error_summary(locale, ENROLL_CODE_ID, message));
    }
    main.push_str(&format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(t.enroll_title),
        escape(t.enroll_scan)
    ));
    if let Some(url) = qr_data_url.filter(|u| u.starts_with("data:image/svg+xml;base64,")) {
        main.push_str(&format!(
            "<p><img class=\"qr\" src=\"{}\" alt=\"{}\" width=\"240\" height=\"240\"></p>\n",
            escape(url),
            escape(t.enroll_qr_alt)
        ));
    }
    main.push_str(&format!(
        "<p>{}</p>\n<p><code class=\"secret\" lang=\"en\">{}</code></p>\n",
        escape(t.enroll_type),
        escape(secret)
    ));
    main.push_str(&form::open("/account/apps/confirm", csrf, " novalidate"));
    main.push_str(&form::hidden("id", id));
    main.push_str(
        &Field {
            id: ENROLL_CODE_ID,
            name: "code",
            label: t.enroll_code,
            hint: Some(t.enroll_code_hint),
            value: "",
            error,
            class: "code",
            attrs: "autocomplete=\"one-time-code\" inputmode=\"numeric\" pattern=\"[0-9]*\" \
                    maxlength=\"6\"",
        }
        .render(locale),
    );
    main.push_str(&form::submit(t.enroll_confirm, false, None));
    main.push_str("</form>\n");
    main.push_str(&form::link_button("/account", t.cancel, true));
    let mut layout = layout(locale, t.enroll_title, main);
    layout.has_error = error.is_some();
    layout.into_page(if error.is_some() { 422 } else { 200 })
}

/// The one-time code that lets the citizen's Digital ID app enroll (level substantial).
pub fn device_code(locale: Locale, code: &str, expires_at: &str) -> Page {
    let t = texts(locale);
    let main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p><code class=\"secret\" lang=\"en\">{}</code></p>\n\
         <p>{} {}</p>\n{}",
        escape(t.device_code_title),
        escape(t.device_code_intro),
        escape(code),
        escape(t.device_code_until),
        escape(expires_at),
        form::link_button("/account", t.back, true),
    );
    layout(locale, t.device_code_title, main).into_page(200)
}

/// What the account pages tell the citizen after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountMessage {
    /// A passkey was added.
    PasskeyAdded,
    /// An authenticator app was added.
    AppAdded,
    /// A method was renamed.
    Renamed,
    /// A method was removed.
    Removed,
    /// A name is empty, too long or has control characters.
    BadName,
    /// The citizen has as many apps as allowed.
    TooManyApps,
    /// The enrollment's code is wrong.
    WrongCode,
    /// The enrollment expired or is unknown.
    EnrollmentExpired,
    /// The passkey was not created (refused, cancelled, or already registered).
    PasskeyRefused,
    /// No such method.
    NotFound,
    /// The citizen has as many passkeys as allowed.
    TooManyPasskeys,
    /// A Digital ID app is added here only after a passkey login, and the citizen has none.
    PasskeyFirst,
}

impl AccountMessage {
    /// The value carried in `?done=` after a redirect, for the messages that follow one.
    pub fn code(self) -> &'static str {
        match self {
            Self::PasskeyAdded => "passkey_added",
            Self::AppAdded => "app_added",
            Self::Renamed => "renamed",
            Self::Removed => "removed",
            Self::BadName => "bad_name",
            Self::TooManyApps => "too_many_apps",
            Self::WrongCode => "wrong_code",
            Self::EnrollmentExpired => "enrollment_expired",
            Self::PasskeyRefused => "passkey_refused",
            Self::NotFound => "not_found",
            Self::TooManyPasskeys => "too_many_passkeys",
            Self::PasskeyFirst => "passkey_first",
        }
    }

    /// Reads a `?done=` value: only the notices of a success.
    pub fn parse_done(code: &str) -> Option<Self> {
        [
            Self::PasskeyAdded,
            Self::AppAdded,
            Self::Renamed,
            Self::Removed,
        ]
        .into_iter()
        .find(|m| m.code() == code)
    }

    /// The message in `locale`.
    pub fn text(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Self::PasskeyAdded, Locale::Mn) => "Нэвтрэх түлхүүр нэмэгдлээ.",
            (Self::PasskeyAdded, Locale::En) => "The passkey was added.",
            (Self::AppAdded, Locale::Mn) => "Баталгаажуулах апп нэмэгдлээ.",
            (Self::AppAdded, Locale::En) => "The authenticator app was added.",
            (Self::Renamed, Locale::Mn) => "Нэр солигдлоо.",
            (Self::Renamed, Locale::En) => "The name was changed.",
            (Self::Removed, Locale::Mn) => "Устгагдлаа.",
            (Self::Removed, Locale::En) => "It was removed.",
            (Self::BadName, Locale::Mn) => {
                "Нэр 1-64 тэмдэгт байх ба удирдах тэмдэгт агуулахгүй байх ёстой."
            }
            (Self::BadName, Locale::En) => {
                "A name is 1 to 64 characters, without control characters."
            }
            (Self::TooManyApps, Locale::Mn) => {
                "Та хамгийн ихдээ 5 апп нэмэх боломжтой. Нэгийг нь устгаад дахин оролдоно уу."
            }
            (Self::TooManyApps, Locale::En) => {
                "You can have at most 5 authenticator apps. Remove one and try again."
            }
            (Self::WrongCode, Locale::Mn) => {
                "Код буруу байна. Апп дээр одоо харагдаж буй кодыг оруулна уу."
            }
            (Self::WrongCode, Locale::En) => {
                "The code is wrong. Enter the code your app shows now."
            }
            (Self::EnrollmentExpired, Locale::Mn) => {
                "Апп нэмэх хугацаа дууссан байна. Дахин эхлүүлнэ үү."
            }
            (Self::EnrollmentExpired, Locale::En) => "Adding the app took too long. Start again.",
            (Self::PasskeyRefused, Locale::Mn) => {
                "Нэвтрэх түлхүүр үүссэнгүй. Энэ төхөөрөмжид аль хэдийн бүртгэгдсэн эсвэл цуцлагдсан байж магадгүй. Дахин оролдоно уу."
            }
            (Self::PasskeyRefused, Locale::En) => {
                "The passkey was not created. It may already be registered on this device, or it was cancelled. Try again."
            }
            (Self::NotFound, Locale::Mn) => "Ийм нэвтрэх арга олдсонгүй.",
            (Self::NotFound, Locale::En) => "There is no such way to log in.",
            (Self::TooManyPasskeys, Locale::Mn) => {
                "Танд хамгийн олондоо 10 нэвтрэх түлхүүр байж болно."
            }
            (Self::TooManyPasskeys, Locale::En) => "You can have at most 10 passkeys.",
            (Self::PasskeyFirst, Locale::Mn) => {
                "Дижитал ID апп-ыг энд нэмэхийн тулд эхлээд нэвтрэх түлхүүр нэмнэ үү, эсвэл иргэний үйлчилгээний төвд хандана уу."
            }
            (Self::PasskeyFirst, Locale::En) => {
                "To add the Digital ID app here, add a passkey first, or visit a service centre."
            }
        }
    }

    /// The name a passkey gets when the citizen left the field blank.
    pub fn default_passkey_name(locale: Locale) -> &'static str {
        match locale {
            Locale::Mn => "Нэвтрэх түлхүүр",
            Locale::En => "Passkey",
        }
    }
}
