//! The console's HTML parts: escaping, the page shell with its navigation, form fields with
//! their errors (tied by `aria-describedby`, summarised at the top), and tables. No template
//! engine: every value placed in a page goes through [`escape`].

use super::texts::{Locale, Texts, fill};

/// The stylesheet, served at `/console/assets/console.css` (embedded in the binary).
pub(crate) const CSS: &str = include_str!("console.css");

/// The Content-Security-Policy of every console page: its own stylesheet, forms to itself,
/// nothing else (no script at all; the charts are inline SVG).
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                              form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Escapes text for HTML content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path segment or query value.
pub(crate) fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The sections of the console, for the navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    Dashboard,
    Clients,
    Citizens,
    Keys,
    Audit,
    /// The sign-in page: no navigation.
    SignIn,
}

/// A page being put together.
pub(crate) struct Shell<'a> {
    pub locale: Locale,
    pub section: Section,
    /// The `<h1>` and the title's first part, plain text.
    pub heading: &'a str,
    /// The signed-in administrator and the CSRF token of the sign-out form.
    pub admin: Option<(&'a str, &'a str)>,
    /// This page's path (for the language switch to come back to).
    pub path: &'a str,
    /// The content of `<main>` after the heading, HTML.
    pub body: String,
    /// Whether the page shows an error (the title says so first).
    pub has_error: bool,
}

impl Shell<'_> {
    /// The whole document.
    pub(crate) fn render(self) -> String {
        let t = self.locale.texts();
        let prefix = if self.has_error { t.error_prefix } else { "" };
        let title = escape(&format!("{prefix}{} — {}", self.heading, t.console));
        let nav = match self.admin {
            Some((name, csrf)) => navigation(t, self.section, name, csrf),
            None => String::new(),
        };
        format!(
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{title}</title>\n\
             <link rel=\"stylesheet\" href=\"/console/assets/console.css\">\n</head>\n<body>\n\
             <a class=\"skip\" href=\"#main\">{skip}</a>\n<header class=\"top\">\n\
             <p class=\"brand\">{console}</p>\n{switch}{nav}</header>\n\
             <main id=\"main\">\n<h1>{heading}</h1>\n{body}</main>\n</body>\n</html>\n",
            lang = self.locale.as_str(),
            skip = escape(t.skip),
            console = escape(t.console),
            switch = language_switch(self.locale, self.path, self.section),
            heading = escape(self.heading),
            body = self.body,
        )
    }
}

fn navigation(t: &Texts, current: Section, admin: &str, csrf: &str) -> String {
    let links = [
        (Section::Dashboard, "/console/dashboard", t.nav_dashboard),
        (Section::Clients, "/console/clients", t.nav_clients),
        (Section::Citizens, "/console/citizens", t.nav_citizens),
        (Section::Keys, "/console/keys", t.nav_keys),
        (Section::Audit, "/console/audit", t.nav_audit),
    ]
    .iter()
    .map(|(section, href, label)| {
        let current = if *section == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<li><a href=\"{href}\"{current}>{}</a></li>", escape(label))
    })
    .collect::<String>();
    format!(
        "<nav aria-label=\"{nav}\"><ul class=\"nav\">{links}</ul></nav>\n\
         <div class=\"who\"><span>{who}</span>\n{form}{button}</form></div>\n",
        nav = escape(t.navigation),
        who = escape(&fill(t.signed_in_as, admin)),
        form = form_open("/console/logout", csrf),
        button = button(t.sign_out, "secondary"),
    )
}

/// The GET page of a section, where the language switch returns after a POST.
fn section_page(section: Section) -> &'static str {
    match section {
        Section::Dashboard => "/console/dashboard",
        Section::Clients => "/console/clients",
        Section::Citizens => "/console/citizens",
        Section::Keys => "/console/keys",
        Section::Audit => "/console/audit",
        Section::SignIn => "/console/login",
    }
}

