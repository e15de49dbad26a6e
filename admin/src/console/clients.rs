//! E-services: the list (paged, filtered by status), a client's page (settings, secret
//! rotation, disable and enable, the restricted scope), registration and editing. A refused
//! form comes back with everything as it was typed and the field at fault marked.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::html::{
    Field, Input, Section, button, checkbox, checkboxes, encode, error_summary, escape, hidden,
    notice, table,
};
use super::texts::{Texts, fill};
use super::{Console, Form, Signed, describe, lines, redirect};
use crate::model::{ClientInput, ClientSettings, ClientView, ScopeView};
use crate::problem::Failure;
use crate::roles::Permission;

const PAGE: u32 = 50;
/// The fields of the registration form, as the API names them.
const FORM_FIELDS: [&str; 14] = [
    "client_id",
    "name_mn",
    "name_en",
    "redirect_uris",
    "post_logout_redirect_uris",
    "scopes",
    "grant_types",
    "auth_method",
    "subject_type",
    "sector_identifier",
    "jwks_uri",
    "jwks",
    "audiences",
    "backchannel_logout_uri",
];
const GRANTS: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];
const METHODS: [(&str, &str); 4] = [
    ("client_secret_basic", "client_secret_basic"),
    ("client_secret_post", "client_secret_post"),
    ("private_key_jwt", "private_key_jwt"),
    ("none", "none (public client, PKCE)"),
];

fn query(request: &Request, name: &str) -> Option<String> {
    request.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .filter(|v| !v.is_empty())
    })
}

fn status_cell(t: &Texts, enabled: bool) -> String {
    if enabled {
        escape(t.enabled)
    } else {
        format!(
            "<span class=\"status-disabled\">{}</span>",
            escape(t.disabled)
        )
    }
}

#[handler]
pub(crate) async fn index(request: &Request, console: Data<&Arc<Console>>) -> Response {
    let signed = match console.signed_in(request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let t = signed.locale.texts();
    let enabled = query(request, "enabled").and_then(|v| v.parse::<bool>().ok());
    let after = query(request, "after");
    let page = match console
        .desk
        .list_clients(&signed.who, after, PAGE, enabled)
        .await
    {
        Ok(page) => page,
        Err(failure) => return signed.failure(Section::Clients, &failure),
    };
    let mut body = String::new();
    if signed.who.role.may(Permission::WriteClients) {
        body.push_str(&format!(
            "<p><a class=\"btn\" href=\"/console/clients/new\">{}</a></p>\n",
            escape(t.register_client)
        ));
    }
    body.push_str("<form method=\"get\" action=\"/console/clients\" class=\"actions\">\n");
    let current = enabled.map(|e| e.to_string()).unwrap_or_default();
    let options = [("", t.all), ("true", t.enabled), ("false", t.disabled)];
    body.push_str(
        &Field {
            name: "enabled",
            label: t.show,
            hint: None,
            value: &current,
            error: None,
            input: Input::Select(&options),
        }
        .render(t),
    );
    body.push_str(&button(t.show, "secondary"));
    body.push_str("</form>\n");
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|c| {
            vec![
                format!(
                    "<a href=\"/console/clients/{}\">{}</a>",
                    escape(&encode(&c.client_id)),
                    escape(&c.client_id)
                ),
                escape(if signed.locale == super::texts::Locale::En {
                    &c.name_en
                } else {
                    &c.name_mn
                }),
                escape(&c.auth_method),
                status_cell(t, c.enabled),
            ]
        })
        .collect();
    if rows.is_empty() {
        body.push_str(&format!("<p>{}</p>\n", escape(t.no_data)));
    } else {
        body.push_str(&table(
            t.clients,
            &[t.client_id, t.name, t.auth_method, t.status],
            &rows,
        ));
    }
    if let Some(next) = page.next_cursor {
        let filter = enabled.map(|e| format!("&enabled={e}")).unwrap_or_default();
        body.push_str(&format!(
            "<p><a href=\"/console/clients?after={}{filter}\" rel=\"next\">{}</a></p>\n",
            escape(&encode(&next)),
            escape(t.next_page)
        ));
    }
    signed.page(StatusCode::OK, Section::Clients, t.clients, body)
}

