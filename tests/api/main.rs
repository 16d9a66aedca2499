//! Integration tests through the HTTP API of a real application on a real database.

mod approval;
mod approver_page;
mod attack;
mod concurrency;
mod contract;
mod desk;
mod distribution;
mod documents;
mod errors;
mod hardening;
mod helpers;
mod mail_tls;
mod metrics;
mod outbox;
mod registration;
mod rendering;
mod restart;
mod scope;
mod seal;
mod series;
#[path = "../common/smtp.rs"]
mod smtp;
mod verify;
mod workflow;
