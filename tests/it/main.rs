//! Integration tests: a real PostgreSQL, the real router, the real HTML. One binary, so the
//! suite builds and links once.

mod account_safety;
mod accounts;
mod architecture;
mod bilan;
mod decp;
mod decp_published;
mod demo_data;
mod embedded;
mod entry;
mod fuzz;
mod identity;
mod import;
mod integrity;
mod journeys;
mod matrix;
mod model;
mod numbers;
mod pages;
mod process;
mod reliability;
mod set_writes;
mod support;
mod uploads;
