//! The audit viewer: events oldest first, filtered by time range, actor, e-service, citizen
//! and kind, a page at a time; and the verification of the whole chain.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};

use super::html::{Field, Input, Section, button, encode, error_summary, escape, notice, table};
use super::texts::{Texts, fill};
use super::{Console, Signed};
use crate::model::{AuditPage, AuditQuery};

const PAGE: u32 = 100;
const FILTERS: [&str; 6] = ["from", "until", "actor", "client_id", "citizen_id", "kind"];

/// The filters as typed (query parameters).
struct Filters(Vec<(&'static str, String)>);

impl Filters {
    fn read(request: &Request) -> Self {
        let pairs: Vec<(String, String)> = request
            .uri()
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self(
            FILTERS
                .iter()
                .map(|name| {
                    let value = pairs
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    (*name, value)
                })
                .collect(),
        )
    }

    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The query, or the field at fault and why.
    fn query(&self, t: &Texts) -> Result<AuditQuery, (&'static str, String)> {
        let time = |name: &'static str| -> Result<Option<DateTime<Utc>>, (&'static str, String)> {
            match self.get(name) {
                "" => Ok(None),
                text => DateTime::parse_from_rfc3339(text)
                    .map(|t| Some(t.with_timezone(&Utc)))
                    .map_err(|_| (name, t.time_invalid.to_owned())),
            }
        };
        let text = |name: &str| Some(self.get(name).to_owned()).filter(|v| !v.is_empty());
        let citizen_id = match self.get("citizen_id") {
            "" => None,
            id => Some(
                uuid::Uuid::parse_str(id).map_err(|_| ("citizen_id", t.uuid_invalid.to_owned()))?,
            ),
        };
        Ok(AuditQuery {
            from: time("from")?,
            until: time("until")?,
            actor: text("actor"),
            citizen_id,
            client_id: text("client_id"),
            kind: text("kind"),
        })
    }

    /// The filters as a query string (without `?`).
    fn encoded(&self) -> String {
        self.0
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn filter_form(signed: &Signed, filters: &Filters, error: Option<(&str, &str)>) -> String {
    let t = signed.locale.texts();
    let mut html = String::new();
    if let Some((field, message)) = error {
        html.push_str(&error_summary(t, message, Some(field)));
    }
    html.push_str("<form method=\"get\" action=\"/console/audit\" class=\"card\">\n");
    for (name, label, hint) in [
        ("from", t.from, Some(t.date_hint)),
        ("until", t.until, Some(t.date_hint)),
        (
            "actor",
            t.actor,
            Some("admin:<name>, client:<id>, citizen:<id>, system"),
        ),
        ("client_id", t.client, None),
        ("citizen_id", t.citizen_id, None),
        (
            "kind",
            t.kind,
            Some("login.succeeded, login.failed, admin.action, …"),
        ),
    ] {
        html.push_str(
            &Field {
                name,
                label,
                hint,
                value: filters.get(name),
                error: error.filter(|(f, _)| *f == name).map(|(_, m)| m),
                input: Input::Text("spellcheck=\"false\""),
            }
            .render(t),
        );
    }
    html.push_str(&button(t.filter, ""));
    html.push_str("</form>\n");
    html.push_str(&format!(
        "<p><a href=\"/console/audit/verify\">{}</a></p>\n",
        escape(t.verify_chain)
    ));
    html
}

fn events(signed: &Signed, page: &AuditPage, filters: &Filters) -> String {
    let t = signed.locale.texts();
    if page.items.is_empty() {
        return format!("<p>{}</p>\n", escape(t.no_data));
    }
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                escape(&e.at),
                format!("<code>{}</code>", escape(&e.kind)),
                escape(&e.actor),
                escape(e.client_id.as_deref().unwrap_or("")),
                format!("<code>{}</code>", escape(&e.detail.to_string())),
            ]
        })
        .collect();
    let mut html = table(
        t.audit,
        &["#", t.at, t.kind, t.actor, t.client, t.detail],
        &rows,
    );
    if let Some(next) = page.next_cursor {
        let filters = filters.encoded();
        let sep = if filters.is_empty() { "" } else { "&" };
        html.push_str(&format!(
            "<p><a href=\"/console/audit?{}{sep}after={next}\" rel=\"next\">{}</a></p>\n",
            escape(&filters),
            escape(t.next_page)
        ));
    }
    html
}

#[handler]
pub(crate) async fn index(request: &Request, console: Data<&Arc<Console>>) -> Response {
    let signed = match console.signed_in(request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let t = signed.locale.texts();
    let filters = Filters::read(request);
    let query = match filters.query(t) {
        Ok(query) => query,
        Err((field, message)) => {
            let body = filter_form(&signed, &filters, Some((field, &message)));
            return signed.page(StatusCode::BAD_REQUEST, Section::Audit, t.audit, body);
        }
    };
    let after = request
        .uri()
        .query()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "after")
                .and_then(|(_, v)| v.parse::<i64>().ok())
        })
        .unwrap_or(0);
    match console
        .desk
        .audit_events(&signed.who, query, after, PAGE)
        .await
    {
        Ok(page) => {
            let body = filter_form(&signed, &filters, None) + &events(&signed, &page, &filters);
            signed.page(StatusCode::OK, Section::Audit, t.audit, body)
        }
        Err(failure) if failure.status() == 400 => {
            let field = failure.problem().field.clone().unwrap_or_default();
            let field = FILTERS
                .iter()
                .find(|f| **f == field)
                .copied()
                .unwrap_or("kind");
            let message = super::describe(signed.locale, &failure);
            let body = filter_form(&signed, &filters, Some((field, &message)));
            signed.page(StatusCode::BAD_REQUEST, Section::Audit, t.audit, body)
        }
        Err(failure) => signed.failure(Section::Audit, &failure),
    }
}

#[handler]
pub(crate) async fn verify(request: &Request, console: Data<&Arc<Console>>) -> Response {
    let signed = match console.signed_in(request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let t = signed.locale.texts();
    match console.desk.verify_audit(&signed.who).await {
        Ok(report) => {
            let mut body = if report.intact {
                notice(&fill(t.chain_intact, &report.events.to_string()))
            } else {
                let at = report
                    .first_broken
                    .map(|seq| format!("#{seq} "))
                    .unwrap_or_default();
                let why = format!("{at}{}", report.reason.unwrap_or_default());
                error_summary(t, &fill(t.chain_broken, &why), None)
            };
            body.push_str(&format!(
                "<p><a href=\"/console/audit\">{}</a></p>\n",
                escape(t.audit)
            ));
            let status = if report.intact {
                StatusCode::OK
            } else {
                StatusCode::CONFLICT
            };
            signed.page(status, Section::Audit, t.verify_chain, body)
        }
        Err(failure) => signed.failure(Section::Audit, &failure),
    }
}
