//! The figures: one row per measurement, printed as a Markdown table (so it
//! can be pasted into the README) and optionally written as JSON.

use crate::cli::Args;
use serde::Serialize;
use serde_json::json;

/// One measured figure set.
#[derive(Debug, Default, Serialize)]
pub struct Row {
    pub measure: String,
    pub backend: String,
    /// Completed operations per second, where a rate makes sense.
    pub per_second: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// A single figure with its unit (MB, ms, a ratio...).
    pub value: Option<String>,
    /// How it was measured: counts, failures, the target.
    pub note: String,
}

pub fn table(rows: &[Row]) -> String {
    let mut out = String::from("| measure | backend | per s | p50 ms | p99 ms | value | note |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | --- |\n");
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            row.measure,
            row.backend,
            figure(row.per_second, 0),
            figure(row.p50_ms, 2),
            figure(row.p99_ms, 2),
            row.value.as_deref().unwrap_or(""),
            row.note
        ));
    }
    out
}

fn figure(value: Option<f64>, decimals: usize) -> String {
    value.map(|v| format!("{v:.decimals$}")).unwrap_or_default()
}

pub fn json(args: &Args, rows: &[Row]) -> anyhow::Result<String> {
    let doc = json!({
        "cpus": std::thread::available_parallelism().map(usize::from).unwrap_or(0),
        "quick": args.quick,
        "rows": rows,
    });
    Ok(serde_json::to_string_pretty(&doc)?)
}
