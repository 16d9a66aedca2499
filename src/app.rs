//! `Application::build` starts exactly what `notesd serve` runs, on the configured address
//! or on port 0 in tests: the database (migrated), the use cases, the HTTP server, the
//! mail worker and the reminders' ticker.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Settings;
use crate::http::server::{self, Limits};
use crate::mail::{MailError, Mailer};
use crate::render::{TemplateError, TemplateSet};
use crate::service::{MailWorker, Service, SetupError, remind_until};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Templates(#[from] TemplateError),
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
    mailer: Arc<Mailer>,
    pages: TemplateSet,
    concurrency: usize,
    limits: Limits,
    body_timeout: Duration,
}

impl Application {
    /// Connects to and migrates the database, then binds `http.bind`.
    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let store = Store::connect(settings.database.url.expose()).await?;
        store.migrate().await?;
        let service = Service::new(store, settings, clock)?;
        let mailer = Arc::new(Mailer::new(settings)?);
        let pages = crate::http::approve::templates(settings.templates.dir.as_deref())?;
        let listener = TcpListener::bind(settings.http.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: settings.http.bind.to_string(),
                source,
            })?;
        Ok(Self {
            listener,
            service,
            mailer,
            pages,
            concurrency: settings.mail.concurrency.get(),
            limits: Limits::from(&settings.http),
            body_timeout: settings.http.body_timeout,
        })
    }

    /// The port actually bound (useful with `http.bind = "127.0.0.1:0"`).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Serves until `shutdown` completes, lets requests in flight finish for up to
    /// `http.shutdown_grace` and the mail in flight be sent and recorded, stops the
    /// reminders, then closes the database so SQLite checkpoints its log.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let store = self.service.store().clone();
        let (stop, stopped) = watch::channel(false);
        let worker = MailWorker::new(self.service.clone(), self.mailer, self.concurrency);
        let worker = tokio::spawn(worker.run(stopped.clone()));
        let reminders = tokio::spawn(remind_until(self.service.clone(), stopped.clone()));
        let router = crate::http::router(self.service, self.pages, self.body_timeout);
        let mut http_stopped = stopped;
        server::serve(self.listener, router, self.limits, async move {
            tokio::select! {
                () = shutdown => {}
                _ = http_stopped.changed() => {}
            }
        })
        .await;
        let _ = stop.send(true);
        if let Err(e) = worker.await {
            tracing::error!(error = %e, "the mail worker ended abnormally");
        }
        if let Err(e) = reminders.await {
            tracing::error!(error = %e, "the reminders' ticker ended abnormally");
        }
        store.close().await;
        Ok(())
    }
}
