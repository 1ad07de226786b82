//! spaser: steering a public buyer's SPASER — its plan, yearly targets and values, and bilan.

pub mod auth;
pub mod bilan;
pub mod cli;
pub mod contracts;
pub mod db;
pub mod decp;
pub mod demo;
pub mod domain;
pub mod import;
pub mod mail;
pub mod plans;
pub mod tools;
pub mod web;
