//! Streaming import of civil-registry extracts (CSV or JSON Lines) into the directory.
//!
//! - **Constant memory**: a reader thread parses and validates rows and hands batches of at most
//!   `batch_size` rows through a channel of one slot to the writer, whatever the file size.
//! - **Idempotent**: rows are upserted by registry number; an unchanged row writes nothing, so
//!   importing the same file twice changes nothing the second time.
//! - **Bad rows lose nothing**: each bad row is reported with its line number, the column and
//!   the reason — never the value, which is personal data — and skipped; the good rows around
//!   it are stored.
//! - **Batches are transactions**: a batch is stored whole or not at all. If the database
//!   refuses a batch, its rows are retried one by one, so that only the offending rows are
//!   reported. If the database becomes unreachable, the import stops with an error that says
//!   through which line the file is stored; running it again continues safely.
//! - **Duplicates**: a registry number that appears twice in a file is applied in file order
//!   (the later row wins), as if each row were imported on its own.
//!
//! CSV files have a header row naming their columns (see [`COLUMNS`]); `phone_numbers` holds
//! numbers separated by `;`. JSON Lines files hold one object per line with the same fields,
//! `phone_numbers` as an array and the address as an object `{aimag, soum, bag, text}`.

use std::cell::Cell;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{
    Address, CitizenDirectory, CitizenRecord, CitizenStatus, Email, Gender, PhoneNumber,
    RegistryNumber, UpsertOutcome,
};
use crate::database::StorageError;

/// The columns of a CSV extract, in the order the generator writes them. The first four and
/// `gender` are required; the others may be absent from the header or empty in a row.
pub const COLUMNS: [&str; 13] = [
    "registry_number",
    "family_name",
    "given_name",
    "clan_name",
    "birth_date",
    "gender",
    "phone_numbers",
    "email",
    "aimag",
    "soum",
    "bag",
    "address",
    "status",
];

const REQUIRED: [&str; 4] = ["registry_number", "family_name", "given_name", "gender"];

/// Longest name or address part accepted, in characters.
const MAX_TEXT_CHARS: usize = 200;

/// File format of an extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The format a file name suggests (`.csv`, `.jsonl`, `.ndjson`).
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            _ => None,
        }
    }
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// Line of the file where the row starts (1-based; the CSV header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    /// Why, in words an operator can act on.
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(column) => write!(f, "line {}, column {column}: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// How far an import has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the file read so far.
    pub bytes_read: u64,
    /// Size of the file.
    pub total_bytes: u64,
    /// Data rows read so far.
    pub rows_read: u64,
}

/// Receives what an import reports as it goes.
pub trait ImportObserver: Send {
    /// A row was skipped.
    fn rejected(&mut self, rejection: &Rejection);
    /// Another batch was stored.
    fn progress(&mut self, progress: Progress);
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    /// Data rows read (good and bad).
    pub rows_read: u64,
    /// New, changed and unchanged rows.
    #[serde(flatten)]
    pub stored: UpsertOutcome,
    /// Rows skipped.
    pub rejected: u64,
    /// Wall time, in seconds.
    pub seconds: f64,
}

impl ImportSummary {
    /// Rows read per second.
    pub fn rows_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.rows_read as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Why an import stopped before the end of the file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file as a whole is unusable (header, encoding, syntax).
    #[error("line {line}: {reason}")]
    Malformed {
        /// Where.
        line: u64,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The database became unreachable; rows through `stored_through_line` are stored.
    #[error(
        "the database failed ({source}); rows through line {stored_through_line} are stored — \
         run the same import again to continue, it is idempotent"
    )]
    Storage {
        /// Last line whose batch was committed.
        stored_through_line: u64,
        /// The failure.
        source: StorageError,
    },
}

/// Options of an import.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// File format.
    pub format: Format,
    /// Rows per transaction.
    pub batch_size: usize,
}

