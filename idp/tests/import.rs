//! Importing registry extracts: streaming, idempotent, bad rows reported and skipped, batches
//! stored whole or not at all. Run on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use idp::citizens::import::{
    Format, ImportError, ImportObserver, ImportOptions, ImportSummary, Progress, Rejection,
    import_file,
};
use idp::citizens::{
    Citizen, CitizenDirectory, CitizenId, CitizenRecord, CitizenStatus, RegistryNumber,
    UpsertOutcome, synthetic,
};
use idp::database::{Database, StorageError};

#[derive(Default)]
struct Collect {
    rejections: Vec<Rejection>,
    progress: Vec<Progress>,
}

impl ImportObserver for Collect {
    fn rejected(&mut self, rejection: &Rejection) {
        self.rejections.push(rejection.clone());
    }
    fn progress(&mut self, progress: Progress) {
        self.progress.push(progress);
    }
}

fn options(format: Format, batch_size: usize) -> ImportOptions {
    ImportOptions { format, batch_size }
}

async fn run(
    dir: &dyn CitizenDirectory,
    path: &Path,
    options: ImportOptions,
) -> (Result<ImportSummary, ImportError>, Collect) {
    let mut collect = Collect::default();
    let result = import_file(dir, path, options, &mut collect).await;
    (result, collect)
}