/// The values of the registration form, as typed.
#[derive(Default)]
struct Draft {
    client_id: String,
    name_mn: String,
    name_en: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    scopes: Vec<String>,
    other_scopes: String,
    grant_types: Vec<String>,
    auth_method: String,
    subject_type: String,
    sector_identifier: String,
    jwks_uri: String,
    jwks: String,
    audiences: String,
    backchannel_logout_uri: String,
    require_par: bool,
    skip_consent: bool,
}

impl Draft {
    fn fresh() -> Self {
        Self {
            scopes: vec!["openid".to_owned()],
            grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
            auth_method: "client_secret_basic".to_owned(),
            subject_type: "pairwise".to_owned(),
            ..Self::default()
        }
    }

    fn of(client: &ClientView, catalogue: &[ScopeView]) -> Self {
        let known = |s: &String| catalogue.iter().any(|c| &c.name == s);
        Self {
            client_id: client.client_id.clone(),
            name_mn: client.name_mn.clone(),
            name_en: client.name_en.clone(),
            redirect_uris: client.redirect_uris.join("\n"),
            post_logout_redirect_uris: client.post_logout_redirect_uris.join("\n"),
            scopes: client.scopes.iter().filter(|s| known(s)).cloned().collect(),
            other_scopes: client
                .scopes
                .iter()
                .filter(|s| !known(s))
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            grant_types: client.grant_types.clone(),
            auth_method: client.auth_method.clone(),
            subject_type: client.subject_type.clone(),
            sector_identifier: client.sector_identifier.clone().unwrap_or_default(),
            jwks_uri: client.jwks_uri.clone().unwrap_or_default(),
            jwks: client
                .jwks
                .as_ref()
                .map(|j| j.to_string())
                .unwrap_or_default(),
            audiences: client.audiences.join("\n"),
            backchannel_logout_uri: client.backchannel_logout_uri.clone().unwrap_or_default(),
            require_par: client.require_par,
            skip_consent: client.skip_consent,
        }
    }

    fn read(form: &Form) -> Self {
        Self {
            client_id: form.one("client_id").trim().to_owned(),
            name_mn: form.one("name_mn").trim().to_owned(),
            name_en: form.one("name_en").trim().to_owned(),
            redirect_uris: form.one("redirect_uris").to_owned(),
            post_logout_redirect_uris: form.one("post_logout_redirect_uris").to_owned(),
            scopes: form.all("scopes"),
            other_scopes: form.one("other_scopes").to_owned(),
            grant_types: form.all("grant_types"),
            auth_method: form.one("auth_method").to_owned(),
            subject_type: form.one("subject_type").to_owned(),
            sector_identifier: form.one("sector_identifier").trim().to_owned(),
            jwks_uri: form.one("jwks_uri").trim().to_owned(),
            jwks: form.one("jwks").trim().to_owned(),
            audiences: form.one("audiences").to_owned(),
            backchannel_logout_uri: form.one("backchannel_logout_uri").trim().to_owned(),
            require_par: form.flag("require_par"),
            skip_consent: form.flag("skip_consent"),
        }
    }

