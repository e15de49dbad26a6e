//! Form parts shared by the pages: a labelled text field with hint and error, the error
//! summary, hidden inputs and buttons.
//!
//! Accessibility pattern (WCAG 2.2: 1.3.1, 3.3.1, 3.3.2, 4.1.2): every field has a `<label for>`;
//! its hint and error are tied to it by `aria-describedby`; a field in error has
//! `aria-invalid="true"`; the page starts with an error summary (`role="alert"`) linking to it.

use super::{Locale, escape, url_attr};

/// A text field with its label, optional hint and optional error.
#[derive(Debug)]
pub(super) struct Field<'a> {
    /// Element id; the hint and error ids derive from it.
    pub id: &'static str,
    /// Form parameter name.
    pub name: &'static str,
    /// Label text, plain.
    pub label: &'a str,
    /// Hint text, plain.
    pub hint: Option<&'a str>,
    /// Current value, plain (escaped here).
    pub value: &'a str,
    /// Error message, plain, already in the page's language.
    pub error: Option<&'a str>,
    /// Extra class next to `input`.
    pub class: &'static str,
    /// Literal attributes (autocomplete, inputmode, …), never user data.
    pub attrs: &'static str,
}

impl Field<'_> {
    /// The field as HTML.
    pub(super) fn render(&self, locale: Locale) -> String {
        let id = self.id;
        let mut described_by = Vec::new();
        let hint = match self.hint {
            Some(hint) => {
                described_by.push(format!("{id}-hint"));
                format!("<p class=\"hint\" id=\"{id}-hint\">{}</p>\n", escape(hint))
            }
            None => String::new(),
        };
        let error = match self.error {
            Some(message) => {
                described_by.push(format!("{id}-error"));
                format!(
                    "<p class=\"field-error\" id=\"{id}-error\"><span class=\"vh\">{}</span>{}</p>\n",
                    escape(locale.texts().error_prefix),
                    escape(message)
                )
            }
            None => String::new(),
        };
        let described_by = if described_by.is_empty() {
            String::new()
        } else {
            format!(" aria-describedby=\"{}\"", described_by.join(" "))
        };
        let invalid = if self.error.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        };
        let class = if self.class.is_empty() {
            "input".to_owned()
        } else {
            format!("input {}", self.class)
        };
        format!(
            "<div class=\"field\">\n<label for=\"{id}\">{label}</label>\n{hint}{error}\
             <input class=\"{class}\" id=\"{id}\" name=\"{name}\" type=\"text\" value=\"{value}\"\
             {described_by}{invalid} {attrs}>\n</div>\n",
            label = escape(self.label),
            name = self.name,
            value = escape(self.value),
            attrs = self.attrs,
        )
    }
}

/// The error summary at the top of `<main>`: announced on load and linking to the field.
pub(super) fn error_summary(locale: Locale, field_id: &str, message: &str) -> String {
    format!(
        "<div class=\"summary\" role=\"alert\">\n<h2>{}</h2>\n<ul>\n\
         <li><a href=\"#{}\">{}</a></li>\n</ul>\n</div>\n",
        escape(locale.texts().error_summary),
        escape(field_id),
        escape(message)
    )
}

/// A status message (for example "a new code was sent"), announced politely.
pub(super) fn notice(text: &str) -> String {
    format!("<p class=\"notice\" role=\"status\">{}</p>\n", escape(text))
}

/// `<form method="post" action=…>` with the CSRF token as its first field.
pub(super) fn open(action: &str, csrf: &str, extra: &'static str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\"{extra}>\n{}",
        url_attr(action),
        hidden("csrf", csrf)
    )
}

/// A hidden input.
pub(super) fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
        escape(name),
        escape(value)
    )
}

/// A submit button; `secondary` for the less prominent choice; `decision` sets `name="decision"`.
pub(super) fn submit(label: &str, secondary: bool, decision: Option<&'static str>) -> String {
    let class = if secondary { "btn secondary" } else { "btn" };
    let decision = decision
        .map(|value| format!(" name=\"decision\" value=\"{value}\""))
        .unwrap_or_default();
    format!(
        "<button type=\"submit\" class=\"{class}\"{decision}>{}</button>\n",
        escape(label)
    )
}

/// A link styled as a button.
pub(super) fn link_button(href: &str, label: &str, secondary: bool) -> String {
    let class = if secondary { "btn secondary" } else { "btn" };
    format!(
        "<a class=\"{class}\" href=\"{}\">{}</a>\n",
        url_attr(href),
        escape(label)
    )
}
