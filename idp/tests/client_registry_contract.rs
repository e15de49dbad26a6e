//! The contract of `ClientRegistry`, run on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use idp::clients::{
    AuthMethod, Client, ClientId, ClientRegistry, ClientSecret, GrantType, RedirectUri, SubjectType,
};
use idp::database::Database;

fn client(id: &str) -> Client {
    Client {
        id: ClientId::parse(id).unwrap(),
        name_mn: "Татварын алба".to_owned(),
        name_en: "Tax office".to_owned(),
        redirect_uris: vec![RedirectUri::parse("https://tax.gov.mn/callback").unwrap()],
        post_logout_redirect_uris: vec![RedirectUri::parse("https://tax.gov.mn/").unwrap()],
        allowed_scopes: vec!["openid".to_owned(), "profile".to_owned()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        auth_method: AuthMethod::ClientSecretBasic,
        secret_hash: Some(ClientSecret::generate().unwrap().hash()),
        subject_type: SubjectType::Pairwise,
        sector_identifier: None,
        jwks_uri: None,
        jwks: None,
        id_token_signing_alg: None,
        audiences: Vec::new(),
        backchannel_logout_uri: Some("https://tax.gov.mn/backchannel".to_owned()),
        require_par: true,
        skip_consent: false,
        enabled: true,
        previous_secret: None,
        revision: 0,
    }
}

async fn a_registered_client_is_found_listed_and_deleted(db: Database) {
    let registry = db.clients();
    let tax = client("tax-office");
    let land = client("land-registry");
    assert!(registry.create(&tax).await.unwrap());
    assert!(registry.create(&land).await.unwrap());
    assert_eq!(registry.find(&tax.id).await.unwrap(), Some(tax.clone()));
    let ids: Vec<String> = registry
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(ids, ["land-registry", "tax-office"]);
    assert!(registry.delete(&tax.id).await.unwrap());
    assert!(!registry.delete(&tax.id).await.unwrap());
    assert_eq!(registry.find(&tax.id).await.unwrap(), None);
}

async fn a_taken_id_is_refused_and_the_first_registration_kept(db: Database) {
    let registry = db.clients();
    let first = client("tax-office");
    assert!(registry.create(&first).await.unwrap());
    let mut second = client("tax-office");
    second.name_en = "Impostor".to_owned();
    assert!(!registry.create(&second).await.unwrap());
    assert_eq!(
        registry.find(&first.id).await.unwrap().unwrap().name_en,
        "Tax office"
    );
}

async fn a_stored_secret_hash_verifies_the_secret(db: Database) {
    let registry = db.clients();
    let secret = ClientSecret::generate().unwrap();
    let mut registered = client("tax-office");
    registered.secret_hash = Some(secret.hash());
    registry.create(&registered).await.unwrap();
    let stored = registry.find(&registered.id).await.unwrap().unwrap();
    let hash = stored.secret_hash.unwrap();
    assert!(hash.verify(&ClientSecret::from_presented(secret.expose())));
    assert!(!hash.verify(&ClientSecret::from_presented("guess")));
}

async fn a_disabled_client_is_kept_and_reported_disabled(db: Database) {
    let registry = db.clients();
    let tax = client("tax-office");
    registry.create(&tax).await.unwrap();
    assert!(registry.set_enabled(&tax.id, false).await.unwrap());
    assert!(!registry.find(&tax.id).await.unwrap().unwrap().enabled);
    assert!(registry.set_enabled(&tax.id, true).await.unwrap());
    assert!(registry.find(&tax.id).await.unwrap().unwrap().enabled);
    let unknown = ClientId::parse("nobody").unwrap();
    assert!(!registry.set_enabled(&unknown, false).await.unwrap());
}

async fn a_change_from_a_stale_revision_is_refused_and_nothing_lost(db: Database) {
    let registry = db.clients();
    registry.create(&client("tax-office")).await.unwrap();
    let read_by_one = registry
        .find(&ClientId::parse("tax-office").unwrap())
        .await
        .unwrap()
        .unwrap();
    let read_by_two = read_by_one.clone();
    let mut first = read_by_one;
    first.name_en = "Tax office (new)".to_owned();
    assert!(registry.replace(&first).await.unwrap());
    let mut second = read_by_two;
    second.name_mn = "Татвар".to_owned();
    assert!(
        !registry.replace(&second).await.unwrap(),
        "made from the revision before the first change"
    );
    let stored = registry.find(&first.id).await.unwrap().unwrap();
    assert_eq!(stored.name_en, "Tax office (new)");
    assert_eq!(
        stored.name_mn, first.name_mn,
        "the refused change wrote nothing"
    );
    assert_eq!(stored.revision, first.revision + 1);
    // A disable is a change too: a copy read before it cannot undo it.
    let before_disable = stored.clone();
    assert!(registry.set_enabled(&stored.id, false).await.unwrap());
    let mut stale = before_disable;
    stale.name_en = "Stale".to_owned();
    assert!(!registry.replace(&stale).await.unwrap());
    let now = registry.find(&stored.id).await.unwrap().unwrap();
    assert!(!now.enabled, "still disabled");
    let mut fresh = now.clone();
    fresh.name_en = "Fresh".to_owned();
    fresh.enabled = true;
    assert!(registry.replace(&fresh).await.unwrap());
    assert!(
        !registry.find(&stored.id).await.unwrap().unwrap().enabled,
        "a settings change never re-enables"
    );
    let mut gone = stored.clone();
    registry.delete(&gone.id).await.unwrap();
    gone.name_en = "x".to_owned();
    assert!(!registry.replace(&gone).await.unwrap());
}

on_both_databases!(
    a_change_from_a_stale_revision_is_refused_and_nothing_lost,
    a_disabled_client_is_kept_and_reported_disabled,
    a_registered_client_is_found_listed_and_deleted,
    a_taken_id_is_refused_and_the_first_registration_kept,
    a_stored_secret_hash_verifies_the_secret,
);
