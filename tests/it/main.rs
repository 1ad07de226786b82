//! Integration tests: a real PostgreSQL, the real router, the real HTML. One binary, so the
//! suite builds and links once.

mod account_safety;
mod accounts;
mod architecture;
mod bilan;
mod decp;
mod decp_published;
mod demo_data;
mod documents;
mod embedded;
mod entry;
mod fuzz;
mod identity;
mod import;
mod import_layouts;
mod integrity;
mod journeys;
mod logo;
mod mail;
mod matrix;
mod model;
mod numbers;
mod pages;
mod process;
mod reliability;
mod review_cycle;
mod services;
mod set_writes;
mod setup;
mod shared;
mod structure;
mod support;
mod uploads;
