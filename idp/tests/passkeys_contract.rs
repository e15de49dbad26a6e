//! Passkeys (WebAuthn) on SQLite and on PostgreSQL, driven by webauthn-authenticator-rs's
//! software passkey with user verification: registration, login after the registry number
//! and usernameless login; and the refusals, each leaving storage as it was — a response to
//! another challenge, another origin, another citizen's credential, a replay, a ceremony
//! finished twice or too late, a counter going backwards (also two logins finishing at once),
//! malformed JSON and CBOR, a credential registered twice, no user verification — and rename
//! and remove bound to the citizen.
//!
//! The software passkey makes no discoverable credentials and never returns a user handle;
//! where a test plays the usernameless login, it plays the browser and the authenticator as a
//! discoverable credential would: it names the credential in the options (the authenticator
//! found it) and sets the user handle it was registered with (the handle is not signed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use idp::clock::ManualClock;
use idp::database::Database;
use idp::database::passkeys::entity;
use idp::ephemeral::{EphemeralStore, Key, MemoryStore};
use idp::passkeys::{PasskeyError, PasskeyInfo, PasskeyStore, Passkeys, Refusal, StoredPasskey};
use sea_orm::{EntityTrait, QueryOrder};
use uuid::Uuid;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url,
};
use webauthn_rs_proto::{AllowCredentials, UserVerificationPolicy};

const ORIGIN: &str = "http://localhost:8080";

type Device = WebauthnAuthenticator<SoftPasskey>;

struct Fixture {
    db: Database,
    passkeys: Passkeys,
    ephemeral: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
}

fn fixture(db: Database) -> Fixture {
    let clock = Arc::new(ManualClock::new(
        chrono::Utc
            .timestamp_opt(1_800_000_000, 0)
            .single()
            .unwrap(),
    ));
    let ephemeral = Arc::new(MemoryStore::new(1000, clock.clone()));
    let passkeys = Passkeys::new(
        "localhost",
        "DAN",
        &origin(),
        Arc::new(db.passkeys()),
        ephemeral.clone(),
        clock.clone(),
    )
    .unwrap();
    Fixture {
        db,
        passkeys,
        ephemeral,
        clock,
    }
}

fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

/// A software passkey that verifies the user when asked to.
fn device() -> Device {
    WebauthnAuthenticator::new(SoftPasskey::new(true))
}

fn ceremony() -> String {
    Uuid::new_v4().to_string()
}

/// Every stored passkey row, to show that a refusal changed nothing.
async fn snapshot(db: &Database) -> Vec<entity::Model> {
    entity::Entity::find()
        .order_by_asc(entity::Column::Id)
        .all(db.connection())
        .await
        .unwrap()
}