    /// The settings to send; a JWKS that is not JSON is refused here, naming its field.
    fn settings(&self, t: &Texts) -> Result<ClientSettings, (String, String)> {
        let optional = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        let jwks = match self.jwks.as_str() {
            "" => None,
            text => Some(
                serde_json::from_str(text)
                    .map_err(|_| ("jwks".to_owned(), t.jwks_invalid.to_owned()))?,
            ),
        };
        let mut scopes = self.scopes.clone();
        scopes.extend(self.other_scopes.split_whitespace().map(str::to_owned));
        Ok(ClientSettings {
            name_mn: self.name_mn.clone(),
            name_en: self.name_en.clone(),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            scopes,
            grant_types: self.grant_types.clone(),
            auth_method: self.auth_method.clone(),
            subject_type: self.subject_type.clone(),
            sector_identifier: optional(&self.sector_identifier),
            jwks_uri: optional(&self.jwks_uri),
            jwks,
            audiences: lines(&self.audiences),
            backchannel_logout_uri: optional(&self.backchannel_logout_uri),
            require_par: self.require_par,
            skip_consent: self.skip_consent,
        })
    }
}

/// The registration or edit form; `error` is (field, message) of a refusal.
fn client_form(
    signed: &Signed,
    action: &str,
    draft: &Draft,
    catalogue: &[ScopeView],
    error: Option<(&str, &str)>,
    new: bool,
) -> String {
    let t = signed.locale.texts();
    let error_of = |field: &str| error.filter(|(f, _)| *f == field).map(|(_, m)| m);
    let mut html = String::new();
    if let Some((field, message)) = error {
        // Linked to its field when the form has it (a rule about the whole registration, or
        // the id on an edit, has none).
        let on_form = FORM_FIELDS.contains(&field) && (new || field != "client_id");
        html.push_str(&error_summary(t, message, on_form.then_some(field)));
    }
    html.push_str(&signed.form(action));
    let text =
        |name: &'static str, label: &'static str, hint: Option<&'static str>, value: &str| {
            Field {
                name,
                label,
                hint,
                value,
                error: error_of(name),
                input: Input::Text("spellcheck=\"false\""),
            }
            .render(t)
        };
    let area =
        |name: &'static str, label: &'static str, hint: Option<&'static str>, value: &str| {
            Field {
                name,
                label,
                hint,
                value,
                error: error_of(name),
                input: Input::Lines,
            }
            .render(t)
        };
    if new {
        html.push_str(&text(
            "client_id",
            t.client_id,
            Some(t.client_id_hint),
            &draft.client_id,
        ));
    }
    html.push_str(&text("name_mn", t.name_mn, None, &draft.name_mn));
    html.push_str(&text("name_en", t.name_en, None, &draft.name_en));
    html.push_str(&area(
        "redirect_uris",
        t.redirect_uris,
        Some(t.redirect_hint),
        &draft.redirect_uris,
    ));
    html.push_str(&area(
        "post_logout_redirect_uris",
        t.post_logout_uris,
        None,
        &draft.post_logout_redirect_uris,
    ));
    let open: Vec<(String, String)> = catalogue
        .iter()
        .filter(|s| !s.restricted)
        .map(|s| (s.name.clone(), format!("{} — {}", s.name, s.description)))
        .collect();
    html.push_str(&checkboxes(
        "scopes",
        t.scopes,
        &open,
        &draft.scopes,
        error_of("scopes").map(|m| (t, m)),
    ));
    // Restricted scopes held stay as they are: they change only with a reason, below.
    for scope in catalogue.iter().filter(|s| s.restricted) {
        if draft.scopes.contains(&scope.name) {
            html.push_str(&hidden("scopes", &scope.name));
        }
    }
    html.push_str(&text(
        "other_scopes",
        t.api_scopes,
        None,
        &draft.other_scopes,
    ));
    let grants: Vec<(String, String)> = GRANTS
        .iter()
        .map(|g| ((*g).to_owned(), (*g).to_owned()))
        .collect();
    html.push_str(&checkboxes(
        "grant_types",
        t.grant_types,
        &grants,
        &draft.grant_types,
        error_of("grant_types").map(|m| (t, m)),
    ));
    html.push_str(
        &Field {
            name: "auth_method",
            label: t.auth_method,
            hint: None,
            value: &draft.auth_method,
            error: error_of("auth_method"),
            input: Input::Select(&METHODS),
        }
        .render(t),
    );
    html.push_str(
        &Field {
            name: "subject_type",
            label: t.subject_type,
            hint: None,
            value: &draft.subject_type,
            error: error_of("subject_type"),
            input: Input::Select(&[("pairwise", "pairwise"), ("public", "public")]),
        }
        .render(t),
    );
    html.push_str(&text(
        "sector_identifier",
        t.sector_identifier,
        None,
        &draft.sector_identifier,
    ));
    html.push_str(&text("jwks_uri", t.jwks_uri, None, &draft.jwks_uri));
    html.push_str(&area("jwks", t.jwks, None, &draft.jwks));
    html.push_str(&area("audiences", t.audiences, None, &draft.audiences));
    html.push_str(&text(
        "backchannel_logout_uri",
        t.backchannel_uri,
        None,
        &draft.backchannel_logout_uri,
    ));
    html.push_str(&checkbox("require_par", t.require_par, draft.require_par));
    html.push_str(&checkbox(
        "skip_consent",
        t.skip_consent,
        draft.skip_consent,
    ));
    html.push_str(&button(if new { t.register } else { t.save }, ""));
    html.push_str("</form>\n");
    html
}

