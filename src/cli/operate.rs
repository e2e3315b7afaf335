//! Operator commands against a running gateway: list the instances, show
//! an instance's QR code in the terminal, queue a text. Each returns the
//! text to print.

use super::client::{ApiClient, ClientError};
use clap::Subcommand;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Debug, Clone, Subcommand)]
pub enum Operation {
    /// List the instances of a running gateway.
    Instances,
    /// Draw an instance's QR code in the terminal, to scan it (starts pairing if needed).
    Qr {
        /// The instance id, e.g. wa-01.
        id: String,
    },
    /// Queue a text message on an instance.
    Send {
        /// The instance id, e.g. wa-01.
        id: String,
        /// The recipient's phone number, e.g. +5511999999999.
        to: String,
        /// The text to send.
        text: String,
    },
}

/// How long `qr` waits for a code to appear.
const QR_WAIT: Duration = Duration::from_secs(15);
const QR_POLL: Duration = Duration::from_millis(300);

pub async fn run(client: &ApiClient, operation: &Operation) -> Result<String, ClientError> {
    match operation {
        Operation::Instances => instances(client).await,
        Operation::Qr { id } => qr(client, id).await,
        Operation::Send { id, to, text } => {
            let body = json!({ "instanceId": id, "to": to, "message": text });
            let answer = client.post("/api/send", &body).await?;
            Ok(format!("{} {}", field(&answer, "status"), field(&answer, "id")))
        }
    }
}

async fn instances(client: &ApiClient) -> Result<String, ClientError> {
    let answer = client.get("/api/instances").await?;
    let items = answer["instances"].as_array().cloned().unwrap_or_default();
    let mut out = format!(
        "{:<20} {:<13} {:<17} {:>6}  {}",
        "ID", "STATUS", "PHONE", "QUEUED", "ALIAS"
    );
    for item in &items {
        out.push_str(&format!(
            "\n{:<20} {:<13} {:<17} {:>6}  {}",
            field(item, "instanceId"),
            field(item, "status"),
            field(item, "phone"),
            item["queueDepth"].as_u64().unwrap_or(0),
            field(item, "phoneAlias"),
        ));
    }
    Ok(out)
}

async fn qr(client: &ApiClient, id: &str) -> Result<String, ClientError> {
    let path = format!("/api/wa/qr/{id}");
    let deadline = tokio::time::Instant::now() + QR_WAIT;
    loop {
        let answer = client.get(&path).await?;
        if answer["detailedStatus"] == "ONLINE" {
            return Ok(format!("{id} is already linked ({})", field(&answer, "phone")));
        }
        if let Some(code) = answer["code"].as_str() {
            let drawn = crate::support::qr::terminal(code).map_err(|e| ClientError::Other(e.to_string()))?;
            return Ok(format!("{drawn}\nScan with WhatsApp > Linked devices ({id})"));
        }
        if tokio::time::Instant::now() >= deadline {
            let status = field(&answer, "status");
            return Err(ClientError::Other(format!(
                "{id} shows no QR code (status {status})"
            )));
        }
        tokio::time::sleep(QR_POLL).await;
    }
}

/// A string field, or `-` when absent.
fn field<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name].as_str().unwrap_or("-")
}
