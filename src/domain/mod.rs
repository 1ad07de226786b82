//! The SPASER domain, free of HTTP and of the database: plan drafts, the reading of free-text
//! targets, the reading of a plan spreadsheet, accounts and roles, French numbers (one reader,
//! one formatting), and CSV files safe to open.

pub mod account;
pub mod cells;
pub mod chart;
pub mod colour;
pub mod columns;
pub mod comparator;
pub mod consolidate;
pub mod csv_file;
pub mod entry;
pub mod format;
pub mod ids;
pub mod logo;
pub mod model;
pub mod number;
pub mod organisation;
pub mod service;
pub mod sheet;
pub mod status;
pub mod structure;
pub mod targets;
pub mod years;
