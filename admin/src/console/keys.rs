//! Signing keys: their states, rotation of one algorithm now, and the withdrawal of a retired
//! key at once, with a reason.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::html::{Field, Input, Section, button, encode, escape, notice, table};
use super::texts::fill;
use super::{Console, Signed};
use crate::model::KeyView;
use crate::roles::Permission;

#[handler]
pub(crate) async fn index(request: &Request, console: Data<&Arc<Console>>) -> Response {
    let signed = match console.signed_in(request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    match console.desk.list_keys(&signed.who).await {
        Ok(keys) => page(&signed, &keys, None),
        Err(failure) => signed.failure(Section::Keys, &failure),
    }
}

fn page(signed: &Signed, keys: &[KeyView], message: Option<&str>) -> Response {
    let t = signed.locale.texts();
    // What this role may not do is not offered.
    let may_change = signed.who.role.may(Permission::WriteKeys);
    let mut body = message.map(notice).unwrap_or_default();
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let withdrawal = if k.state == "retired" && may_change {
                let mut form = signed.form(&format!("/console/keys/{}/withdraw", encode(&k.kid)));
                form.push_str(
                    &Field {
                        name: "reason",
                        label: t.reason,
                        hint: Some(t.withdraw_hint),
                        value: "",
                        error: None,
                        input: Input::Text("maxlength=\"500\""),
                    }
                    .render_as(t, &format!("f-reason-{}", k.kid)),
                );
                form.push_str(&button(t.withdraw, "danger"));
                form.push_str("</form>");
                form
            } else {
                String::new()
            };
            vec![
                format!("<code>{}</code>", escape(&k.kid)),
                escape(&k.algorithm),
                escape(&k.state),
                escape(&k.created_at),
                withdrawal,
            ]
        })
        .collect();
    body.push_str(&table(
        t.keys,
        &[t.kid, t.algorithm, t.state, t.created, ""],
        &rows,
    ));
    let mut algorithms: Vec<&str> = keys.iter().map(|k| k.algorithm.as_str()).collect();
    algorithms.sort_unstable();
    algorithms.dedup();
    if !may_change {
        algorithms.clear();
    }
    body.push_str("<div class=\"actions\">\n");
    for algorithm in algorithms {
        body.push_str(&signed.form(&format!("/console/keys/{}/rotate", encode(algorithm))));
        body.push_str(&button(&fill(t.rotate_key, algorithm), "secondary"));
        body.push_str("</form>\n");
    }
    body.push_str("</div>\n");
    signed.page(StatusCode::OK, Section::Keys, t.keys, body)
}

#[handler]
pub(crate) async fn rotate(
    request: &Request,
    algorithm: Path<String>,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, _) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    match console.desk.rotate_key(&signed.who, &algorithm).await {
        Ok(keys) => page(&signed, &keys, Some(signed.locale.texts().saved)),
        Err(failure) => signed.failure(Section::Keys, &failure),
    }
}

#[handler]
pub(crate) async fn withdraw(
    request: &Request,
    kid: Path<String>,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, form) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    match console
        .desk
        .withdraw_key(&signed.who, &kid, form.one("reason"))
        .await
    {
        Ok(keys) => page(&signed, &keys, Some(signed.locale.texts().saved)),
        Err(failure) => signed.failure(Section::Keys, &failure),
    }
}