fn language_switch(current: Locale, path: &str, section: Section) -> String {
    let path = if path.is_empty() {
        section_page(section)
    } else {
        path
    };
    let link = |locale: Locale, name: &str| {
        let mark = if locale == current {
            " aria-current=\"true\""
        } else {
            ""
        };
        let code = locale.as_str();
        format!(
            "<li><a href=\"/console/lang/{code}?back={back}\" hreflang=\"{code}\" \
             lang=\"{code}\"{mark}>{name}</a></li>",
            back = escape(&encode(path)),
        )
    };
    format!(
        "<nav aria-label=\"{}\"><ul class=\"lang\">{}{}</ul></nav>\n",
        escape(current.texts().language),
        link(Locale::Mn, "Монгол"),
        link(Locale::En, "English"),
    )
}

/// `<form method="post">` with the CSRF token as its first field.
pub(crate) fn form_open(action: &str, csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\">\n{}",
        escape(action),
        hidden("csrf", csrf)
    )
}

/// A hidden input.
pub(crate) fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
        escape(name),
        escape(value)
    )
}

/// A submit button with a class (`""`, `secondary`, `danger`).
pub(crate) fn button(label: &str, class: &str) -> String {
    format!(
        "<button type=\"submit\" class=\"btn {class}\">{}</button>\n",
        escape(label)
    )
}

/// A status message, announced politely.
pub(crate) fn notice(text: &str) -> String {
    format!("<p class=\"notice\" role=\"status\">{}</p>\n", escape(text))
}

/// The error summary at the top of a page, linking to the field at fault when there is one.
pub(crate) fn error_summary(t: &Texts, message: &str, field: Option<&str>) -> String {
    let item = match field {
        Some(field) => format!("<a href=\"#f-{}\">{}</a>", escape(field), escape(message)),
        None => escape(message),
    };
    format!(
        "<div class=\"summary\" role=\"alert\">\n<h2>{}</h2>\n<ul><li>{item}</li></ul>\n</div>\n",
        escape(t.error_summary)
    )
}

/// What kind of input a field is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Input<'a> {
    /// One line of text, with literal extra attributes (never user data).
    Text(&'static str),
    /// Several lines.
    Lines,
    /// A password-like field (never echoed back).
    Secret,
    /// One choice of several (value, label).
    Select(&'a [(&'a str, &'a str)]),
}

/// A labelled field with its hint and error.
pub(crate) struct Field<'a> {
    /// The form parameter (the element id is `f-<name>`).
    pub name: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
    pub value: &'a str,
    pub error: Option<&'a str>,
    pub input: Input<'a>,
}

impl Field<'_> {
    /// The field as HTML.
    pub(crate) fn render(&self, t: &Texts) -> String {
        self.render_as(t, &format!("f-{}", self.name))
    }

    /// The field with its own element id (when a page has several forms with the same field).
    pub(crate) fn render_as(&self, t: &Texts, id: &str) -> String {
        let id = escape(id);
        let mut described = Vec::new();
        let hint = self.hint.map_or_else(String::new, |hint| {
            described.push(format!("{id}-hint"));
            format!("<p class=\"hint\" id=\"{id}-hint\">{}</p>\n", escape(hint))
        });
        let error = self.error.map_or_else(String::new, |error| {
            described.push(format!("{id}-error"));
            format!(
                "<p class=\"field-error\" id=\"{id}-error\"><span class=\"vh\">{}</span>{}</p>\n",
                escape(t.error_prefix),
                escape(error)
            )
        });
        let mut attrs = String::new();
        if !described.is_empty() {
            attrs.push_str(&format!(" aria-describedby=\"{}\"", described.join(" ")));
        }
        if self.error.is_some() {
            attrs.push_str(" aria-invalid=\"true\"");
        }
        let name = escape(self.name);
        let control = match self.input {
            Input::Text(extra) => format!(
                "<input class=\"input\" id=\"{id}\" name=\"{name}\" type=\"text\" value=\"{}\"{attrs} {extra}>",
                escape(self.value)
            ),
            Input::Secret => format!(
                "<input class=\"input\" id=\"{id}\" name=\"{name}\" type=\"password\" \
                 autocomplete=\"off\" spellcheck=\"false\"{attrs}>"
            ),
            Input::Lines => format!(
                "<textarea class=\"input\" id=\"{id}\" name=\"{name}\" rows=\"3\" \
                 spellcheck=\"false\"{attrs}>{}</textarea>",
                escape(self.value)
            ),
            Input::Select(options) => {
                let options = options
                    .iter()
                    .map(|(value, label)| {
                        let selected = if *value == self.value {
                            " selected"
                        } else {
                            ""
                        };
                        format!(
                            "<option value=\"{}\"{selected}>{}</option>",
                            escape(value),
                            escape(label)
                        )
                    })
                    .collect::<String>();
                format!(
                    "<select class=\"input\" id=\"{id}\" name=\"{name}\"{attrs}>{options}</select>"
                )
            }
        };
        format!(
            "<div class=\"field\">\n<label for=\"{id}\">{}</label>\n{hint}{error}{control}\n</div>\n",
            escape(self.label)
        )
    }
}

