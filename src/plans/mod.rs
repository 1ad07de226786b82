//! Plans in the database: storing a draft, reading a plan back as a tree.

pub mod entry_store;
mod head;
pub mod kept;
pub mod organisation_log;
pub mod profile;
pub mod read;
pub mod services;
pub mod shared;
pub mod store;
pub mod structure;
pub mod values;
