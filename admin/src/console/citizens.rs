//! Citizens: look-up by registry number with a reason (posted, so the number stays out of
//! URLs and logs; the look-up is audit-logged by the backend), then lock, unlock or end every
//! session, each with its own reason.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::html::{Field, Input, Section, button, encode, error_summary, escape, notice, table};
use super::texts::fill;
use super::{Console, Signed, describe};
use crate::model::CitizenView;
use crate::roles::Permission;

/// The reason field, with its own element id (a page has several forms asking for one).
fn reason_field(signed: &Signed, value: &str, error: Option<&str>, id: &str) -> String {
    let t = signed.locale.texts();
    Field {
        name: "reason",
        label: t.reason,
        hint: Some(t.reason_hint),
        value,
        error,
        input: Input::Text("maxlength=\"500\""),
    }
    .render_as(t, id)
}

/// The look-up form, with what was typed and an error when there is one.
fn lookup_form(signed: &Signed, number: &str, reason: &str, error: Option<(&str, &str)>) -> String {
    let t = signed.locale.texts();
    let error_of = |field: &str| error.filter(|(f, _)| *f == field).map(|(_, m)| m);
    let mut html = String::new();
    if let Some((field, message)) = error {
        let anchor = if field == "reason" {
            "reason"
        } else {
            "registry_number"
        };
        html.push_str(&error_summary(t, message, Some(anchor)));
    }
    html.push_str(&signed.form("/console/citizens"));
    html.push_str(
        &Field {
            name: "registry_number",
            label: t.registry_number,
            hint: Some(t.registry_hint),
            value: number,
            error: error_of("registry_number"),
            input: Input::Text("autocomplete=\"off\" spellcheck=\"false\""),
        }
        .render(t),
    );
    html.push_str(&reason_field(
        signed,
        reason,
        error_of("reason"),
        "f-reason",
    ));
    html.push_str(&button(t.look_up, ""));
    html.push_str("</form>\n");
    html
}

