//! `wa-loopback`: the loopback WhatsApp server as a program, with its
//! control API (`control.rs`), so a gateway process can be linked, sent
//! through and logged out from outside, as with the sim.
//!
//! `wa-loopback [--port 4100] [--control-port 4101]`; the gateway then runs
//! with `--features wa-loopback` and `WA_WS_URL=ws://127.0.0.1:4100/ws/chat`.

use anyhow::{Context, Result};
use std::sync::Arc;
use wa_loopback::{control, LoopbackServer};

#[tokio::main]
async fn main() -> Result<()> {
    let port = flag("--port")?.unwrap_or(4100);
    let control_port = flag("--control-port")?.unwrap_or(4101);
    let server = Arc::new(LoopbackServer::start_on(port).await?);
    let (control, _serving) = control::serve(server.clone(), control_port)?;
    println!("WhatsApp WebSocket (WA_WS_URL): {}", server.ws_url());
    println!("control API: http://{control}");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// The port given after `name`, if any.
fn flag(name: &str) -> Result<Option<u16>> {
    let args: Vec<String> = std::env::args().collect();
    let Some(at) = args.iter().position(|a| a == name) else {
        return Ok(None);
    };
    let value = args.get(at + 1).with_context(|| format!("{name} needs a port"))?;
    Ok(Some(
        value
            .parse()
            .with_context(|| format!("{name} {value:?} is not a port"))?,
    ))
}
