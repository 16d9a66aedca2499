//! notesd drafts Council NOTE documents with correct reference numbers and subject codes,
//! routes them through the Presidency's approval chain and mails the issued PDFs to the
//! delegations. `main.rs` is a thin command line over this library.

pub mod access;
pub mod address;
pub mod app;
pub mod clock;
pub mod config;
pub mod diff;
pub mod files;
pub mod http;
pub mod link;
pub mod mail;
pub mod metrics;
pub mod named_enum;
pub mod note;
pub mod outbox;
pub mod reference;
pub mod render;
pub mod seal;
pub mod secret;
pub mod service;
pub mod store;
pub mod workflow;