/// The catalogue, or the page for its failure.
async fn catalogue(console: &Console, signed: &Signed) -> Result<Vec<ScopeView>, Response> {
    console
        .desk
        .scopes(&signed.who)
        .await
        .map_err(|failure| signed.failure(Section::Clients, &failure))
}

/// A client and the scope catalogue (its page and its form show both), or the page for the
/// failure.
async fn client_and_catalogue(
    console: &Console,
    signed: &Signed,
    id: &str,
) -> Result<(ClientView, Vec<ScopeView>), Response> {
    let scopes = catalogue(console, signed).await?;
    let client = console
        .desk
        .get_client(&signed.who, id)
        .await
        .map_err(|failure| signed.failure(Section::Clients, &failure))?;
    Ok((client, scopes))
}

#[handler]
pub(crate) async fn new_form(request: &Request, console: Data<&Arc<Console>>) -> Response {
    let signed = match console.signed_in(request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let t = signed.locale.texts();
    let scopes = match catalogue(&console, &signed).await {
        Ok(scopes) => scopes,
        Err(response) => return response,
    };
    let body = client_form(
        &signed,
        "/console/clients/new",
        &Draft::fresh(),
        &scopes,
        None,
        true,
    );
    signed.page(StatusCode::OK, Section::Clients, t.register_client, body)
}

/// A refused form: 400 for bad input, the failure's own page for anything else.
fn refused(
    signed: &Signed,
    failure: &Failure,
    render: impl FnOnce(&str, &str) -> String,
    heading: &str,
) -> Response {
    let problem = failure.problem();
    match failure.status() {
        400 | 409 => {
            let field = problem.field.clone().unwrap_or_default();
            let message = describe(signed.locale, failure);
            let status = StatusCode::from_u16(failure.status()).unwrap_or(StatusCode::BAD_REQUEST);
            signed.page(status, Section::Clients, heading, render(&field, &message))
        }
        _ => signed.failure(Section::Clients, failure),
    }
}

#[handler]
pub(crate) async fn create(
    request: &Request,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, form) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let t = signed.locale.texts();
    let scopes = match catalogue(&console, &signed).await {
        Ok(scopes) => scopes,
        Err(response) => return response,
    };
    let draft = Draft::read(&form);
    let show = |field: &str, message: &str| {
        client_form(
            &signed,
            "/console/clients/new",
            &draft,
            &scopes,
            Some((field, message)),
            true,
        )
    };
    let settings = match draft.settings(signed.locale.texts()) {
        Ok(settings) => settings,
        Err((field, message)) => {
            return signed.page(
                StatusCode::BAD_REQUEST,
                Section::Clients,
                t.register_client,
                show(&field, &message),
            );
        }
    };
    let input = ClientInput {
        client_id: draft.client_id.clone(),
        settings,
    };
    match console.desk.create_client(&signed.who, input).await {
        Ok(created) => secret_page(
            &signed,
            &created.client,
            created.client_secret.as_deref(),
            None,
        ),
        Err(failure) => refused(&signed, &failure, show, t.register_client),
    }
}