fn refused(result: Result<impl std::fmt::Debug, PasskeyError>) -> Refusal {
    match result {
        Err(PasskeyError::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn registration_options(f: &Fixture, key: &str, citizen: Uuid) -> CreationChallengeResponse {
    let options = f
        .passkeys
        .start_registration(key, citizen, "dorj", "Дорж")
        .await
        .unwrap();
    serde_json::from_value(options).unwrap()
}

async fn login_options(f: &Fixture, key: &str, citizen: Option<Uuid>) -> RequestChallengeResponse {
    let options = f.passkeys.start_login(key, citizen).await.unwrap();
    serde_json::from_value(options).unwrap()
}

/// Registers a passkey on `device`: what the service says, and the credential id.
async fn register(f: &Fixture, device: &mut Device, citizen: Uuid) -> (PasskeyInfo, Vec<u8>) {
    let key = ceremony();
    let options = registration_options(f, &key, citizen).await;
    let response = device.do_registration(origin(), options).unwrap();
    let raw_id = response.raw_id.to_vec();
    let info = f
        .passkeys
        .finish_registration(&key, citizen, &json(&response), "phone")
        .await
        .unwrap();
    (info, raw_id)
}

/// Answers usernameless options as a discoverable credential `raw_id` of `citizen` would.
fn discover(
    device: &mut Device,
    mut options: RequestChallengeResponse,
    raw_id: &[u8],
    handle: Option<Uuid>,
) -> PublicKeyCredential {
    options.public_key.allow_credentials = vec![allow(raw_id)];
    let mut response = device.do_authentication(origin(), options).unwrap();
    response.response.user_handle = handle.map(|h| h.as_bytes().to_vec().into());
    response
}

fn allow(raw_id: &[u8]) -> AllowCredentials {
    AllowCredentials {
        type_: "public-key".into(),
        id: raw_id.to_vec().into(),
        transports: None,
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

async fn stored_counter(f: &Fixture, id: Uuid) -> i64 {
    entity::Entity::find_by_id(id.to_string())
        .one(f.db.connection())
        .await
        .unwrap()
        .unwrap()
        .counter
}

async fn a_passkey_registers_and_logs_in_after_the_registry_number_and_without_it(db: Database) {
    let f = fixture(db);
    let (dorj, bat) = (Uuid::new_v4(), Uuid::new_v4());
    let mut phone = device();

    // The options ask for user verification and a discoverable credential, no attestation;
    // the user handle is the citizen's UUID.
    let key = ceremony();
    let options = f
        .passkeys
        .start_registration(&key, dorj, "dorj", "Дорж")
        .await
        .unwrap();
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert_eq!(public_key["rp"]["name"], "DAN");
    assert_eq!(public_key["attestation"], "none");
    let selection = &public_key["authenticatorSelection"];
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(selection["residentKey"], "preferred");
    use base64::Engine;
    let user_id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(dorj.as_bytes());
    assert_eq!(public_key["user"]["id"], user_id.as_str());
    let response = phone
        .do_registration(origin(), serde_json::from_value(options).unwrap())
        .unwrap();
    let raw_id = response.raw_id.to_vec();
    // A bad name is refused before the ceremony is taken: the same response still registers.
    assert!(matches!(
        f.passkeys
            .finish_registration(&key, dorj, &json(&response), "  ")
            .await,
        Err(PasskeyError::InvalidName)
    ));
    let info = f
        .passkeys
        .finish_registration(&key, dorj, &json(&response), "  My phone ")
        .await
        .unwrap();
    assert_eq!(info.citizen_id, dorj);
    assert_eq!(info.name, "My phone");
    assert!(!info.backup_eligible, "the soft passkey is not synced");
    assert!(!info.backed_up);
    assert_eq!(info.last_used_at, None);
    assert_eq!(f.passkeys.list(dorj).await.unwrap(), vec![info.clone()]);
    assert!(f.passkeys.list(bat).await.unwrap().is_empty());

    // A second registration excludes the credential the citizen has.
    let again = f
        .passkeys
        .start_registration(&ceremony(), dorj, "dorj", "Дорж")
        .await
        .unwrap();
    let excluded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw_id);
    assert_eq!(
        again["publicKey"]["excludeCredentials"][0]["id"],
        excluded.as_str()
    );

    // After the registry number: the citizen's credentials are the allowed ones.
    let key = ceremony();
    let options = login_options(&f, &key, Some(dorj)).await;
    assert_eq!(options.public_key.allow_credentials.len(), 1);
    assert_eq!(options.public_key.allow_credentials[0].id.to_vec(), raw_id);
    let assertion = phone.do_authentication(origin(), options).unwrap();
    let login = f
        .passkeys
        .finish_login(&key, &json(&assertion))
        .await
        .unwrap();
    assert_eq!(login.citizen_id, dorj);
    assert_eq!(login.passkey_id, info.id);
    assert!(login.user_verified);
    assert!(!login.backup_eligible);
    assert_eq!(stored_counter(&f, info.id).await, 1);
    let listed = f.passkeys.list(dorj).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(f.clock_now()));

    // Usernameless: no allowed credentials, conditional mediation; the user handle names
    // the citizen.
    let key = ceremony();
    let options = f.passkeys.start_login(&key, None).await.unwrap();
    assert_eq!(options["mediation"], "conditional");
    assert_eq!(
        options["publicKey"]["userVerification"], "required",
        "{options}"
    );
    let options: RequestChallengeResponse = serde_json::from_value(options).unwrap();
    assert!(options.public_key.allow_credentials.is_empty());
    let assertion = discover(&mut phone, options, &raw_id, Some(dorj));
    let login = f
        .passkeys
        .finish_login(&key, &json(&assertion))
        .await
        .unwrap();
    assert_eq!(login.citizen_id, dorj);
    assert_eq!(login.passkey_id, info.id);
    assert_eq!(stored_counter(&f, info.id).await, 2);

    // A citizen without passkeys cannot start a login after the registry number.
    assert!(matches!(
        f.passkeys.start_login(&ceremony(), Some(bat)).await,
        Err(PasskeyError::NotFound)
    ));
}

impl Fixture {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use idp::clock::Clock;
        self.clock.now()
    }
}

async fn responses_to_another_challenge_or_origin_or_without_verification_change_nothing(
    db: Database,
) {
    let f = fixture(db);
    let dorj = Uuid::new_v4();
    let mut phone = device();
    register(&f, &mut phone, dorj).await;
    let before = snapshot(&f.db).await;

    // Ceremony A's response finished under ceremony B, for a login and for a registration.
    let (a, b) = (ceremony(), ceremony());
    let options_a = login_options(&f, &a, Some(dorj)).await;
    login_options(&f, &b, Some(dorj)).await;
    let assertion = phone.do_authentication(origin(), options_a).unwrap();
    assert_eq!(
        refused(f.passkeys.finish_login(&b, &json(&assertion)).await),
        Refusal::Challenge
    );
    let (a, b) = (ceremony(), ceremony());
    let options_a = registration_options(&f, &a, dorj).await;
    registration_options(&f, &b, dorj).await;
    let response = phone.do_registration(origin(), options_a).unwrap();
    assert_eq!(
        refused(
            f.passkeys
                .finish_registration(&b, dorj, &json(&response), "phone")
                .await
        ),
        Refusal::Challenge
    );
    // And a registration ceremony does not finish a login, nor the other way round.
    let key = ceremony();
    registration_options(&f, &key, dorj).await;
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::Challenge
    );
    let key = ceremony();
    login_options(&f, &key, Some(dorj)).await;
    assert_eq!(
        refused(
            f.passkeys
                .finish_registration(&key, dorj, &json(&response), "phone")
                .await
        ),
        Refusal::Challenge
    );

    // Another origin: a phishing site relaying our challenge, and another port.
    let evil = Url::parse("https://evil.example").unwrap();
    let key = ceremony();
    let mut options = login_options(&f, &key, Some(dorj)).await;
    options.public_key.rp_id = "evil.example".into();
    let assertion = phone.do_authentication(evil.clone(), options).unwrap();
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::Origin
    );
    let key = ceremony();
    let options = login_options(&f, &key, Some(dorj)).await;
    let other_port = Url::parse("http://localhost:9999").unwrap();
    let assertion = phone.do_authentication(other_port, options).unwrap();
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::Origin
    );
    let key = ceremony();
    let mut options = registration_options(&f, &key, dorj).await;
    options.public_key.rp.id = "evil.example".into();
    let response = phone.do_registration(evil, options).unwrap();
    assert_eq!(
        refused(
            f.passkeys
                .finish_registration(&key, dorj, &json(&response), "phone")
                .await
        ),
        Refusal::Origin
    );

    // No user verification: the authenticator (or a tampering script) ignored the requirement.
    let key = ceremony();
    let mut options = registration_options(&f, &key, dorj).await;
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.user_verification = UserVerificationPolicy::Preferred;
    }
    let response = phone.do_registration(origin(), options).unwrap();
    assert_eq!(
        refused(
            f.passkeys
                .finish_registration(&key, dorj, &json(&response), "phone")
                .await
        ),
        Refusal::UserVerification
    );
    let key = ceremony();
    let mut options = login_options(&f, &key, Some(dorj)).await;
    options.public_key.user_verification = UserVerificationPolicy::Preferred;
    let assertion = phone.do_authentication(origin(), options).unwrap();
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::UserVerification
    );
    // Each refused ceremony is gone.
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::Challenge
    );

    assert_eq!(snapshot(&f.db).await, before, "no refusal changed storage");
}

