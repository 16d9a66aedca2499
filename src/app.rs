//! `Application::build` starts exactly what `notesd serve` runs, on the configured address
//! or on port 0 in tests: the database (migrated), the use cases, the HTTP server.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Settings;
use crate::service::Service;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Templates(#[from] crate::render::TemplateError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    service: Service,
}

impl Application {
    /// Connects to and migrates the database, then binds `http.bind`.
    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let store = Store::connect(settings.database.url.expose()).await?;
        store.migrate().await?;
        let service = Service::new(store, settings, clock)?;
        let listener = TcpListener::bind(&settings.http.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: settings.http.bind.clone(),
                source,
            })?;
        Ok(Self { listener, service })
    }

    /// The port actually bound (useful with `http.bind = "127.0.0.1:0"`).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Serves until `shutdown` completes, lets requests in flight finish, then closes the
    /// database so SQLite checkpoints its log.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let store = self.service.store().clone();
        let router = crate::http::router(self.service);
        let result = axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
        store.close().await;
        result
    }
}