/// The page after a registration, an edit that made a secret, or a rotation: the secret this
/// once, then the client.
fn secret_page(
    signed: &Signed,
    client: &ClientView,
    secret: Option<&str>,
    old_until: Option<&str>,
) -> Response {
    let t = signed.locale.texts();
    let mut body = notice(t.saved);
    if let Some(secret) = secret {
        body.push_str(&format!(
            "<section class=\"card\" aria-labelledby=\"secret-heading\">\n\
             <h2 id=\"secret-heading\">{}</h2>\n<p>{}</p>\n<p><b>{}</b></p>\n\
             <code class=\"secret\" id=\"client-secret\">{}</code>\n",
            escape(t.secret_heading),
            escape(t.secret_text),
            escape(t.secret_label),
            escape(secret)
        ));
        if let Some(until) = old_until {
            body.push_str(&format!(
                "<p>{}</p>\n",
                escape(&fill(t.old_secret_until, until))
            ));
        }
        body.push_str("</section>\n");
    }
    body.push_str(&settings_table(t, client));
    body.push_str(&format!(
        "<p><a href=\"/console/clients/{}\">{}</a></p>\n",
        escape(&encode(&client.client_id)),
        escape(t.back_to_client)
    ));
    signed.page(StatusCode::OK, Section::Clients, &client.client_id, body)
}

fn settings_table(t: &Texts, client: &ClientView) -> String {
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| format!("<code>{}</code>", escape(i)))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let opt = |v: &Option<String>| v.as_deref().map(escape).unwrap_or_default();
    let rows = vec![
        vec![
            escape(t.client_id),
            format!(
                "<code id=\"client-id\">{}</code>",
                escape(&client.client_id)
            ),
        ],
        vec![escape(t.status), status_cell(t, client.enabled)],
        vec![escape(t.name_mn), escape(&client.name_mn)],
        vec![escape(t.name_en), escape(&client.name_en)],
        vec![escape(t.redirect_uris), list(&client.redirect_uris)],
        vec![
            escape(t.post_logout_uris),
            list(&client.post_logout_redirect_uris),
        ],
        vec![escape(t.scopes), list(&client.scopes)],
        vec![escape(t.grant_types), list(&client.grant_types)],
        vec![escape(t.auth_method), escape(&client.auth_method)],
        vec![escape(t.subject_type), escape(&client.subject_type)],
        vec![escape(t.sector_identifier), opt(&client.sector_identifier)],
        vec![escape(t.jwks_uri), opt(&client.jwks_uri)],
        vec![escape(t.audiences), list(&client.audiences)],
        vec![
            escape(t.backchannel_uri),
            opt(&client.backchannel_logout_uri),
        ],
        vec![escape(t.require_par), client.require_par.to_string()],
        vec![escape(t.skip_consent), client.skip_consent.to_string()],
    ];
    table(&client.client_id, &[t.name, ""], &rows)
}

#[handler]
pub(crate) async fn detail(
    request: &Request,
    id: Path<String>,
    console: Data<&Arc<Console>>,
) -> Response {
    let signed = match console.signed_in(request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    match client_and_catalogue(&console, &signed, &id).await {
        Ok((client, scopes)) => detail_page(&signed, &client, &scopes, None, None),
        Err(response) => response,
    }
}

/// An input of the client's page refused: the element id of its field, what was typed and
/// why.
struct PageError<'a> {
    id: &'a str,
    value: &'a str,
    message: &'a str,
}