async fn another_citizens_credential_is_refused(db: Database) {
    let f = fixture(db);
    let (dorj, bat) = (Uuid::new_v4(), Uuid::new_v4());
    let (mut dorj_phone, mut bat_phone) = (device(), device());
    let (_, dorj_credential) = register(&f, &mut dorj_phone, dorj).await;
    register(&f, &mut bat_phone, bat).await;
    let before = snapshot(&f.db).await;

    // A login for Bat, answered with Dorj's passkey (a script swapped the allowed credential).
    let key = ceremony();
    let mut options = login_options(&f, &key, Some(bat)).await;
    options.public_key.allow_credentials = vec![allow(&dorj_credential)];
    let assertion = dorj_phone.do_authentication(origin(), options).unwrap();
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::OtherCitizen
    );
    // The same with a user handle claiming Bat.
    let key = ceremony();
    let mut options = login_options(&f, &key, Some(bat)).await;
    options.public_key.allow_credentials = vec![allow(&dorj_credential)];
    let mut assertion = dorj_phone.do_authentication(origin(), options).unwrap();
    assertion.response.user_handle = Some(bat.as_bytes().to_vec().into());
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::OtherCitizen
    );
    // A login for Dorj whose user handle names Bat.
    let key = ceremony();
    let options = login_options(&f, &key, Some(dorj)).await;
    let mut assertion = dorj_phone.do_authentication(origin(), options).unwrap();
    assertion.response.user_handle = Some(bat.as_bytes().to_vec().into());
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::OtherCitizen
    );

    // Usernameless: Dorj's passkey with Bat's user handle, and with none.
    let key = ceremony();
    let options = login_options(&f, &key, None).await;
    let assertion = discover(&mut dorj_phone, options, &dorj_credential, Some(bat));
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::OtherCitizen
    );
    let key = ceremony();
    let options = login_options(&f, &key, None).await;
    let assertion = discover(&mut dorj_phone, options, &dorj_credential, None);
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::Malformed
    );

    // A credential nobody registered.
    let mut stranger = device();
    let mut strangers_options = registration_options(&f, &ceremony(), Uuid::new_v4()).await;
    strangers_options.public_key.exclude_credentials = None;
    let unregistered = stranger
        .do_registration(origin(), strangers_options)
        .unwrap()
        .raw_id
        .to_vec();
    let key = ceremony();
    let options = login_options(&f, &key, None).await;
    let assertion = discover(&mut stranger, options, &unregistered, Some(dorj));
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::UnknownCredential
    );

    assert_eq!(snapshot(&f.db).await, before, "no refusal changed storage");
}

