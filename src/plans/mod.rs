//! Plans in the database: storing a draft, reading a plan back as a tree.

pub mod entry_store;
pub mod profile;
pub mod read;
pub mod shared;
pub mod store;
pub mod values;