fn detail_page(
    signed: &Signed,
    client: &ClientView,
    catalogue: &[ScopeView],
    message: Option<&str>,
    error: Option<PageError<'_>>,
) -> Response {
    let t = signed.locale.texts();
    let may = |permission| signed.who.role.may(permission);
    let path = format!("/console/clients/{}", encode(&client.client_id));
    let mut body = String::new();
    if let Some(error) = &error {
        let anchor = error.id.trim_start_matches("f-");
        body.push_str(&error_summary(t, error.message, Some(anchor)));
    }
    body.push_str(&message.map(notice).unwrap_or_default());
    body.push_str(&settings_table(t, client));
    // What this role may not do is not offered.
    if may(Permission::WriteClients) {
        body.push_str("<div class=\"actions\">\n");
        body.push_str(&format!(
            "<a class=\"btn secondary\" href=\"{}/edit\">{}</a>\n",
            escape(&path),
            escape(t.edit)
        ));
        body.push_str(&signed.form(&format!("{path}/enabled")));
        body.push_str(&hidden(
            "enabled",
            if client.enabled { "false" } else { "true" },
        ));
        body.push_str(&if client.enabled {
            button(t.disable, "danger")
        } else {
            button(t.enable, "")
        });
        body.push_str("</form>\n</div>\n");
    }
    let error_for = |id: &str| error.as_ref().filter(|e| e.id == id);
    if may(Permission::WriteClients) && client.auth_method.starts_with("client_secret") {
        let refused = error_for("f-grace_seconds");
        body.push_str(&format!("<h2>{}</h2>\n", escape(t.rotate_secret)));
        body.push_str(&signed.form(&format!("{path}/secret")));
        body.push_str(
            &Field {
                name: "grace_seconds",
                label: t.grace_seconds,
                hint: None,
                value: refused.map_or("86400", |e| e.value),
                error: refused.map(|e| e.message),
                input: Input::Text("inputmode=\"numeric\""),
            }
            .render(t),
        );
        body.push_str(&button(t.rotate_secret, "secondary"));
        body.push_str("</form>\n");
    }
    // The restricted scopes: granted and withdrawn with a reason (security admins).
    let restricted_scopes = catalogue.iter().filter(|s| s.restricted);
    for scope in restricted_scopes.filter(|_| may(Permission::GrantRestricted)) {
        let held = client.scopes.contains(&scope.name);
        let label = fill(
            if held {
                t.withdraw_scope
            } else {
                t.grant_scope
            },
            &format!("{} ({})", scope.name, t.restricted),
        );
        let id = format!("f-reason-{}", scope.name);
        let refused = error_for(&id);
        body.push_str(&format!("<h2>{}</h2>\n", escape(&label)));
        body.push_str(&signed.form(&format!("{path}/restricted")));
        body.push_str(&hidden("scope", &scope.name));
        body.push_str(&hidden("granted", if held { "false" } else { "true" }));
        body.push_str(
            &Field {
                name: "reason",
                label: t.reason,
                hint: Some(t.reason_hint),
                value: refused.map_or("", |e| e.value),
                error: refused.map(|e| e.message),
                input: Input::Text("maxlength=\"500\""),
            }
            .render_as(t, &id),
        );
        body.push_str(&button(&label, if held { "danger" } else { "secondary" }));
        body.push_str("</form>\n");
    }
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    signed.page(status, Section::Clients, &client.client_id, body)
}