async fn replays_and_counters_going_backwards_are_refused(db: Database) {
    let f = fixture(db);
    let dorj = Uuid::new_v4();
    let mut phone = device();
    let (info, raw_id) = register(&f, &mut phone, dorj).await;

    // A login, then its response again: under the same ceremony and under a new one.
    let key = ceremony();
    let options = login_options(&f, &key, Some(dorj)).await;
    let first = phone.do_authentication(origin(), options).unwrap();
    f.passkeys.finish_login(&key, &json(&first)).await.unwrap();
    let before = snapshot(&f.db).await;
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&first)).await),
        Refusal::Challenge
    );
    let key = ceremony();
    login_options(&f, &key, Some(dorj)).await;
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&first)).await),
        Refusal::Challenge
    );
    // Under a usernameless ceremony, with the user handle a discoverable credential sends.
    let mut with_handle = first.clone();
    with_handle.response.user_handle = Some(dorj.as_bytes().to_vec().into());
    let key = ceremony();
    login_options(&f, &key, None).await;
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&with_handle)).await),
        Refusal::Challenge
    );
    // A ceremony past its five minutes.
    let key = ceremony();
    let options = login_options(&f, &key, Some(dorj)).await;
    let late = phone.do_authentication(origin(), options).unwrap();
    f.clock.advance(Duration::from_secs(5 * 60 + 1));
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&late)).await),
        Refusal::Challenge
    );
    assert_eq!(snapshot(&f.db).await, before, "no refusal changed storage");

    // A counter going backwards, after the registry number: two ceremonies, signed in order,
    // finished in the other order. The older assertion's counter is above the one in its
    // ceremony's copy of the credential, but not above the stored one.
    let (older, newer) = (ceremony(), ceremony());
    let options_older = login_options(&f, &older, Some(dorj)).await;
    let options_newer = login_options(&f, &newer, Some(dorj)).await;
    let signed_first = phone.do_authentication(origin(), options_older).unwrap();
    let signed_second = phone.do_authentication(origin(), options_newer).unwrap();
    f.passkeys
        .finish_login(&newer, &json(&signed_second))
        .await
        .unwrap();
    let before = snapshot(&f.db).await;
    assert_eq!(
        refused(f.passkeys.finish_login(&older, &json(&signed_first)).await),
        Refusal::Counter
    );
    assert_eq!(snapshot(&f.db).await, before);
    // And usernameless.
    let (older, newer) = (ceremony(), ceremony());
    let options_older = login_options(&f, &older, None).await;
    let options_newer = login_options(&f, &newer, None).await;
    let signed_first = discover(&mut phone, options_older, &raw_id, Some(dorj));
    let signed_second = discover(&mut phone, options_newer, &raw_id, Some(dorj));
    f.passkeys
        .finish_login(&newer, &json(&signed_second))
        .await
        .unwrap();
    let before = snapshot(&f.db).await;
    assert_eq!(
        refused(f.passkeys.finish_login(&older, &json(&signed_first)).await),
        Refusal::Counter
    );
    assert_eq!(snapshot(&f.db).await, before);

    // One assertion finished under two copies of its ceremony at the same instant (as if the
    // state had been duplicated): one login wins.
    let key = ceremony();
    let options = login_options(&f, &key, Some(dorj)).await;
    let copy = ceremony();
    let state = f
        .ephemeral
        .get(&Key::new("webauthn", key.clone()))
        .await
        .unwrap()
        .unwrap();
    f.ephemeral
        .put(
            &Key::new("webauthn", copy.clone()),
            &state,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let assertion = json(&phone.do_authentication(origin(), options).unwrap());
    let finishes = [key, copy].map(|k| {
        let passkeys = f.passkeys.clone();
        let assertion = assertion.clone();
        tokio::spawn(async move { passkeys.finish_login(&k, &assertion).await })
    });
    let mut won = 0;
    for finish in finishes {
        match finish.await.unwrap() {
            Ok(login) => {
                assert_eq!(login.passkey_id, info.id);
                won += 1;
            }
            Err(PasskeyError::Refused(Refusal::Counter)) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(won, 1, "one of two concurrent finishes wins");
    assert_eq!(stored_counter(&f, info.id).await, 7);
}

async fn malformed_responses_are_refused_and_consume_the_ceremony(db: Database) {
    let f = fixture(db);
    let dorj = Uuid::new_v4();
    let mut phone = device();
    register(&f, &mut phone, dorj).await;
    let before = snapshot(&f.db).await;

    // Registration: not JSON; then the ceremony is gone, a good response comes too late.
    let key = ceremony();
    let options = registration_options(&f, &key, dorj).await;
    let good = phone.do_registration(origin(), options).unwrap();
    assert_eq!(
        refused(
            f.passkeys
                .finish_registration(&key, dorj, "{\"id\": ", "phone")
                .await
        ),
        Refusal::Malformed
    );
    assert_eq!(
        refused(
            f.passkeys
                .finish_registration(&key, dorj, &json(&good), "phone")
                .await
        ),
        Refusal::Challenge
    );
    // JSON with garbage CBOR in the attestation object, and a field that is not base64url.
    let key = ceremony();
    let options = registration_options(&f, &key, dorj).await;
    let mut garbage: RegisterPublicKeyCredential =
        phone.do_registration(origin(), options).unwrap();
    garbage.response.attestation_object = vec![0xa1, 0xff, 0x00, 0x13].into();
    assert_eq!(
        refused(
            f.passkeys
                .finish_registration(&key, dorj, &json(&garbage), "phone")
                .await
        ),
        Refusal::Malformed
    );
    let key = ceremony();
    registration_options(&f, &key, dorj).await;
    let mut not_base64 = serde_json::to_value(&good).unwrap();
    not_base64["response"]["attestationObject"] = "**not base64**".into();
    assert_eq!(
        refused(
            f.passkeys
                .finish_registration(&key, dorj, &not_base64.to_string(), "phone")
                .await
        ),
        Refusal::Malformed
    );

    // Login: not JSON, then gone; garbage authenticator data.
    let key = ceremony();
    let options = login_options(&f, &key, Some(dorj)).await;
    let good = phone.do_authentication(origin(), options).unwrap();
    assert_eq!(
        refused(f.passkeys.finish_login(&key, "[1, 2").await),
        Refusal::Malformed
    );
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&good)).await),
        Refusal::Challenge
    );
    let key = ceremony();
    let options = login_options(&f, &key, Some(dorj)).await;
    let mut garbage = phone.do_authentication(origin(), options).unwrap();
    garbage.response.authenticator_data = vec![0x01, 0x02, 0x03].into();
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&garbage)).await),
        Refusal::Malformed
    );
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&good)).await),
        Refusal::Challenge
    );

    assert_eq!(snapshot(&f.db).await, before, "no refusal changed storage");
}

