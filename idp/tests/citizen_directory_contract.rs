//! The contract of `CitizenDirectory`, run on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use idp::citizens::{
    Address, CitizenDirectory, CitizenId, CitizenRecord, CitizenStatus, Gender, PhoneNumber,
    RegistryNumber, UpsertOutcome,
};
use idp::citizens::{import::COLUMNS, synthetic};
use idp::clock::ManualClock;
use idp::database::{Database, StorageError};
use std::sync::Arc;
use std::time::Duration;

/// `n` distinct, valid records from the synthetic generator.
fn records(n: u64, seed: u64) -> Vec<CitizenRecord> {
    let mut csv = Vec::new();
    synthetic::generate(n, seed, idp::citizens::import::Format::Csv, &mut csv).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    assert_eq!(reader.headers().unwrap().len(), COLUMNS.len());
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            let registry_number = RegistryNumber::parse(&row[0]).unwrap();
            CitizenRecord {
                birth_date: registry_number.birth_date(),
                registry_number,
                family_name: row[1].to_owned(),
                given_name: row[2].to_owned(),
                clan_name: (!row[3].is_empty()).then(|| row[3].to_owned()),
                gender: Gender::parse(&row[5]).unwrap(),
                phone_numbers: vec![PhoneNumber::parse(&row[6]).unwrap()],
                email: None,
                address: Address {
                    aimag: Some(row[8].to_owned()),
                    ..Address::default()
                },
                status: CitizenStatus::Active,
            }
        })
        .collect()
}

async fn upserted_records_are_found_by_registry_number_and_by_id(db: Database) {
    let dir = db.citizens();
    let batch = records(10, 1);
    let outcome = dir.upsert_batch(&batch).await.unwrap();
    assert_eq!(
        outcome,
        UpsertOutcome {
            inserted: 10,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(dir.count().await.unwrap(), 10);
    for record in &batch {
        let found = dir
            .find_by_registry_number(&record.registry_number)
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(&found.record, record);
        let by_id = dir
            .find_by_id(found.id)
            .await
            .unwrap()
            .expect("found by id");
        assert_eq!(by_id, found);
    }
    let unknown = RegistryNumber::parse("ЯЯ99123199").unwrap();
    assert!(
        dir.find_by_registry_number(&unknown)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        dir.find_by_id(CitizenId::generate())
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_identical_batch_changes_nothing(db: Database) {
    let dir = db.citizens();
    let batch = records(25, 2);
    dir.upsert_batch(&batch).await.unwrap();
    let before = dir
        .find_by_registry_number(&batch[0].registry_number)
        .await
        .unwrap()
        .unwrap();
    let outcome = dir.upsert_batch(&batch).await.unwrap();
    assert_eq!(
        outcome,
        UpsertOutcome {
            inserted: 0,
            updated: 0,
            unchanged: 25
        }
    );
    let after = dir
        .find_by_registry_number(&batch[0].registry_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "not even updated_at moves");
    assert_eq!(dir.count().await.unwrap(), 25);
}

async fn a_changed_record_is_updated_in_place(db: Database) {
    let start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 25, 12, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let dir = db.with_clock(clock.clone()).citizens();
    let mut batch = records(5, 3);
    dir.upsert_batch(&batch).await.unwrap();
    let before = dir
        .find_by_registry_number(&batch[2].registry_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((before.created_at, before.updated_at), (start, start));
    clock.advance(Duration::from_secs(3600));
    batch[2].given_name = "Өөрчлөгдсөн-Туршилт".to_owned();
    batch[2]
        .phone_numbers
        .push(PhoneNumber::parse("88001122").unwrap());
    let outcome = dir.upsert_batch(&batch).await.unwrap();
    assert_eq!(
        outcome,
        UpsertOutcome {
            inserted: 0,
            updated: 1,
            unchanged: 4
        }
    );
    let after = dir
        .find_by_registry_number(&batch[2].registry_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.id, before.id, "an update keeps the citizen's id");
    assert_eq!(after.record, batch[2]);
    assert_eq!(after.created_at, start);
    assert_eq!(after.updated_at, start + chrono::Duration::hours(1));
    let unchanged = dir
        .find_by_registry_number(&batch[0].registry_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        unchanged.updated_at, start,
        "an unchanged row is not touched"
    );
}

async fn an_import_never_unlocks_but_records_a_death(db: Database) {
    let dir = db.citizens();
    let mut batch = records(2, 4);
    dir.upsert_batch(&batch).await.unwrap();
    for record in &batch {
        let id = dir
            .find_by_registry_number(&record.registry_number)
            .await
            .unwrap()
            .unwrap()
            .id;
        assert!(dir.set_status(id, CitizenStatus::Locked).await.unwrap());
    }
    // The registry sends a changed address for the first and a death for the second.
    batch[0].address.text = Some("Шинэ хаяг".to_owned());
    batch[1].status = CitizenStatus::Deceased;
    let outcome = dir.upsert_batch(&batch).await.unwrap();
    assert_eq!(outcome.updated, 2);
    let first = dir
        .find_by_registry_number(&batch[0].registry_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.record.status, CitizenStatus::Locked);
    assert_eq!(first.record.address.text.as_deref(), Some("Шинэ хаяг"));
    let second = dir
        .find_by_registry_number(&batch[1].registry_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.record.status, CitizenStatus::Deceased);
    assert!(
        !dir.set_status(CitizenId::generate(), CitizenStatus::Locked)
            .await
            .unwrap()
    );
}

async fn a_batch_larger_than_one_statement_is_stored_whole(db: Database) {
    // A statement carries at most 1,000 rows: this batch takes five, in one transaction.
    let dir = db.citizens();
    let batch = records(4_500, 5);
    let outcome = dir.upsert_batch(&batch).await.unwrap();
    assert_eq!(outcome.inserted, 4_500);
    assert_eq!(dir.count().await.unwrap(), 4_500);
    let again = dir.upsert_batch(&batch).await.unwrap();
    assert_eq!(again.unchanged, 4_500);
}

async fn a_refused_batch_stores_nothing(db: Database) {
    let dir = db.citizens();
    let mut batch = records(4_000, 6);
    // The last row breaks a database constraint (names are at most 200 characters): the rows
    // before it, in earlier statements of the same transaction, must not stay behind.
    batch[3_999].family_name = "Ж".repeat(300);
    let err = dir.upsert_batch(&batch).await.unwrap_err();
    assert!(matches!(err, StorageError::Rejected(_)), "{err:?}");
    assert_eq!(dir.count().await.unwrap(), 0);
}

async fn a_batch_with_a_registry_number_twice_is_refused_whole(db: Database) {
    let dir = db.citizens();
    let mut batch = records(3, 7);
    batch.push(batch[0].clone());
    let err = dir.upsert_batch(&batch).await.unwrap_err();
    assert!(matches!(err, StorageError::Rejected(_)), "{err:?}");
    assert_eq!(dir.count().await.unwrap(), 0);
    assert_eq!(
        dir.upsert_batch(&[]).await.unwrap(),
        UpsertOutcome::default()
    );
}

on_both_databases!(
    upserted_records_are_found_by_registry_number_and_by_id,
    an_identical_batch_changes_nothing,
    a_changed_record_is_updated_in_place,
    an_import_never_unlocks_but_records_a_death,
    a_batch_larger_than_one_statement_is_stored_whole,
    a_refused_batch_stores_nothing,
    a_batch_with_a_registry_number_twice_is_refused_whole,
);