#[handler]
pub(crate) async fn edit_form(
    request: &Request,
    id: Path<String>,
    console: Data<&Arc<Console>>,
) -> Response {
    let signed = match console.signed_in(request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let (client, scopes) = match client_and_catalogue(&console, &signed, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let action = format!("/console/clients/{}/edit", encode(&client.client_id));
    let body = client_form(
        &signed,
        &action,
        &Draft::of(&client, &scopes),
        &scopes,
        None,
        false,
    );
    signed.page(StatusCode::OK, Section::Clients, &client.client_id, body)
}

#[handler]
pub(crate) async fn update(
    request: &Request,
    id: Path<String>,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, form) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let scopes = match catalogue(&console, &signed).await {
        Ok(scopes) => scopes,
        Err(response) => return response,
    };
    let draft = Draft::read(&form);
    let action = format!("/console/clients/{}/edit", encode(&id));
    let show = |field: &str, message: &str| {
        client_form(
            &signed,
            &action,
            &draft,
            &scopes,
            Some((field, message)),
            false,
        )
    };
    let settings = match draft.settings(signed.locale.texts()) {
        Ok(settings) => settings,
        Err((field, message)) => {
            return signed.page(
                StatusCode::BAD_REQUEST,
                Section::Clients,
                &id,
                show(&field, &message),
            );
        }
    };
    match console.desk.update_client(&signed.who, &id, settings).await {
        Ok(updated) => match updated.client_secret.as_deref() {
            Some(secret) => secret_page(&signed, &updated.client, Some(secret), None),
            None => detail_page(
                &signed,
                &updated.client,
                &scopes,
                Some(signed.locale.texts().saved),
                None,
            ),
        },
        Err(failure) => refused(&signed, &failure, show, &id),
    }
}

#[handler]
pub(crate) async fn rotate(
    request: &Request,
    id: Path<String>,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, form) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let typed = form.one("grace_seconds").trim();
    let grace = match typed.parse::<u32>() {
        Ok(seconds) if seconds <= 30 * 86_400 => seconds,
        _ => {
            let error = PageError {
                id: "f-grace_seconds",
                value: typed,
                message: signed.locale.texts().grace_invalid,
            };
            return client_page_again(&console, &signed, &id, error).await;
        }
    };
    let rotated = match console.desk.rotate_secret(&signed.who, &id, grace).await {
        Ok(rotated) => rotated,
        Err(failure) => return signed.failure(Section::Clients, &failure),
    };
    match console.desk.get_client(&signed.who, &id).await {
        Ok(client) => secret_page(
            &signed,
            &client,
            Some(&rotated.client_secret),
            Some(&rotated.previous_valid_until),
        ),
        Err(failure) => signed.failure(Section::Clients, &failure),
    }
}

#[handler]
pub(crate) async fn set_enabled(
    request: &Request,
    id: Path<String>,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, form) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let enabled = form.flag("enabled");
    match console
        .desk
        .set_client_enabled(&signed.who, &id, enabled)
        .await
    {
        Ok(_) => redirect(&format!("/console/clients/{}", encode(&id))),
        Err(failure) => signed.failure(Section::Clients, &failure),
    }
}

#[handler]
pub(crate) async fn restricted(
    request: &Request,
    id: Path<String>,
    body: Body,
    console: Data<&Arc<Console>>,
) -> Response {
    let (signed, form) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let scopes = match catalogue(&console, &signed).await {
        Ok(scopes) => scopes,
        Err(response) => return response,
    };
    let granted = form.flag("granted");
    let (scope, reason) = (form.one("scope"), form.one("reason"));
    match console
        .desk
        .set_restricted_scope(&signed.who, &id, scope, granted, reason)
        .await
    {
        Ok(client) => detail_page(
            &signed,
            &client,
            &scopes,
            Some(signed.locale.texts().saved),
            None,
        ),
        Err(failure) if failure.status() == 400 => {
            let message = describe(signed.locale, &failure);
            let field = format!("f-reason-{scope}");
            let error = PageError {
                id: &field,
                value: reason,
                message: &message,
            };
            client_page_again(&console, &signed, &id, error).await
        }
        Err(failure) => signed.failure(Section::Clients, &failure),
    }
}

/// The client's page again, with a refused input in its field.
async fn client_page_again(
    console: &Console,
    signed: &Signed,
    id: &str,
    error: PageError<'_>,
) -> Response {
    match client_and_catalogue(console, signed, id).await {
        Ok((client, scopes)) => detail_page(signed, &client, &scopes, None, Some(error)),
        Err(response) => response,
    }
}
