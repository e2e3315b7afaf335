//! The original gateway's routes (`/api/wa/*`) in its own words, so its
//! web UI and scripts keep working: the words (`words`), linking and
//! steering (`wa`), the QR routes (`qr`).

pub(super) mod qr;
pub(super) mod wa;
pub(super) mod words;
