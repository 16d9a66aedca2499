//! The configuration as written: what serde reads without knowing what a value means, and
//! its conversion to [`Settings`], each value to its type, naming the key of each that does
//! not convert.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::values::{self, LogFormat, MailTransport, Secret};
use super::{
    ApprovalSettings, DatabaseSettings, DkimSettings, HttpSettings, LogSettings, MailSettings,
    Recipient, RegistrySettings, RenderSettings, SealSettings, Settings, SmtpUrl, TemplateSettings,
    WebSettings,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    http: RawHttp,
    database: DatabaseSettings,
    registry: RegistrySettings,
    mail: RawMail,
    approval: ApprovalSettings,
    #[serde(default)]
    templates: TemplateSettings,
    log: RawLog,
    render: RawRender,
    web: WebSettings,
    seal: SealSettings,
    lists: BTreeMap<String, Vec<Recipient>>,
    codes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    bind: String,
    public_url: String,
    allow_insecure_links: bool,
    #[serde(deserialize_with = "values::duration")]
    header_timeout: Duration,
    #[serde(deserialize_with = "values::duration")]
    body_timeout: Duration,
    #[serde(deserialize_with = "values::duration")]
    idle_timeout: Duration,
    max_connections: i64,
    #[serde(deserialize_with = "values::duration")]
    shutdown_grace: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    transport: String,
    dir: PathBuf,
    smtp_url: Option<Secret>,
    from: String,
    #[serde(deserialize_with = "values::duration")]
    retry_initial: Duration,
    #[serde(deserialize_with = "values::duration")]
    retry_max: Duration,
    #[serde(deserialize_with = "values::duration")]
    give_up_after: Duration,
    concurrency: i64,
    #[serde(deserialize_with = "values::size")]
    max_attachment: u64,
    #[serde(deserialize_with = "values::duration")]
    download_ttl: Duration,
    tls_ca_file: Option<PathBuf>,
    #[serde(default)]
    dkim: DkimSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRender {
    concurrency: i64,
    max_pages: i64,
}

impl RawSettings {
    /// Every value converted to its type, and a `key: what is wrong` for each that does not
    /// convert. Such a value takes `fallback`'s; without a fallback there are no settings.
    pub(super) fn typed(self, fallback: Option<&Settings>) -> (Option<Settings>, Vec<String>) {
        let mut p = Problems::default();
        let (http, mail) = (self.http, self.mail);
        let bind = http.bind.parse::<SocketAddr>().map_err(|_| {
            format!(
                "`{}` is not an address:port such as 127.0.0.1:8080",
                http.bind
            )
        });
        let bind = p.field("http.bind", bind, fallback.map(|f| f.http.bind));
        let public_url = p.field(
            "http.public_url",
            http.public_url.parse(),
            fallback.map(|f| f.http.public_url.clone()),
        );
        let max_connections = p.field(
            "http.max_connections",
            positive(http.max_connections, 65_536),
            fallback.map(|f| f.http.max_connections),
        );
        let transport = mail
            .transport
            .parse::<MailTransport>()
            .map_err(|_| format!("`{}` is neither \"file\" nor \"smtp\"", mail.transport));
        let transport = p.field(
            "mail.transport",
            transport,
            fallback.map(|f| f.mail.transport),
        );
        let smtp_url = match &mail.smtp_url {
            None => Some(None),
            Some(url) => p.field(
                "mail.smtp_url",
                url.expose()
                    .parse::<SmtpUrl>()
                    .map(Some)
                    .map_err(|e| e.to_string()),
                fallback.map(|f| f.mail.smtp_url.clone()),
            ),
        };
        let from = p.field(
            "mail.from",
            mail.from.parse(),
            fallback.map(|f| f.mail.from.clone()),
        );
        let mail_concurrency = p.field(
            "mail.concurrency",
            positive(mail.concurrency, 256),
            fallback.map(|f| f.mail.concurrency),
        );
        let log_format = self
            .log
            .format
            .parse::<LogFormat>()
            .map_err(|_| format!("`{}` is neither \"human\" nor \"json\"", self.log.format));
        let log_format = p.field("log.format", log_format, fallback.map(|f| f.log.format));
        let render_concurrency = usize::try_from(self.render.concurrency)
            .ok()
            .filter(|n| *n <= 1024)
            .ok_or_else(|| {
                format!(
                    "{} is not between 0 (one per CPU) and 1024",
                    self.render.concurrency
                )
            });
        let render_concurrency = p.field(
            "render.concurrency",
            render_concurrency,
            fallback.map(|f| f.render.concurrency),
        );
        let max_pages = p.field(
            "render.max_pages",
            positive(self.render.max_pages, 100_000),
            fallback.map(|f| f.render.max_pages),
        );
        let settings = (|| {
            Some(Settings {
                http: HttpSettings {
                    bind: bind?,
                    public_url: public_url?,
                    allow_insecure_links: http.allow_insecure_links,
                    header_timeout: http.header_timeout,
                    body_timeout: http.body_timeout,
                    idle_timeout: http.idle_timeout,
                    max_connections: max_connections?,
                    shutdown_grace: http.shutdown_grace,
                },
                database: self.database,
                registry: self.registry,
                mail: MailSettings {
                    transport: transport?,
                    dir: mail.dir,
                    smtp_url: smtp_url?,
                    from: from?,
                    retry_initial: mail.retry_initial,
                    retry_max: mail.retry_max,
                    give_up_after: mail.give_up_after,
                    concurrency: mail_concurrency?,
                    max_attachment: mail.max_attachment,
                    download_ttl: mail.download_ttl,
                    tls_ca_file: mail.tls_ca_file,
                    dkim: mail.dkim,
                },
                approval: self.approval,
                templates: self.templates,
                log: LogSettings {
                    format: log_format?,
                },
                render: RenderSettings {
                    concurrency: render_concurrency?,
                    max_pages: max_pages?,
                },
                web: self.web,
                seal: self.seal,
                lists: self.lists,
                codes: self.codes,
            })
        })();
        (settings, p.0)
    }
}

/// What did not convert, as `key: what is wrong`.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    /// `value`, or `fallback` when it did not convert.
    fn field<T>(&mut self, key: &str, value: Result<T, String>, fallback: Option<T>) -> Option<T> {
        value
            .map_err(|e| self.0.push(format!("{key}: {e}")))
            .ok()
            .or(fallback)
    }
}

/// A count from 1 to `most`.
fn positive(n: i64, most: usize) -> Result<NonZeroUsize, String> {
    usize::try_from(n)
        .ok()
        .and_then(NonZeroUsize::new)
        .filter(|v| v.get() <= most)
        .ok_or_else(|| format!("{n} is not between 1 and {most}"))
}