/// A synthetic CSV of `good` rows, with three bad rows inserted after rows 100, 500 and 900.
/// Returns the file and the line numbers of the bad rows.
fn csv_with_three_bad_rows(dir: &Path, good: u64) -> (PathBuf, Vec<u64>) {
    let mut generated = Vec::new();
    synthetic::generate(good, 11, Format::Csv, &mut generated).unwrap();
    let text = String::from_utf8(generated).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Vector index i is file line i + 1; inserting from the end keeps earlier indexes valid,
    // and each insertion shifts the rows after it by one line.
    let bad = [
        (
            901,
            "YB99032512,Жишээ,Бат-Туршилт,,,male,99112233,,,,,,active",
        ), // Latin letters
        (
            501,
            "УБ99023012,Жишээ,Бат-Туршилт,,,male,99112233,,,,,,active",
        ), // 30 February
        (
            101,
            "УБ99032512,Жишээ,Бат-Туршилт,,,unknown,99112233,,,,,,active",
        ), // gender
    ];
    for (after, row) in bad {
        lines.insert(after, row.to_owned());
    }
    let path = dir.join("extract.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    (path, vec![102, 503, 904])
}

async fn a_thousand_good_rows_and_three_bad_ones(db: Database) {
    let tmp = tempfile::tempdir().unwrap();
    let (path, bad_lines) = csv_with_three_bad_rows(tmp.path(), 1_000);
    let dir = db.citizens();
    let (result, seen) = run(&dir, &path, options(Format::Csv, 128)).await;
    let summary = result.unwrap();
    assert_eq!(summary.rows_read, 1_003);
    assert_eq!(
        summary.stored,
        UpsertOutcome {
            inserted: 1_000,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(summary.rejected, 3);
    assert_eq!(dir.count().await.unwrap(), 1_000);
    let lines: Vec<u64> = seen.rejections.iter().map(|r| r.line).collect();
    assert_eq!(lines, bad_lines);
    let columns: Vec<_> = seen
        .rejections
        .iter()
        .map(|r| r.column.as_deref().unwrap())
        .collect();
    assert_eq!(columns, ["gender", "registry_number", "registry_number"]);
    assert!(
        seen.rejections[2].reason.contains("Latin"),
        "{:?}",
        seen.rejections[2]
    );
    assert!(
        seen.rejections
            .iter()
            .all(|r| !r.reason.contains("99032512")),
        "values are never echoed"
    );
    let last = seen.progress.last().unwrap();
    assert_eq!(last.rows_read, 1_003);
    assert_eq!(last.bytes_read, last.total_bytes);

    // The same file again changes nothing.
    let (again, seen_again) = run(&dir, &path, options(Format::Csv, 128)).await;
    let again = again.unwrap();
    assert_eq!(
        again.stored,
        UpsertOutcome {
            inserted: 0,
            updated: 0,
            unchanged: 1_000
        }
    );
    assert_eq!(seen_again.rejections.len(), 3);
    assert_eq!(dir.count().await.unwrap(), 1_000);
}

async fn json_lines_import_the_same_as_csv(db: Database) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("extract.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    synthetic::generate(200, 12, Format::Jsonl, &mut file).unwrap();
    writeln!(file).unwrap(); // a blank line is skipped
    writeln!(file, "{{\"registry_number\": \"УБ99032512\"").unwrap(); // broken JSON
    writeln!(
        file,
        "{{\"registry_number\": \"УБ99032512\", \"nickname\": \"x\"}}"
    )
    .unwrap();
    writeln!(file, "{{\"registry_number\": \"УБ99032512\", \"family_name\": \"Жишээ\", \"given_name\": \"Бат\", \"gender\": \"эрэгтэй\", \"phone_numbers\": [\"99112233\"]}}").unwrap();
    drop(file);
    let dir = db.citizens();
    let (result, seen) = run(&dir, &path, options(Format::Jsonl, 64)).await;
    let summary = result.unwrap();
    assert_eq!(summary.stored.inserted, 201);
    assert_eq!(summary.rejected, 2);
    assert_eq!(seen.rejections[0].line, 202);
    assert!(
        seen.rejections[0].reason.contains("not a valid JSON"),
        "{:?}",
        seen.rejections[0]
    );
    assert_eq!(seen.rejections[1].line, 203);
    assert!(
        seen.rejections[1]
            .reason
            .contains("unknown field `nickname`"),
        "{:?}",
        seen.rejections[1]
    );
    let rn = RegistryNumber::parse("УБ99032512").unwrap();
    let stored = dir.find_by_registry_number(&rn).await.unwrap().unwrap();
    assert_eq!(stored.record.phone_numbers[0].as_str(), "+97699112233");
}

async fn a_registry_number_twice_in_a_file_applies_in_file_order(db: Database) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("twice.csv");
    std::fs::write(
        &path,
        "registry_number,family_name,given_name,gender\n\
         УБ99032512,Жишээ,Эхний,male\n\
         АА96022900,Жишээ,Өөр,female\n\
         уб 99032512,Жишээ,Сүүлийн,male\n",
    )
    .unwrap();
    let dir = db.citizens();
    let summary = run(&dir, &path, options(Format::Csv, 100)).await.0.unwrap();
    assert_eq!(
        summary.stored,
        UpsertOutcome {
            inserted: 2,
            updated: 1,
            unchanged: 0
        }
    );
    let rn = RegistryNumber::parse("УБ99032512").unwrap();
    let stored = dir.find_by_registry_number(&rn).await.unwrap().unwrap();
    assert_eq!(stored.record.given_name, "Сүүлийн");
}

async fn a_file_without_required_columns_imports_nothing(db: Database) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = db.citizens();
    let cases = [
        (
            "missing.csv",
            "registry_number,given_name,gender\nУБ99032512,Бат,male\n",
            "lacks required column(s): family_name",
        ),
        (
            "unknown.csv",
            "registry_number,family_name,given_name,gender,nickname\n",
            "column 5 of the header, \"nickname\"",
        ),
        ("empty.csv", "", "the file is empty"),
    ];
    for (name, content, expected) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = run(&dir, &path, options(Format::Csv, 100))
            .await
            .0
            .unwrap_err();
        assert!(
            matches!(err, ImportError::Malformed { line: 1, .. }),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    // UTF-16, the usual spreadsheet-export mistake.
    let path = tmp.path().join("utf16.csv");
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "registry_number,family_name,given_name,gender\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    std::fs::write(&path, utf16).unwrap();
    let err = run(&dir, &path, options(Format::Csv, 100))
        .await
        .0
        .unwrap_err();
    assert!(err.to_string().contains("UTF-16"), "{err}");
    assert_eq!(dir.count().await.unwrap(), 0);
    let err = run(
        &dir,
        &tmp.path().join("absent.csv"),
        options(Format::Csv, 100),
    )
    .await
    .0
    .unwrap_err();
    assert!(matches!(err, ImportError::Io { .. }), "{err:?}");
}

async fn rows_with_bad_encoding_or_field_count_are_reported_and_skipped(db: Database) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("mixed.csv");
    let mut content = "\u{feff}registry_number,family_name,given_name,gender\n"
        .as_bytes()
        .to_vec();
    content.extend_from_slice("УБ99032512,Жишээ,Бат,male\n".as_bytes());
    content.extend_from_slice(b"\xc3\x28\xa0\xa1,\xd5\xe8\xe0\xe8,Bat,male\n"); // Windows-1251, not UTF-8
    content.extend_from_slice("АА96022900,Жишээ,Сараа\n".as_bytes()); // a field missing
    content.extend_from_slice("АА96022901,\"Жишээ, Урт\",Сараа,female\n".as_bytes()); // quoted comma
    std::fs::write(&path, content).unwrap();
    let dir = db.citizens();
    let (result, seen) = run(&dir, &path, options(Format::Csv, 100)).await;
    let summary = result.unwrap();
    assert_eq!(summary.stored.inserted, 2);
    assert_eq!(seen.rejections.len(), 2);
    assert_eq!(seen.rejections[0].line, 3);
    assert_eq!(
        seen.rejections[0].column.as_deref(),
        Some("registry_number")
    );
    assert!(seen.rejections[0].reason.contains("UTF-8"));
    assert_eq!(seen.rejections[1].line, 4);
    assert!(
        seen.rejections[1].reason.contains("expected 4 fields"),
        "{:?}",
        seen.rejections[1]
    );
    let rn = RegistryNumber::parse("АА96022901").unwrap();
    assert_eq!(
        dir.find_by_registry_number(&rn)
            .await
            .unwrap()
            .unwrap()
            .record
            .family_name,
        "Жишээ, Урт"
    );
}

on_both_databases!(
    a_thousand_good_rows_and_three_bad_ones,
    json_lines_import_the_same_as_csv,
    a_registry_number_twice_in_a_file_applies_in_file_order,
    a_file_without_required_columns_imports_nothing,
    rows_with_bad_encoding_or_field_count_are_reported_and_skipped,
);

/// A directory that refuses any batch holding a given registry number (as a database refuses
/// a row that breaks a constraint), or becomes unreachable after some batches.
struct Faulty<D> {
    inner: D,
    refuse: Option<RegistryNumber>,
    available_batches: Option<usize>,
    calls: AtomicUsize,
}

#[async_trait]
impl<D: CitizenDirectory> CitizenDirectory for Faulty<D> {
    async fn upsert_batch(&self, records: &[CitizenRecord]) -> Result<UpsertOutcome, StorageError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.available_batches.is_some_and(|n| call >= n) {
            return Err(StorageError::Unavailable("connection refused".into()));
        }
        if records
            .iter()
            .any(|r| Some(&r.registry_number) == self.refuse.as_ref())
        {
            return Err(StorageError::Rejected("constraint violated".into()));
        }
        self.inner.upsert_batch(records).await
    }
    async fn find_by_registry_number(
        &self,
        rn: &RegistryNumber,
    ) -> Result<Option<Citizen>, StorageError> {
        self.inner.find_by_registry_number(rn).await
    }
    async fn find_by_id(&self, id: CitizenId) -> Result<Option<Citizen>, StorageError> {
        self.inner.find_by_id(id).await
    }
    async fn set_status(&self, id: CitizenId, status: CitizenStatus) -> Result<bool, StorageError> {
        self.inner.set_status(id, status).await
    }
    async fn count(&self) -> Result<u64, StorageError> {
        self.inner.count().await
    }
}