async fn a_credential_is_registered_once(db: Database) {
    let f = fixture(db);
    let (dorj, bat) = (Uuid::new_v4(), Uuid::new_v4());
    let mut phone = device();
    // One registration response finished under two copies of its ceremony (as if the state
    // had been duplicated): the second finds the credential registered.
    let key = ceremony();
    let options = registration_options(&f, &key, dorj).await;
    let copy = ceremony();
    let state = f
        .ephemeral
        .get(&Key::new("webauthn", key.clone()))
        .await
        .unwrap()
        .unwrap();
    f.ephemeral
        .put(
            &Key::new("webauthn", copy.clone()),
            &state,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let response = json(&phone.do_registration(origin(), options).unwrap());
    let info = f
        .passkeys
        .finish_registration(&key, dorj, &response, "phone")
        .await
        .unwrap();
    let before = snapshot(&f.db).await;
    assert_eq!(
        refused(
            f.passkeys
                .finish_registration(&copy, dorj, &response, "phone again")
                .await
        ),
        Refusal::Duplicate
    );
    assert_eq!(snapshot(&f.db).await, before);

    // The store refuses a credential id registered to anyone, here for another citizen.
    let store = f.db.passkeys();
    let row = &before[0];
    let copy = StoredPasskey {
        id: Uuid::new_v4(),
        citizen_id: bat,
        credential_id: row.credential_id.clone(),
        name: "stolen".into(),
        credential: row.credential.clone(),
        counter: 0,
        backup_eligible: false,
        backed_up: false,
        created_at: info.created_at,
        last_used_at: None,
    };
    assert!(!store.insert(&copy).await.unwrap());
    assert_eq!(snapshot(&f.db).await, before);
    assert!(f.passkeys.list(bat).await.unwrap().is_empty());
}

async fn rename_and_remove_are_bound_to_the_citizen(db: Database) {
    let f = fixture(db);
    let (dorj, bat) = (Uuid::new_v4(), Uuid::new_v4());
    let mut phone = device();
    let (info, _) = register(&f, &mut phone, dorj).await;
    // Another citizen can neither rename nor remove it.
    assert!(matches!(
        f.passkeys.rename(bat, info.id, "mine").await,
        Err(PasskeyError::NotFound)
    ));
    assert!(matches!(
        f.passkeys.remove(bat, info.id).await,
        Err(PasskeyError::NotFound)
    ));
    // Bad names are refused and change nothing.
    for name in ["", "   ", "a\u{7}b", &"x".repeat(65)] {
        assert!(matches!(
            f.passkeys.rename(dorj, info.id, name).await,
            Err(PasskeyError::InvalidName)
        ));
    }
    assert_eq!(f.passkeys.list(dorj).await.unwrap()[0].name, "phone");
    f.passkeys.rename(dorj, info.id, " Утас ").await.unwrap();
    assert_eq!(f.passkeys.list(dorj).await.unwrap()[0].name, "Утас");
    assert!(matches!(
        f.passkeys.rename(dorj, Uuid::new_v4(), "x").await,
        Err(PasskeyError::NotFound)
    ));

    // A login started before the removal does not finish after it.
    let key = ceremony();
    let options = login_options(&f, &key, Some(dorj)).await;
    let assertion = phone.do_authentication(origin(), options).unwrap();
    f.passkeys.remove(dorj, info.id).await.unwrap();
    assert!(f.passkeys.list(dorj).await.unwrap().is_empty());
    assert_eq!(
        refused(f.passkeys.finish_login(&key, &json(&assertion)).await),
        Refusal::UnknownCredential
    );
    assert!(matches!(
        f.passkeys.start_login(&ceremony(), Some(dorj)).await,
        Err(PasskeyError::NotFound)
    ));
    assert!(matches!(
        f.passkeys.remove(dorj, info.id).await,
        Err(PasskeyError::NotFound)
    ));
}

#[test]
fn refusals_have_stable_reasons() {
    let reasons = [
        (Refusal::Challenge, "challenge"),
        (Refusal::Origin, "origin"),
        (Refusal::UnknownCredential, "unknown_credential"),
        (Refusal::OtherCitizen, "other_citizen"),
        (Refusal::Counter, "counter"),
        (Refusal::UserVerification, "user_verification"),
        (Refusal::Duplicate, "duplicate"),
        (Refusal::Malformed, "malformed"),
        (Refusal::Other, "other"),
    ];
    for (refusal, reason) in reasons {
        assert_eq!(refusal.as_str(), reason);
    }
}

#[test]
fn the_origin_must_be_https_or_localhost_and_match_the_relying_party() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let make = |rp_id: &str, origin: &str| {
        Passkeys::new(
            rp_id,
            "DAN",
            &Url::parse(origin).unwrap(),
            Arc::new(NoStore),
            Arc::new(MemoryStore::new(10, clock.clone())),
            clock.clone(),
        )
        .map(drop)
    };
    assert!(make("localhost", "http://localhost:8080").is_ok());
    assert!(make("dan.gov.mn", "https://login.dan.gov.mn").is_ok());
    assert!(make("dan.gov.mn", "http://login.dan.gov.mn").is_err());
    assert!(make("dan.gov.mn", "https://evil.example").is_err());
    assert!(make("gov.mn", "https://dan.mn").is_err());
}

