//! The use cases, each one transaction over the store plus pure logic: what the HTTP
//! handlers and the CLI call. Errors say what went wrong in the user's terms; the edges
//! map them to statuses and exit codes.

mod documents;
mod registry;
mod tokens;

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::note::{NoteId, SpecError, Vocabulary};
use crate::render::{RenderError, Renderer, TemplateError, Templates};
use crate::store::{Store, StoreError};
use crate::workflow::WorkflowError;

pub use documents::Pdf;
pub use registry::ListQuery;
pub use tokens::TokenError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(#[from] SpecError),
    #[error("no note with id {0}")]
    NotFound(String),
    #[error("{0}")]
    Workflow(#[from] WorkflowError),
    #[error("note {0} was changed by someone else meanwhile; reload it and apply your edit again")]
    Stale(NoteId),
    #[error("a missing, unknown or revoked API token")]
    Unauthorized,
    #[error("the note cannot be rendered: {0}")]
    Render(#[from] RenderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug, not a user's mistake: logged, answered with a generic 500.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Everything the use cases need, cheap to clone into each request.
#[derive(Clone)]
pub struct Service {
    store: Store,
    vocabulary: Arc<Vocabulary>,
    renderer: Arc<Renderer>,
    first_number: i64,
    clock: Arc<dyn Clock>,
}

impl Service {
    /// Loads the note templates (built-in, then `templates.dir`) and is ready to serve.
    pub fn new(
        store: Store,
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, TemplateError> {
        let templates = Templates::load(settings.templates.dir.as_deref())?;
        Ok(Self {
            store,
            vocabulary: Arc::new(settings.vocabulary(templates.names())),
            renderer: Arc::new(Renderer::new(templates)),
            first_number: settings.registry.first_number,
            clock,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
