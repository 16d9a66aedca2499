//! Integration tests through the HTTP API of a real application on a real database.

mod approval;
mod concurrency;
mod distribution;
mod documents;
mod errors;
mod helpers;
mod outbox;
mod registration;
mod rendering;
mod restart;
#[path = "../common/smtp.rs"]
mod smtp;
mod workflow;
