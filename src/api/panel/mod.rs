//! The panel: its files, the signed links that open it without the key
//! (`links`, `token`), and what such a link may do (`scoped`).

pub mod files;
pub mod links;
pub mod scoped;
pub mod token;
