//! The panel: its files, the signed links that open it without the key
//! (`links`, `token`), sign-in from inside GHL (`sso`, `sso_access`), and
//! what such a token may do (`scoped`).

pub mod files;
pub mod links;
pub mod scoped;
pub mod sso;
pub mod sso_access;
pub mod token;
