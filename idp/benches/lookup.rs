//! Lookup of citizens by registry number: latency percentiles over a stored directory.
//!
//! ```text
//! DAN_BENCH_DATABASE_URL=sqlite://./data/dan.sqlite cargo bench -p idp --bench lookup
//! DAN_BENCH_DATABASE_URL=postgres://… DAN_BENCH_LOOKUPS=20000 cargo bench -p idp --bench lookup
//! ```
//!
//! Samples registry numbers from the directory itself (plus 10% unknown numbers, which must be
//! just as fast), warms up, then times each `find_by_registry_number` one after the other.

use std::time::{Duration, Instant};

use idp::citizens::{CitizenDirectory, RegistryNumber};
use idp::database::{Database, DatabaseOptions};
use sea_orm::{ConnectionTrait, Statement};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if !std::env::args().any(|a| a == "--bench") {
        // Run as a test (`cargo test --all-targets`, test listers): there is nothing to check.
        return Ok(());
    }
    let url = std::env::var("DAN_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "sqlite://./data/dan.sqlite".to_owned());
    let lookups: usize = std::env::var("DAN_BENCH_LOOKUPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let db = Database::connect(&DatabaseOptions {
        url: url.clone(),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(5),
    })
    .await?;
    let directory = db.citizens();
    let stored = directory.count().await?;
    let backend = db.connection().get_database_backend();
    let sample = db
        .connection()
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT registry_number FROM citizens ORDER BY random() LIMIT {lookups}"),
        ))
        .await?;
    let mut numbers: Vec<RegistryNumber> = sample
        .iter()
        .filter_map(|row| row.try_get::<String>("", "registry_number").ok())
        .filter_map(|rn| RegistryNumber::parse(&rn).ok())
        .collect();
    if numbers.is_empty() {
        return Err("the directory is empty: import citizens first".into());
    }
    for i in 0..numbers.len() / 10 {
        // Unknown numbers: letters no generator uses with a valid date.
        numbers[i * 10] = RegistryNumber::parse(&format!("ЪЪ9901{:02}{:02}", i % 28 + 1, i % 100))?;
    }
    for rn in numbers.iter().take(1_000) {
        directory.find_by_registry_number(rn).await?;
    }
    let mut latencies = Vec::with_capacity(numbers.len());
    let started = Instant::now();
    let mut found = 0usize;
    for rn in &numbers {
        let t = Instant::now();
        found += usize::from(directory.find_by_registry_number(rn).await?.is_some());
        latencies.push(t.elapsed());
    }
    let total = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "lookup by registry number on {} with {stored} citizens: {} lookups ({found} found), \
         p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs, {:.0} lookups/s",
        idp::database::redact_url(&url),
        latencies.len(),
        us(pct(0.50)),
        us(pct(0.90)),
        us(pct(0.99)),
        us(*latencies.last().unwrap_or(&Duration::ZERO)),
        latencies.len() as f64 / total.as_secs_f64(),
    );
    db.close().await?;
    Ok(())
}
