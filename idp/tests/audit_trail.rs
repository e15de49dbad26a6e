//! The audit trail on both databases: events are chained and durable when `record` returns;
//! concurrent writers (tasks of one node, and two nodes on one database) keep one linear
//! chain; a row changed, removed or re-chained without the key directly in the database is
//! reported by the verification; queries filter and page with a cursor.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use idp::audit::{
    Actor, AuditFilter, AuditLog, AuditStore, EventKind, GENESIS, NewEvent, chain_hash,
};
use idp::citizens::CitizenId;
use idp::clients::ClientId;
use idp::clock::{Clock, ManualClock};
use idp::database::Database;
use idp::secrets::Secrets;
use sea_orm::ConnectionTrait;

fn log(db: &Database, secrets: &Secrets, clock: &Arc<ManualClock>) -> AuditLog {
    let store: Arc<dyn AuditStore> = Arc::new(db.audit());
    AuditLog::start(store, secrets.clone(), clock.clone())
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(chrono::Utc::now()))
}

fn login(citizen: CitizenId, client: &str) -> NewEvent {
    NewEvent::new(EventKind::LoginSucceeded, Actor::Citizen(citizen))
        .citizen(citizen)
        .client(&ClientId::parse(client).unwrap())
        .detail("method", "sms")
}

async fn events_are_chained_and_verify(db: Database) {
    let secrets = Secrets::generate().unwrap();
    let clock = clock();
    let audit = log(&db, &secrets, &clock);
    let empty = audit.verify().await.unwrap();
    assert!(empty.intact && empty.events == 0 && empty.head.is_none());

    let citizen = CitizenId::generate();
    let first = audit.record(login(citizen, "benefits")).await.unwrap();
    assert_eq!(first.seq, 1);
    assert_eq!(first.prev_hash, GENESIS);
    assert_eq!(first.hash, chain_hash(&secrets, &first));
    clock.advance(std::time::Duration::from_secs(5));
    let second = audit
        .record(NewEvent::new(EventKind::KeyChanged, Actor::System).detail("kid", "k2"))
        .await
        .unwrap();
    assert_eq!(second.seq, 2);
    assert_eq!(second.prev_hash, first.hash);

    let stored = audit.query(&AuditFilter::default(), 0, 10).await.unwrap();
    assert_eq!(
        stored,
        vec![first, second.clone()],
        "read back exactly as hashed"
    );
    let report = audit.verify().await.unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.events, 2);
    assert_eq!(report.head.as_deref(), Some(second.hash.as_str()));
}

async fn concurrent_writers_keep_one_linear_chain(db: Database) {
    let secrets = Secrets::generate().unwrap();
    let clock = clock();
    // Two nodes on one database, each with its own writer, and many tasks on each.
    let one = Arc::new(log(&db, &secrets, &clock));
    let two = Arc::new(log(&db, &secrets, &clock));
    let mut tasks = Vec::new();
    for i in 0..200 {
        let audit = if i % 2 == 0 { one.clone() } else { two.clone() };
        tasks.push(tokio::spawn(async move {
            audit
                .record(login(CitizenId::generate(), "benefits"))
                .await
                .unwrap()
                .seq
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=200).collect::<Vec<i64>>(),
        "every event has its own place"
    );
    let report = one.verify().await.unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.events, 200);
}

async fn tampering_in_the_database_is_reported(db: Database) {
    let secrets = Secrets::generate().unwrap();
    let clock = clock();
    let audit = log(&db, &secrets, &clock);
    for _ in 0..5 {
        audit
            .record(login(CitizenId::generate(), "benefits"))
            .await
            .unwrap();
    }
    let sql = db.connection();

    // A detail changed in place.
    sql.execute_unprepared(
        "UPDATE audit_events SET detail = '{\"method\":\"passkey\"}' WHERE seq = 3",
    )
    .await
    .unwrap();
    let report = audit.verify().await.unwrap();
    assert!(!report.intact);
    assert_eq!(report.first_broken, Some(3));
    assert_eq!(report.reason.as_deref(), Some("hash"));

    // Re-hashed without the key (plain SHA-256, or another key): still reported.
    let forged = Secrets::generate().unwrap();
    let mut row = audit.query(&AuditFilter::default(), 2, 1).await.unwrap()[0].clone();
    row.hash = chain_hash(&forged, &row);
    sql.execute_unprepared(&format!(
        "UPDATE audit_events SET hash = '{}' WHERE seq = 3",
        row.hash
    ))
    .await
    .unwrap();
    let report = audit.verify().await.unwrap();
    assert_eq!(report.first_broken, Some(3));

    // An event removed: the gap is reported.
    sql.execute_unprepared("DELETE FROM audit_events WHERE seq = 3")
        .await
        .unwrap();
    let report = audit.verify().await.unwrap();
    assert_eq!(report.first_broken, Some(4));
    assert_eq!(report.reason.as_deref(), Some("gap"));
}

async fn queries_filter_and_page_with_a_cursor(db: Database) {
    let secrets = Secrets::generate().unwrap();
    let clock = clock();
    let audit = log(&db, &secrets, &clock);
    let citizen = CitizenId::generate();
    for i in 0..10 {
        let client = if i % 2 == 0 { "benefits" } else { "taxes" };
        let who = if i < 6 {
            citizen
        } else {
            CitizenId::generate()
        };
        audit.record(login(who, client)).await.unwrap();
        clock.advance(std::time::Duration::from_secs(60));
    }
    audit
        .record(
            NewEvent::new(EventKind::AdminAction, Actor::Admin("ganaa".into()))
                .detail("action", "client.disable"),
        )
        .await
        .unwrap();

    let by_client = AuditFilter {
        client: Some("taxes".into()),
        ..AuditFilter::default()
    };
    let page = audit.query(&by_client, 0, 3).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 4, 6]);
    let next = audit.query(&by_client, 6, 3).await.unwrap();
    assert_eq!(next.iter().map(|e| e.seq).collect::<Vec<_>>(), [8, 10]);

    let by_citizen = AuditFilter {
        citizen: Some(citizen.0),
        ..AuditFilter::default()
    };
    assert_eq!(audit.query(&by_citizen, 0, 100).await.unwrap().len(), 6);
    let by_actor = AuditFilter {
        actor: Some("admin:ganaa".into()),
        kind: Some(EventKind::AdminAction),
        ..AuditFilter::default()
    };
    let admin = audit.query(&by_actor, 0, 100).await.unwrap();
    assert_eq!(admin.len(), 1);
    assert_eq!(admin[0].detail, r#"{"action":"client.disable"}"#);
    // Logins were a minute apart; the admin action came at `now`, outside [now-5min, now).
    let window = AuditFilter {
        from: Some(clock.now() - chrono::Duration::minutes(5)),
        until: Some(clock.now()),
        ..AuditFilter::default()
    };
    let late = audit.query(&window, 0, 100).await.unwrap();
    assert_eq!(
        late.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [6, 7, 8, 9, 10]
    );
}

on_both_databases!(
    events_are_chained_and_verify,
    concurrent_writers_keep_one_linear_chain,
    tampering_in_the_database_is_reported,
    queries_filter_and_page_with_a_cursor,
);
