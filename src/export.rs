//! `loyalty export --format jsonl|parquet [--from] [--to] --output FILE`:
//! the event log for a data warehouse, one row per event that took effect
//! (repeats and superseded writers' events are left out by the same
//! sequence gate every reader uses), in log order, optionally limited to a
//! business-time range. The schema is in README ("Analytics export").

use crate::log_source::LogArgs;
use anyhow::Context;
use arrow_array::{
    ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use event_log::{SnapshotReader, StoredRecord};
use indicatif::{ProgressBar, ProgressStyle};
use ledger_core::chain::digest;
use ledger_core::codec::{from_envelope, meta_of, stamp_of};
use ledger_core::sequence::Gates;
use ledger_core::{trail, Time};
use loyalty_proto::{EventEnvelope, Message as _};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Parquet,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub log: LogArgs,
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// First business time to export (RFC 3339, or a date: from its start).
    #[arg(long)]
    pub from: Option<String>,
    /// Last business time to export (RFC 3339, or a date: to its end).
    #[arg(long)]
    pub to: Option<String>,
    /// The file to write.
    #[arg(long)]
    pub output: PathBuf,
}

/// One exported event.
#[derive(Serialize)]
pub struct Row {
    pub partition: u32,
    pub offset: u64,
    pub event_id: String,
    pub program_id: String,
    pub account_id: String,
    pub sequence: u64,
    pub event_type: String,
    pub transaction_id: String,
    pub occurred_at: Time,
    pub recorded_at: Time,
    pub program_version: u32,
    pub writer_id: String,
    pub hash: String,
    pub prev_hash: String,
    /// Comma-separated.
    pub currencies: String,
    /// Comma-separated.
    pub partners: String,
    /// The event's recorded facts (JSON).
    pub body: serde_json::Value,
}

/// Rows written per Parquet row group batch.
const BATCH_ROWS: usize = 8_192;

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    use query_service::point::{parse_start, parse_time};
    let bad = |e: query_service::QueryError| anyhow::anyhow!("{e}");
    let from = args
        .from
        .as_deref()
        .map(parse_start)
        .transpose()
        .map_err(bad)?;
    let to = args
        .to
        .as_deref()
        .map(parse_time)
        .transpose()
        .map_err(bad)?;
    let log = args.log.open().await?;
    let end = log.end_offsets().await?;
    let total: u64 = end.iter().sum();
    let mut sink = Sink::create(args.format, &args.output)?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} exporting [{elapsed_precise}] {bar:40} {pos}/{len} records ({per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut gates: Gates<StoredRecord> = Gates::default();
    let mut snapshot = SnapshotReader::until(&*log, end, BATCH_ROWS).await?;
    let (mut read, mut written) = (0u64, 0u64);
    while let Some(batch) = snapshot.next_batch().await? {
        read += batch.len() as u64;
        for record in batch {
            let env = decode(&record)?;
            let account = format!("{}/{}", env.program_id, env.account_id);
            let stamp = stamp_of(&env);
            for effective in gates.offer(&account, stamp, record.clone()) {
                let row = row(&effective)?;
                if from.is_none_or(|f| row.occurred_at >= f)
                    && to.is_none_or(|t| row.occurred_at <= t)
                {
                    sink.push(row)?;
                    written += 1;
                }
            }
        }
        bar.set_position(read);
    }
    sink.finish()?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "exported {written} events of {read} records to {} in {secs:.1} s ({:.0} records/s)",
        args.output.display(),
        read as f64 / secs.max(1e-9)
    );
    Ok(())
}

fn decode(r: &StoredRecord) -> anyhow::Result<EventEnvelope> {
    EventEnvelope::decode(r.payload.as_slice())
        .with_context(|| format!("record {}:{} does not decode", r.partition, r.offset))
}