/// A group of checkboxes (`name` repeated once per checked value) in a fieldset.
pub(crate) fn checkboxes(
    name: &str,
    legend: &str,
    options: &[(String, String)],
    checked: &[String],
    error: Option<(&Texts, &str)>,
) -> String {
    let id = format!("f-{}", escape(name));
    let invalid = if error.is_some() {
        format!(" aria-describedby=\"{id}-error\" aria-invalid=\"true\"")
    } else {
        String::new()
    };
    let error = error.map_or_else(String::new, |(t, message)| {
        format!(
            "<p class=\"field-error\" id=\"{id}-error\"><span class=\"vh\">{}</span>{}</p>\n",
            escape(t.error_prefix),
            escape(message)
        )
    });
    let boxes = options
        .iter()
        .enumerate()
        .map(|(i, (value, label))| {
            let on = if checked.contains(value) {
                " checked"
            } else {
                ""
            };
            // The first box carries the group's id, so the error summary can link to it.
            let box_id = if i == 0 {
                id.clone()
            } else {
                format!("{id}-{i}")
            };
            format!(
                "<div class=\"check\"><input type=\"checkbox\" id=\"{box_id}\" name=\"{}\" \
                 value=\"{}\"{on}{invalid}><label for=\"{box_id}\">{}</label></div>\n",
                escape(name),
                escape(value),
                escape(label)
            )
        })
        .collect::<String>();
    format!(
        "<fieldset class=\"field\">\n<legend>{}</legend>\n{error}{boxes}</fieldset>\n",
        escape(legend)
    )
}

/// One checkbox with its label.
pub(crate) fn checkbox(name: &str, label: &str, on: bool) -> String {
    let on = if on { " checked" } else { "" };
    format!(
        "<div class=\"check field\"><input type=\"checkbox\" id=\"f-{n}\" name=\"{n}\" \
         value=\"true\"{on}><label for=\"f-{n}\">{}</label></div>\n",
        escape(label),
        n = escape(name),
    )
}

/// A table with a caption, column headings and rows of cells (already HTML).
pub(crate) fn table(caption: &str, headings: &[&str], rows: &[Vec<String>]) -> String {
    let head = headings
        .iter()
        .map(|h| format!("<th scope=\"col\">{}</th>", escape(h)))
        .collect::<String>();
    let body = rows
        .iter()
        .map(|row| {
            format!(
                "<tr>{}</tr>\n",
                row.iter()
                    .map(|c| format!("<td>{c}</td>"))
                    .collect::<String>()
            )
        })
        .collect::<String>();
    format!(
        "<div class=\"table\"><table>\n<caption>{}</caption>\n<thead><tr>{head}</tr></thead>\n\
         <tbody>\n{body}</tbody>\n</table></div>\n",
        escape(caption)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_content_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            encode("/console/clients?a=b c"),
            "%2Fconsole%2Fclients%3Fa%3Db+c"
        );
    }

    #[test]
    fn a_field_in_error_is_tied_to_its_message() {
        let t = Locale::En.texts();
        let html = Field {
            name: "redirect_uris",
            label: "Redirect",
            hint: Some("one per line"),
            value: "http://x\"><script>",
            error: Some("must be https"),
            input: Input::Lines,
        }
        .render(t);
        assert!(html.contains("aria-describedby=\"f-redirect_uris-hint f-redirect_uris-error\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("http://x&quot;&gt;&lt;script&gt;"));
        assert!(!html.contains("<script>"));
    }
}