/// A store that is never reached.
struct NoStore;

#[async_trait::async_trait]
impl PasskeyStore for NoStore {
    async fn insert(&self, _: &StoredPasskey) -> Result<bool, idp::database::StorageError> {
        unreachable!()
    }
    async fn of_citizen(&self, _: Uuid) -> Result<Vec<StoredPasskey>, idp::database::StorageError> {
        unreachable!()
    }
    async fn by_credential_id(
        &self,
        _: &str,
    ) -> Result<Option<StoredPasskey>, idp::database::StorageError> {
        unreachable!()
    }
    async fn record_use(
        &self,
        _: Uuid,
        _: i64,
        _: &idp::passkeys::PasskeyUse,
    ) -> Result<bool, idp::database::StorageError> {
        unreachable!()
    }
    async fn rename(&self, _: Uuid, _: Uuid, _: &str) -> Result<bool, idp::database::StorageError> {
        unreachable!()
    }
    async fn remove(&self, _: Uuid, _: Uuid) -> Result<bool, idp::database::StorageError> {
        unreachable!()
    }
}

on_both_databases!(
    a_passkey_registers_and_logs_in_after_the_registry_number_and_without_it,
    responses_to_another_challenge_or_origin_or_without_verification_change_nothing,
    another_citizens_credential_is_refused,
    replays_and_counters_going_backwards_are_refused,
    malformed_responses_are_refused_and_consume_the_ceremony,
    a_credential_is_registered_once,
    rename_and_remove_are_bound_to_the_citizen,
);