#[handler]
pub(crate) async fn lookup_page(request: &Request, console: Data<&Arc<Console>>) -> Response {
    let signed = match console.signed_in(request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let t = signed.locale.texts();
    let body = if signed.who.role.may(Permission::Citizens) {
        lookup_form(&signed, "", "", None)
    } else {
        // What this role may not do is not offered.
        notice(&fill(t.not_allowed, signed.who.role.as_str()))
    };
    signed.page(StatusCode::OK, Section::Citizens, t.citizens, body)
}

#[handler]
pub(crate) async fn lookup(
    request: &Request,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, form) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let t = signed.locale.texts();
    let (number, reason) = (form.one("registry_number"), form.one("reason"));
    match console
        .desk
        .lookup_citizen(&signed.who, number, reason)
        .await
    {
        Ok(citizen) => citizen_page(&signed, &citizen, None),
        Err(failure) if matches!(failure.status(), 400 | 404) => {
            let field = failure.problem().field.clone().unwrap_or_default();
            let message = describe(signed.locale, &failure);
            let status = StatusCode::from_u16(failure.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let body = lookup_form(&signed, number, reason, Some((&field, &message)));
            signed.page(status, Section::Citizens, t.citizens, body)
        }
        Err(failure) => signed.failure(Section::Citizens, &failure),
    }
}

fn citizen_page(signed: &Signed, citizen: &CitizenView, message: Option<&str>) -> Response {
    let t = signed.locale.texts();
    let mut body = message.map(notice).unwrap_or_default();
    let rows = vec![
        vec![escape(t.registry_number), escape(&citizen.registry_number)],
        vec![
            escape(t.name),
            escape(&format!("{} {}", citizen.family_name, citizen.given_name)),
        ],
        vec![escape(t.birth_date), escape(&citizen.birth_date)],
        vec![
            escape(t.status),
            format!("<b id=\"citizen-status\">{}</b>", escape(&citizen.status)),
        ],
        vec![
            escape(t.phone),
            escape(citizen.phone.as_deref().unwrap_or("—")),
        ],
        vec![
            escape(t.citizen_id),
            format!("<code>{}</code>", escape(&citizen.citizen_id)),
        ],
    ];
    body.push_str(&table(t.citizens, &[t.name, ""], &rows));
    let path = format!("/console/citizens/{}", encode(&citizen.citizen_id));
    let methods: Vec<Vec<String>> = citizen
        .methods
        .iter()
        .map(|m| {
            // An app the citizen added can be removed, with a reason.
            let remove = match &m.id {
                Some(id) if m.removable => {
                    let mut form = signed.form(&format!("{path}/methods/{}/remove", encode(id)));
                    form.push_str(&reason_field(
                        signed,
                        "",
                        None,
                        &format!("f-reason-method-{id}"),
                    ));
                    form.push_str(&button(t.remove, "danger"));
                    form.push_str("</form>");
                    form
                }
                _ => String::new(),
            };
            vec![
                escape(&m.kind),
                escape(&m.level),
                escape(&m.label),
                escape(&m.source),
                remove,
            ]
        })
        .collect();
    body.push_str(&table(
        t.methods,
        &[t.method, t.level, t.label, t.source, ""],
        &methods,
    ));
    let locked = citizen.status == "locked";
    let lock = if locked { "unlock" } else { "lock" };
    for action in [lock, "end-sessions"] {
        body.push_str(&action_form(signed, &path, action, "", None));
    }
    signed.page(StatusCode::OK, Section::Citizens, t.citizens, body)
}

/// The form of one action on a citizen (`lock`, `unlock`, `end-sessions`) with its reason.
fn action_form(
    signed: &Signed,
    path: &str,
    action: &str,
    reason: &str,
    error: Option<&str>,
) -> String {
    let t = signed.locale.texts();
    let (label, class) = match action {
        "lock" => (t.lock, "danger"),
        "unlock" => (t.unlock, ""),
        _ => (t.end_sessions, "secondary"),
    };
    let mut html = format!("<h2>{}</h2>\n", escape(label));
    html.push_str(&signed.form(&format!("{path}/{action}")));
    html.push_str(&reason_field(
        signed,
        reason,
        error,
        &format!("f-reason-{action}"),
    ));
    html.push_str(&button(label, class));
    html.push_str("</form>\n");
    html
}

#[handler]
pub(crate) async fn remove_method(
    request: &Request,
    Path((id, method)): Path<(String, String)>,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, form) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let t = signed.locale.texts();
    match console
        .desk
        .remove_citizen_method(&signed.who, &id, &method, form.one("reason"))
        .await
    {
        Ok(citizen) => citizen_page(&signed, &citizen, Some(t.saved)),
        Err(failure) => signed.failure(Section::Citizens, &failure),
    }
}

#[handler]
pub(crate) async fn act(
    request: &Request,
    Path((id, action)): Path<(String, String)>,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, form) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let t = signed.locale.texts();
    let reason = form.one("reason");
    let desk = &console.desk;
    let done = match action.as_str() {
        "lock" | "unlock" => desk
            .set_citizen_locked(&signed.who, &id, action == "lock", reason)
            .await
            .map(|citizen| {
                let message = fill(t.citizen_changed, &citizen.status);
                citizen_page(&signed, &citizen, Some(&message))
            }),
        "end-sessions" => desk
            .end_citizen_sessions(&signed.who, &id, reason)
            .await
            .map(|()| {
                let body = notice(t.sessions_ended) + &lookup_form(&signed, "", "", None);
                signed.page(StatusCode::OK, Section::Citizens, t.citizens, body)
            }),
        _ => {
            return signed.failure(
                Section::Citizens,
                &crate::problem::AdminFailure::NotFound("no such action".into()).into(),
            );
        }
    };
    done.unwrap_or_else(|failure| {
        if failure.status() != 400 {
            return signed.failure(Section::Citizens, &failure);
        }
        // The reason refused: the same form again, with what was typed.
        let message = describe(signed.locale, &failure);
        let path = format!("/console/citizens/{}", encode(&id));
        let mut body = error_summary(t, &message, Some(&format!("reason-{action}")));
        body.push_str(&action_form(
            &signed,
            &path,
            &action,
            reason,
            Some(&message),
        ));
        signed.page(StatusCode::BAD_REQUEST, Section::Citizens, t.citizens, body)
    })
}
