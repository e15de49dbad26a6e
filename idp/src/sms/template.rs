//! The request body template of [`super::HttpGateway`]: `{to}` and `{text}` placeholders,
//! filled in one pass with values encoded for the body's content type, so a message text can
//! neither break out of its JSON string or form field nor inject another placeholder.

use super::SmsError;

/// Placeholder for the recipient.
const TO: &str = "{to}";
/// Placeholder for the message text.
const TEXT: &str = "{text}";

/// How substituted values are encoded, chosen by the content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    /// JSON string contents, without the surrounding quotes (the template supplies them).
    Json,
    /// `application/x-www-form-urlencoded` value.
    Form,
}

impl Encoding {
    /// The encoding for a `Content-Type` value; `application/json`, any `+json` type and
    /// `application/x-www-form-urlencoded` are supported, with or without parameters.
    pub(super) fn for_content_type(content_type: &str) -> Result<Self, SmsError> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
        {
            Ok(Self::Json)
        } else if essence == "application/x-www-form-urlencoded" {
            Ok(Self::Form)
        } else {
            Err(SmsError::Template(format!(
                "content type {essence:?} is not supported: use application/json or \
                 application/x-www-form-urlencoded, so values can be escaped"
            )))
        }
    }

    fn push(self, out: &mut String, value: &str) {
        match self {
            Self::Json => push_json_string_contents(out, value),
            Self::Form => out.extend(url::form_urlencoded::byte_serialize(value.as_bytes())),
        }
    }
}

/// Refuses a template that could never carry the code.
pub(super) fn check(template: &str) -> Result<(), SmsError> {
    if template.contains(TEXT) {
        Ok(())
    } else {
        Err(SmsError::Template(
            "the body template has no {text} placeholder, so no message would carry its text"
                .to_owned(),
        ))
    }
}

/// Fills `{to}` and `{text}` in one left-to-right pass; other braces are copied as they are.
pub(super) fn render(template: &str, encoding: Encoding, to: &str, text: &str) -> String {
    let mut out = String::with_capacity(template.len() + to.len() + 2 * text.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        if let Some(after) = tail.strip_prefix(TO) {
            encoding.push(&mut out, to);
            rest = after;
        } else if let Some(after) = tail.strip_prefix(TEXT) {
            encoding.push(&mut out, text);
            rest = after;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Escapes `value` as the inside of a JSON string (RFC 8259 section 7).
fn push_json_string_contents(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const JSON_TEMPLATE: &str = r#"{"to":"{to}","message":"{text}"}"#;

    #[test]
    fn json_values_are_string_escaped_rfc8259_7() {
        let text = "Код \"DAN\": 123456\\ok\nline2\ttab\u{1}end";
        let body = render(JSON_TEMPLATE, Encoding::Json, "+97699000001", text);
        assert_eq!(
            body,
            r#"{"to":"+97699000001","message":"Код \"DAN\": 123456\\ok\nline2\ttab\u0001end"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"to": "+97699000001", "message": text})
        );
    }

    #[test]
    fn form_values_are_url_encoded() {
        let text = "Код: 12 34&to=+1=x";
        let body = render("to={to}&text={text}", Encoding::Form, "+97699000001", text);
        assert_eq!(
            body,
            "to=%2B97699000001&text=%D0%9A%D0%BE%D0%B4%3A+12+34%26to%3D%2B1%3Dx"
        );
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs,
            [
                ("to".to_owned(), "+97699000001".to_owned()),
                ("text".to_owned(), text.to_owned())
            ]
        );
    }

    #[test]
    fn placeholders_inside_values_are_not_substituted() {
        let body = render(JSON_TEMPLATE, Encoding::Json, "+97699000001", "{to} {text}");
        assert_eq!(body, r#"{"to":"+97699000001","message":"{to} {text}"}"#);
    }

    #[test]
    fn other_braces_and_repeated_placeholders_are_kept() {
        let body = render("{{x}} {text}/{text} {t", Encoding::Json, "+1", "a\"b");
        assert_eq!(body, "{{x}} a\\\"b/a\\\"b {t");
    }

    #[test]
    fn template_without_text_is_refused() {
        let refused = check(r#"{"to":"{to}","message":"Your code"}"#).unwrap_err();
        assert!(matches!(refused, SmsError::Template(ref why) if why.contains("{text}")));
        assert!(check(JSON_TEMPLATE).is_ok());
    }

    #[test]
    fn content_type_selects_the_encoding() {
        let json = Encoding::for_content_type("application/json").unwrap();
        assert_eq!(json, Encoding::Json);
        let json = Encoding::for_content_type("Application/JSON; charset=utf-8").unwrap();
        assert_eq!(json, Encoding::Json);
        let json = Encoding::for_content_type("application/vnd.sms+json").unwrap();
        assert_eq!(json, Encoding::Json);
        let form = Encoding::for_content_type("application/x-www-form-urlencoded").unwrap();
        assert_eq!(form, Encoding::Form);
        assert!(matches!(
            Encoding::for_content_type("text/plain"),
            Err(SmsError::Template(_))
        ));
        assert!(Encoding::for_content_type("application/xml").is_err());
    }
}