fn generated_csv(dir: &Path, count: u64) -> PathBuf {
    let path = dir.join("generated.csv");
    synthetic::generate(
        count,
        21,
        Format::Csv,
        std::fs::File::create(&path).unwrap(),
    )
    .unwrap();
    path
}

fn nth_registry_number(path: &Path, n: usize) -> RegistryNumber {
    let mut reader = csv::Reader::from_path(path).unwrap();
    RegistryNumber::parse(&reader.records().nth(n).unwrap().unwrap()[0]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_batch_is_retried_row_by_row_and_only_the_bad_row_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let db = support::sqlite_database(&tmp).await;
    let path = generated_csv(tmp.path(), 250);
    let refused = nth_registry_number(&path, 130); // data row 131, line 132, in the second batch
    let dir = Faulty {
        inner: db.citizens(),
        refuse: Some(refused.clone()),
        available_batches: None,
        calls: AtomicUsize::new(0),
    };
    let (result, seen) = run(&dir, &path, options(Format::Csv, 100)).await;
    let summary = result.unwrap();
    assert_eq!(summary.stored.inserted, 249);
    assert_eq!(summary.rejected, 1);
    assert_eq!(seen.rejections.len(), 1);
    assert_eq!(seen.rejections[0].line, 132);
    assert!(
        seen.rejections[0]
            .reason
            .contains("the database refused the row")
    );
    assert!(
        db.citizens()
            .find_by_registry_number(&refused)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(db.citizens().count().await.unwrap(), 249);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_stops_the_import_and_a_rerun_completes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let db = support::sqlite_database(&tmp).await;
    let path = generated_csv(tmp.path(), 1_000);
    let dir = Faulty {
        inner: db.citizens(),
        refuse: None,
        available_batches: Some(3),
        calls: AtomicUsize::new(0),
    };
    let err = run(&dir, &path, options(Format::Csv, 100))
        .await
        .0
        .unwrap_err();
    match &err {
        ImportError::Storage {
            stored_through_line,
            ..
        } => assert_eq!(*stored_through_line, 301),
        other => panic!("expected a storage error, got {other:?}"),
    }
    assert!(
        err.to_string().contains("run the same import again"),
        "{err}"
    );
    assert_eq!(db.citizens().count().await.unwrap(), 300);
    let summary = run(&db.citizens(), &path, options(Format::Csv, 100))
        .await
        .0
        .unwrap();
    assert_eq!(
        summary.stored,
        UpsertOutcome {
            inserted: 700,
            updated: 0,
            unchanged: 300
        }
    );
    assert_eq!(db.citizens().count().await.unwrap(), 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_line_over_one_mebibyte_is_skipped_and_the_next_lines_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let db = support::sqlite_database(&tmp).await;
    let path = tmp.path().join("long.jsonl");
    let good = |rn: &str| {
        format!(
            "{{\"registry_number\": \"{rn}\", \"family_name\": \"Жишээ\", \"given_name\": \"Бат\", \"gender\": \"male\"}}\n"
        )
    };
    let long = format!("{{\"family_name\": \"{}\"}}\n", "x".repeat(1_500_000));
    std::fs::write(&path, good("УБ99032512") + &long + &good("АА96022900")).unwrap();
    let (result, seen) = run(&db.citizens(), &path, options(Format::Jsonl, 100)).await;
    let summary = result.unwrap();
    assert_eq!(summary.stored.inserted, 2);
    assert_eq!(seen.rejections.len(), 1);
    assert_eq!(seen.rejections[0].line, 2);
    assert!(seen.rejections[0].reason.contains("longer than 1 MiB"));
    let last = seen.progress.last().unwrap();
    assert_eq!(last.bytes_read, last.total_bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unclosed_quote_stops_the_import_within_bounded_memory_keeping_the_rows_before() {
    let tmp = tempfile::tempdir().unwrap();
    let db = support::sqlite_database(&tmp).await;
    let path = tmp.path().join("open-quote.csv");
    let mut content = String::from("registry_number,family_name,given_name,gender\n");
    content.push_str("УБ99032512,Жишээ,Бат,male\n");
    content.push_str("АА96022900,\"Жишээ,Сараа,female\n"); // the quote never closes
    for i in 0..40_000 {
        content.push_str(&format!("ЧД0523{:04},Жишээ,Нэр,male\n", i % 10_000));
    }
    std::fs::write(&path, content).unwrap();
    let dir = db.citizens();
    let err = run(&dir, &path, options(Format::Csv, 100))
        .await
        .0
        .unwrap_err();
    match &err {
        ImportError::Malformed { line, reason } => {
            assert_eq!(*line, 3, "{reason}");
            assert!(reason.contains("quote left open"), "{reason}");
        }
        other => panic!("expected a malformed file, got {other:?}"),
    }
    assert_eq!(
        dir.count().await.unwrap(),
        1,
        "the row before the open quote is stored"
    );
}