/// One batch handed from the reader to the writer.
struct Chunk {
    /// Good rows, and beside them the line each came from.
    records: Vec<CitizenRecord>,
    lines: Vec<u64>,
    rejections: Vec<Rejection>,
    rows: u64,
    last_line: u64,
    bytes_read: u64,
}

/// Imports `path` into `directory`, reporting to `observer`.
pub async fn import_file(
    directory: &dyn CitizenDirectory,
    path: &Path,
    options: ImportOptions,
    observer: &mut dyn ImportObserver,
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let file = File::open(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    // One batch waiting while one is written: enough to keep both threads busy, and memory
    // stays at about three batches whatever the file size.
    let (tx, mut rx) = mpsc::channel::<Chunk>(1);
    let batch_size = options.batch_size.max(1);
    let owned_path = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || {
        let mut batcher = Batcher::new(batch_size, tx);
        let result = match options.format {
            Format::Csv => read_csv(file, &owned_path, &mut batcher),
            Format::Jsonl => read_jsonl(file, &owned_path, &mut batcher),
        };
        batcher.finish();
        result
    });

    let mut summary = ImportSummary::default();
    let mut stored_through_line = 0;
    let mut failure = None;
    while let Some(chunk) = rx.recv().await {
        summary.rows_read += chunk.rows;
        for rejection in &chunk.rejections {
            observer.rejected(rejection);
        }
        summary.rejected += chunk.rejections.len() as u64;
        match store_chunk(directory, &chunk.records, &chunk.lines, observer).await {
            Ok((outcome, rejected)) => {
                summary.stored += outcome;
                summary.rejected += rejected;
                stored_through_line = chunk.last_line;
            }
            Err(source) => {
                failure = Some(ImportError::Storage {
                    stored_through_line,
                    source,
                });
                break;
            }
        }
        observer.progress(Progress {
            bytes_read: chunk.bytes_read,
            total_bytes,
            rows_read: summary.rows_read,
        });
    }
    drop(rx);
    let read_result = reader.await.map_err(|e| ImportError::Malformed {
        line: 0,
        reason: format!("the reader stopped unexpectedly: {e}"),
    })?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    read_result?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Stores a batch in one transaction; if the database refuses it, retries its rows one by one
/// and reports the ones it refuses. Returns what was stored and how many rows were refused.
async fn store_chunk(
    directory: &dyn CitizenDirectory,
    records: &[CitizenRecord],
    lines: &[u64],
    observer: &mut dyn ImportObserver,
) -> Result<(UpsertOutcome, u64), StorageError> {
    match directory.upsert_batch(records).await {
        Ok(outcome) => Ok((outcome, 0)),
        Err(err) if err.is_unavailable() => Err(err),
        Err(_) => {
            let mut outcome = UpsertOutcome::default();
            let mut rejected = 0;
            for (line, record) in lines.iter().zip(records) {
                match directory.upsert_batch(std::slice::from_ref(record)).await {
                    Ok(one) => outcome += one,
                    Err(err) if err.is_unavailable() => return Err(err),
                    Err(err) => {
                        rejected += 1;
                        observer.rejected(&Rejection {
                            line: *line,
                            column: None,
                            reason: format!("the database refused the row: {err}"),
                        });
                    }
                }
            }
            Ok((outcome, rejected))
        }
    }
}

/// Collects rows into chunks and sends them to the writer.
struct Batcher {
    size: usize,
    tx: mpsc::Sender<Chunk>,
    chunk: Chunk,
    numbers: HashSet<String>,
    closed: bool,
}

impl Batcher {
    fn new(size: usize, tx: mpsc::Sender<Chunk>) -> Self {
        Self {
            size,
            tx,
            chunk: Self::empty(size),
            numbers: HashSet::with_capacity(size),
            closed: false,
        }
    }

    fn empty(size: usize) -> Chunk {
        Chunk {
            records: Vec::with_capacity(size),
            lines: Vec::with_capacity(size),
            rejections: Vec::new(),
            rows: 0,
            last_line: 0,
            bytes_read: 0,
        }
    }

    /// Adds a row; returns false when the writer has stopped and reading should stop too.
    fn push(&mut self, line: u64, bytes_read: u64, row: Result<CitizenRecord, Rejection>) -> bool {
        if let Ok(record) = &row
            && self.numbers.contains(record.registry_number.as_str())
        {
            // The same number twice in one statement cannot be upserted: flush first.
            self.flush();
        }
        self.chunk.rows += 1;
        self.chunk.last_line = line;
        self.chunk.bytes_read = bytes_read;
        match row {
            Ok(record) => {
                self.numbers
                    .insert(record.registry_number.as_str().to_owned());
                self.chunk.records.push(record);
                self.chunk.lines.push(line);
            }
            Err(rejection) => self.chunk.rejections.push(rejection),
        }
        if self.chunk.records.len() + self.chunk.rejections.len() >= self.size {
            self.flush();
        }
        !self.closed
    }

    fn flush(&mut self) {
        if self.chunk.rows == 0 {
            return;
        }
        let chunk = std::mem::replace(&mut self.chunk, Self::empty(self.size));
        self.numbers.clear();
        if self.tx.blocking_send(chunk).is_err() {
            self.closed = true;
        }
    }

    fn finish(mut self) {
        self.flush();
    }
}

/// The fields of a row before validation, whatever the format.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    registry_number: Option<String>,
    family_name: Option<String>,
    given_name: Option<String>,
    clan_name: Option<String>,
    birth_date: Option<String>,
    gender: Option<String>,
    #[serde(default)]
    phone_numbers: Vec<String>,
    email: Option<String>,
    #[serde(default)]
    address: RawAddress,
    status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAddress {
    aimag: Option<String>,
    soum: Option<String>,
    bag: Option<String>,
    text: Option<String>,
}

/// A field problem: the column and the reason.
type FieldError = (&'static str, String);

fn text(value: Option<String>, column: &'static str) -> Result<Option<String>, FieldError> {
    let Some(value) = value else { return Ok(None) };
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > MAX_TEXT_CHARS {
        return Err((column, format!("longer than {MAX_TEXT_CHARS} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err((column, "contains control characters".to_owned()));
    }
    Ok(Some(trimmed.to_owned()))
}

fn required(value: Option<String>, column: &'static str) -> Result<String, FieldError> {
    text(value, column)?.ok_or((column, "is required and empty".to_owned()))
}

/// Validates a row into a record.
fn validate(raw: RawRow) -> Result<CitizenRecord, FieldError> {
    let registry_number = RegistryNumber::parse(raw.registry_number.as_deref().unwrap_or_default())
        .map_err(|e| ("registry_number", e.message_en()))?;
    let family_name = required(raw.family_name, "family_name")?;
    let given_name = required(raw.given_name, "given_name")?;
    let clan_name = text(raw.clan_name, "clan_name")?;
    let birth_date = registry_number.birth_date();
    if let Some(written) = text(raw.birth_date, "birth_date")? {
        let parsed = NaiveDate::parse_from_str(&written, "%Y-%m-%d").map_err(|_| {
            (
                "birth_date",
                "is not a date of the form YYYY-MM-DD".to_owned(),
            )
        })?;
        if parsed != birth_date {
            return Err((
                "birth_date",
                "does not match the birth date in the registry number".to_owned(),
            ));
        }
    }
    let gender = Gender::parse(raw.gender.as_deref().unwrap_or_default()).ok_or((
        "gender",
        "must be female or male (эмэгтэй, эрэгтэй)".to_owned(),
    ))?;
    let mut phone_numbers: Vec<PhoneNumber> = Vec::with_capacity(raw.phone_numbers.len());
    for phone in raw
        .phone_numbers
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
    {
        let phone = PhoneNumber::parse(phone).map_err(|e| ("phone_numbers", e.to_string()))?;
        if !phone_numbers.contains(&phone) {
            phone_numbers.push(phone);
        }
    }
    let email = text(raw.email, "email")?
        .map(|e| Email::parse(&e))
        .transpose()
        .map_err(|e| ("email", e.to_string()))?;
    let status = match text(raw.status, "status")?
        .as_deref()
        .map(str::to_lowercase)
        .as_deref()
    {
        None | Some("active") => CitizenStatus::Active,
        Some("deceased") => CitizenStatus::Deceased,
        Some("locked") => {
            return Err((
                "status",
                "locked is decided by security administrators, not by an import".to_owned(),
            ));
        }
        Some(_) => return Err(("status", "must be active or deceased".to_owned())),
    };
    Ok(CitizenRecord {
        registry_number,
        family_name,
        given_name,
        clan_name,
        birth_date,
        gender,
        phone_numbers,
        email,
        address: Address {
            aimag: text(raw.address.aimag, "aimag")?,
            soum: text(raw.address.soum, "soum")?,
            bag: text(raw.address.bag, "bag")?,
            text: text(raw.address.text, "address")?,
        },
        status,
    })
}

fn validated(line: u64, raw: RawRow) -> Result<CitizenRecord, Rejection> {
    validate(raw).map_err(|(column, reason)| Rejection {
        line,
        column: Some(column.to_owned()),
        reason,
    })
}

/// Refuses UTF-16 files (the usual export mistake) and skips a UTF-8 byte-order mark.
fn open_text(file: File, path: &Path) -> Result<(BufReader<File>, u64), ImportError> {
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let head = reader.fill_buf().map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::Malformed {
            line: 1,
            reason: "the file is UTF-16 text; save it as UTF-8 and import again".to_owned(),
        });
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
        return Ok((reader, 3));
    }
    Ok((reader, 0))
}

/// Longest CSV record read into memory. The `csv` crate buffers a record whole, so without a
/// bound one unclosed quote would make the rest of the file a single field held in memory.
const MAX_RECORD_BYTES: u64 = 1024 * 1024;

/// Counts the bytes read since the last complete record, and fails the read past the bound.
struct RecordLimit<R> {
    inner: R,
    since_record: Rc<Cell<u64>>,
}

/// The error a [`RecordLimit`] raises.
#[derive(Debug, thiserror::Error)]
#[error("a record longer than 1 MiB: is a quote left open?")]
struct RecordTooLong;

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        let since = self.since_record.get() + read as u64;
        self.since_record.set(since);
        if since > MAX_RECORD_BYTES {
            return Err(std::io::Error::other(RecordTooLong));
        }
        Ok(read)
    }
}

fn read_csv(file: File, path: &Path, batcher: &mut Batcher) -> Result<(), ImportError> {
    let (reader, offset) = open_text(file, path)?;
    let since_record = Rc::new(Cell::new(0));
    let limited = RecordLimit {
        inner: reader,
        since_record: since_record.clone(),
    };
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(limited);
    let malformed = |line: u64, reason: String| ImportError::Malformed { line, reason };
    let mut last_line = 0;
    let csv_error = |err: csv::Error, last_line: u64| {
        let line = err.position().map_or(last_line + 1, csv::Position::line);
        match err.into_kind() {
            csv::ErrorKind::Io(source)
                if source.get_ref().is_some_and(|e| e.is::<RecordTooLong>()) =>
            {
                malformed(
                    last_line + 1,
                    format!("{source}; nothing after line {last_line} was read"),
                )
            }
            csv::ErrorKind::Io(source) => ImportError::Io {
                path: path.to_owned(),
                source,
            },
            other => malformed(line, format!("not valid CSV: {other:?}")),
        }
    };
    let mut record = csv::ByteRecord::new();
    if !csv
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(e, 0))?
    {
        return Err(malformed(
            1,
            "the file is empty: a header row naming the columns is required".to_owned(),
        ));
    }
    let columns = header_columns(&record)?;
    loop {
        since_record.set(0);
        if !csv
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(e, last_line.max(1)))?
        {
            return Ok(());
        }
        let line = record.position().map_or(0, csv::Position::line);
        last_line = line;
        let bytes_read = csv.position().byte() + offset;
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            continue; // a blank line
        }
        let row = csv_row(line, &columns, &record).and_then(|raw| validated(line, raw));
        if !batcher.push(line, bytes_read, row) {
            return Ok(());
        }
    }
}