fn row(r: &StoredRecord) -> anyhow::Result<Row> {
    let env = decode(r)?;
    let at = || format!("record {}:{}", r.partition, r.offset);
    let meta = meta_of(&env).with_context(at)?;
    let event = from_envelope(&env).with_context(at)?;
    let join =
        |ids: std::collections::BTreeSet<&str>| ids.into_iter().collect::<Vec<_>>().join(",");
    Ok(Row {
        partition: r.partition,
        offset: r.offset,
        event_id: meta.event_id,
        program_id: meta.program_id,
        account_id: meta.account_id,
        sequence: meta.sequence,
        event_type: event.body.name().to_string(),
        transaction_id: event.transaction_id.clone(),
        occurred_at: event.occurred_at,
        recorded_at: meta.recorded_at,
        program_version: event.program_version,
        writer_id: meta.writer_id,
        hash: digest(&r.payload),
        prev_hash: meta.prev_hash,
        currencies: join(trail::currencies(&event.body)),
        partners: join(trail::partners(&event.body)),
        body: serde_json::to_value(&event.body)?,
    })
}

enum Sink {
    Jsonl(BufWriter<File>),
    Parquet {
        writer: Box<ArrowWriter<File>>,
        rows: Vec<Row>,
    },
}

impl Sink {
    fn create(format: Format, path: &PathBuf) -> anyhow::Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        Ok(match format {
            Format::Jsonl => Sink::Jsonl(BufWriter::new(file)),
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .build();
                Sink::Parquet {
                    writer: Box::new(ArrowWriter::try_new(file, schema(), Some(props))?),
                    rows: Vec::with_capacity(BATCH_ROWS),
                }
            }
        })
    }

    fn push(&mut self, row: Row) -> anyhow::Result<()> {
        match self {
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &row)?;
                out.write_all(b"\n")?;
            }
            Sink::Parquet { writer, rows } => {
                rows.push(row);
                if rows.len() == BATCH_ROWS {
                    writer.write(&record_batch(rows)?)?;
                    rows.clear();
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Parquet { mut writer, rows } => {
                if !rows.is_empty() {
                    writer.write(&record_batch(&rows)?)?;
                }
                writer.close()?;
            }
        }
        Ok(())
    }
}

/// The Parquet schema (README "Analytics export").
pub fn schema() -> Arc<Schema> {
    let time = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("partition", DataType::UInt32, false),
        Field::new("offset", DataType::UInt64, false),
        Field::new("event_id", DataType::Utf8, false),
        Field::new("program_id", DataType::Utf8, false),
        Field::new("account_id", DataType::Utf8, false),
        Field::new("sequence", DataType::UInt64, false),
        Field::new("event_type", DataType::Utf8, false),
        Field::new("transaction_id", DataType::Utf8, false),
        Field::new("occurred_at", time(), false),
        Field::new("recorded_at", time(), false),
        Field::new("program_version", DataType::UInt32, false),
        Field::new("writer_id", DataType::Utf8, false),
        Field::new("hash", DataType::Utf8, false),
        Field::new("prev_hash", DataType::Utf8, false),
        Field::new("currencies", DataType::Utf8, false),
        Field::new("partners", DataType::Utf8, false),
        Field::new("body", DataType::Utf8, false),
    ]))
}

fn record_batch(rows: &[Row]) -> anyhow::Result<RecordBatch> {
    let strings = |f: &dyn Fn(&Row) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let times = |f: &dyn Fn(&Row) -> Time| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(
                rows.iter().map(|r| f(r).timestamp_micros()),
            )
            .with_timezone("UTC"),
        )
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(
            rows.iter().map(|r| r.partition),
        )),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.offset))),
        strings(&|r| r.event_id.clone()),
        strings(&|r| r.program_id.clone()),
        strings(&|r| r.account_id.clone()),
        Arc::new(UInt64Array::from_iter_values(
            rows.iter().map(|r| r.sequence),
        )),
        strings(&|r| r.event_type.clone()),
        strings(&|r| r.transaction_id.clone()),
        times(&|r| r.occurred_at),
        times(&|r| r.recorded_at),
        Arc::new(UInt32Array::from_iter_values(
            rows.iter().map(|r| r.program_version),
        )),
        strings(&|r| r.writer_id.clone()),
        strings(&|r| r.hash.clone()),
        strings(&|r| r.prev_hash.clone()),
        strings(&|r| r.currencies.clone()),
        strings(&|r| r.partners.clone()),
        strings(&|r| r.body.to_string()),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}
