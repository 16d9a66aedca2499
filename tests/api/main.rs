//! Integration tests through the HTTP API of a real application on a real database.

mod concurrency;
mod documents;
mod errors;
mod helpers;
mod registration;
mod restart;
mod workflow;