/// Reads the header: every column known, none twice, the required ones present.
fn header_columns(header: &csv::ByteRecord) -> Result<Vec<&'static str>, ImportError> {
    let malformed = |reason: String| ImportError::Malformed { line: 1, reason };
    let mut columns = Vec::with_capacity(header.len());
    for (index, name) in header.iter().enumerate() {
        let name = std::str::from_utf8(name).map_err(|_| {
            malformed("the header is not UTF-8 text; save the file as UTF-8".to_owned())
        })?;
        let name = name.trim().to_lowercase();
        let known = COLUMNS.iter().find(|c| **c == name).ok_or_else(|| {
            malformed(format!(
                "column {} of the header, {name:?}, is not a known column (known: {})",
                index + 1,
                COLUMNS.join(", ")
            ))
        })?;
        if columns.contains(known) {
            return Err(malformed(format!(
                "column {name:?} appears twice in the header"
            )));
        }
        columns.push(*known);
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !columns.contains(c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(malformed(format!(
            "the header lacks required column(s): {}",
            missing.join(", ")
        )));
    }
    Ok(columns)
}

fn csv_row(
    line: u64,
    columns: &[&'static str],
    record: &csv::ByteRecord,
) -> Result<RawRow, Rejection> {
    if record.len() != columns.len() {
        return Err(Rejection {
            line,
            column: None,
            reason: format!(
                "expected {} fields like the header, found {}",
                columns.len(),
                record.len()
            ),
        });
    }
    let mut raw = RawRow::default();
    for (column, bytes) in columns.iter().zip(record.iter()) {
        let value = std::str::from_utf8(bytes).map_err(|_| Rejection {
            line,
            column: Some((*column).to_owned()),
            reason: "is not valid UTF-8 text; the file must be saved as UTF-8".to_owned(),
        })?;
        let text = value;
        let value = Some(text.to_owned());
        match *column {
            "registry_number" => raw.registry_number = value,
            "family_name" => raw.family_name = value,
            "given_name" => raw.given_name = value,
            "clan_name" => raw.clan_name = value,
            "birth_date" => raw.birth_date = value,
            "gender" => raw.gender = value,
            "phone_numbers" => {
                raw.phone_numbers = text.split(';').map(str::to_owned).collect();
            }
            "email" => raw.email = value,
            "aimag" => raw.address.aimag = value,
            "soum" => raw.address.soum = value,
            "bag" => raw.address.bag = value,
            "address" => raw.address.text = value,
            _ => raw.status = value,
        }
    }
    Ok(raw)
}

/// Longest JSON Lines line read into memory; a longer one is skipped and reported.
const MAX_LINE_BYTES: u64 = 1024 * 1024;

fn read_jsonl(file: File, path: &Path, batcher: &mut Batcher) -> Result<(), ImportError> {
    let (mut reader, offset) = open_text(file, path)?;
    let io = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let mut buffer = Vec::with_capacity(1024);
    let mut line = 0u64;
    let mut bytes_read = offset;
    loop {
        buffer.clear();
        // Bound a single line, so one enormous "line" cannot exhaust memory.
        let read = (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut buffer)
            .map_err(io)?;
        if read == 0 {
            return Ok(());
        }
        line += 1;
        bytes_read += read as u64;
        let row = if !buffer.ends_with(b"\n") && read as u64 == MAX_LINE_BYTES {
            // Skip the rest of the line without keeping it.
            bytes_read += skip_line(&mut reader).map_err(io)?;
            Err(Rejection {
                line,
                column: None,
                reason: "the line is longer than 1 MiB".to_owned(),
            })
        } else {
            parse_json_line(line, &buffer)
        };
        let Some(row) = row.transpose() else {
            continue; // a blank line
        };
        if !batcher.push(line, bytes_read, row) {
            return Ok(());
        }
    }
}

/// Reads and drops everything up to and including the next newline; returns the bytes skipped.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(skipped);
        }
        let (used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(at) => (at + 1, true),
            None => (chunk.len(), false),
        };
        reader.consume(used);
        skipped += used as u64;
        if done {
            return Ok(skipped);
        }
    }
}

/// One JSON Lines line: `None` for a blank line, the record, or why it was refused.
fn parse_json_line(line: u64, buffer: &[u8]) -> Result<Option<CitizenRecord>, Rejection> {
    let row = match std::str::from_utf8(buffer) {
        Err(e) => Err(Rejection {
            line,
            column: Some(format!("byte {}", e.valid_up_to() + 1)),
            reason: "is not valid UTF-8 text; the file must be saved as UTF-8".to_owned(),
        }),
        Ok(text) if text.trim().is_empty() => return Ok(None),
        Ok(text) => serde_json::from_str::<RawRow>(text)
            .map_err(|e| json_rejection(line, &e))
            .and_then(|raw| validated(line, raw)),
    };
    row.map(Some)
}

/// Describes a JSON error without echoing the value it choked on.
fn json_rejection(line: u64, err: &serde_json::Error) -> Rejection {
    let column = Some(format!("character {}", err.column()));
    let message = err.to_string();
    let reason = match err.classify() {
        serde_json::error::Category::Data
            if message.starts_with("unknown field") || message.starts_with("missing field") =>
        {
            message.split(" at line").next().unwrap_or(&message).to_owned()
        }
        serde_json::error::Category::Data => {
            "a field has the wrong type (names, dates and codes are strings, phone_numbers an array of strings, address an object)".to_owned()
        }
        _ => "is not a valid JSON object".to_owned(),
    };
    Rejection {
        line,
        column,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(rn: &str) -> RawRow {
        RawRow {
            registry_number: Some(rn.to_owned()),
            family_name: Some("Жишээ".to_owned()),
            given_name: Some("Бат".to_owned()),
            gender: Some("эрэгтэй".to_owned()),
            ..RawRow::default()
        }
    }

    #[test]
    fn a_minimal_row_is_valid_and_takes_the_date_from_the_registry_number() {
        let record = validate(raw("уб 99032512")).unwrap();
        assert_eq!(record.registry_number.as_str(), "УБ99032512");
        assert_eq!(record.birth_date.to_string(), "1999-03-25");
        assert_eq!(record.gender, Gender::Male);
        assert_eq!(record.status, CitizenStatus::Active);
    }

    #[test]
    fn a_birth_date_that_disagrees_with_the_registry_number_is_refused() {
        let mut row = raw("УБ99032512");
        row.birth_date = Some("1999-03-26".to_owned());
        assert_eq!(validate(row).unwrap_err().0, "birth_date");
    }

    #[test]
    fn locked_cannot_be_imported() {
        let mut row = raw("УБ99032512");
        row.status = Some("locked".to_owned());
        let (column, reason) = validate(row).unwrap_err();
        assert_eq!(column, "status");
        assert!(reason.contains("administrators"));
    }

    #[test]
    fn json_errors_do_not_echo_values() {
        let err =
            serde_json::from_str::<RawRow>(r#"{"registry_number": ["УБ99032512"]}"#).unwrap_err();
        let rejection = json_rejection(7, &err);
        assert!(!rejection.reason.contains("УБ"), "{}", rejection.reason);
        assert_eq!(rejection.line, 7);
    }
}
