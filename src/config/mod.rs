//! Settings: the compiled-in `config/default.toml`, then the operator's `--config FILE`,
//! then `NOTESD__SECTION__KEY` environment variables. Every value is converted to its type
//! once, at load (`raw.rs`), and the rules that a type cannot hold are checked then
//! (`check.rs`); every problem names its key, so an operator fixes a config in one pass.

mod check;
mod database;
mod keys;
mod raw;
mod smtp;
mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

use crate::note::Vocabulary;
use raw::RawSettings;

pub use database::{Backend, BadDatabaseUrl};
pub use keys::{CaFileError, DkimKeyError, SealFileError, load_dkim_key, load_seal, read_ca};
pub use smtp::{SmtpUrl, SmtpUrlError, TlsMode};
pub use values::{
    LogFormat, MAX_DURATION, MailTransport, PublicUrl, Secret, Sender, parse_duration, parse_size,
};

/// The built-in defaults, documented key by key.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// The configuration cannot be used; each problem names a key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration: {0}")]
    Load(String),
    #[error("the configuration ({sources}) has {} problem(s):\n{}", problems.len(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// Where the values came from: the defaults, the file, the environment.
        sources: String,
        problems: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub registry: RegistrySettings,
    pub mail: MailSettings,
    pub approval: ApprovalSettings,
    pub templates: TemplateSettings,
    pub log: LogSettings,
    pub render: RenderSettings,
    pub web: WebSettings,
    pub seal: SealSettings,
    pub lists: BTreeMap<String, Vec<Recipient>>,
    pub codes: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub bind: SocketAddr,
    pub public_url: PublicUrl,
    pub allow_insecure_links: bool,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: NonZeroUsize,
    pub shutdown_grace: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySettings {
    pub first_number: i64,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub dir: PathBuf,
    pub smtp_url: Option<SmtpUrl>,
    pub from: Sender,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    pub give_up_after: Duration,
    pub concurrency: NonZeroUsize,
    pub max_attachment: u64,
    pub download_ttl: Duration,
    /// PEM certificates trusted besides the system's roots for the SMTP relay's TLS.
    pub tls_ca_file: Option<PathBuf>,
    pub dkim: DkimSettings,
}

/// `mail.dkim.*`: all three set, or none (no signing).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkimSettings {
    pub domain: Option<String>,
    pub selector: Option<String>,
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSettings {
    pub steps: Vec<StepSettings>,
    #[serde(deserialize_with = "values::duration")]
    pub link_ttl: Duration,
    #[serde(deserialize_with = "values::duration")]
    pub remind_after: Duration,
    /// Whom each approver may hand a link on to: `{ "approver@x" = ["deputy@x"] }`.
    #[serde(default)]
    pub deputies: BTreeMap<String, Vec<String>>,
}

/// The web desk: how long a session and a sign-in link live.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    #[serde(deserialize_with = "values::duration")]
    pub session_ttl: Duration,
    #[serde(deserialize_with = "values::duration")]
    pub signin_link_ttl: Duration,
}

/// `seal.*`: the PKCS#12 file to seal issued PDFs with, if any, and where its password is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealSettings {
    pub pkcs12: Option<PathBuf>,
    pub password_env: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSettings {
    pub name: String,
    pub approvers: Vec<String>,
    pub rule: RuleSettings,
}

/// `"any"`, `"all"` or `{ at_least = N }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RuleSettings {
    Word(String),
    AtLeast { at_least: i64 },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSettings {
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
}

/// How much rendering the daemon takes on (issue 10, finding 1).
#[derive(Debug, Clone)]
pub struct RenderSettings {
    /// Renders at once; 0 for one per CPU (see [`RenderSettings::slots`]).
    pub concurrency: usize,
    pub max_pages: NonZeroUsize,
}

impl RenderSettings {
    /// Renders allowed at once: `concurrency`, or one per CPU when it is 0.
    pub fn slots(&self) -> usize {
        match self.concurrency {
            0 => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            n => n,
        }
    }

    /// The longest note, in pages.
    pub fn max_pages(&self) -> usize {
        self.max_pages.get()
    }
}

/// One entry of a distribution list: a delegation or another recipient.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub code: String,
    pub name: String,
    pub emails: Vec<String>,
}

impl Settings {
    /// Loads defaults, then `file` if given, then the environment, and validates.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(file, Environment::with_prefix("NOTESD"))
    }

    fn load_with_env(file: Option<&Path>, env: Environment) -> Result<Self, ConfigError> {
        let defaults = || File::from_str(DEFAULT_TOML, FileFormat::Toml);
        let mut builder = Config::builder().add_source(defaults());
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Load(format!(
                    "{}: no such file",
                    path.display()
                )));
            }
            builder = builder.add_source(File::from(path).format(FileFormat::Toml));
        }
        let env = env.prefix_separator("__").separator("__").try_parsing(true);
        let raw: RawSettings = builder
            .add_source(env)
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| match file {
                Some(path) => ConfigError::Load(format!("{}: {e}", path.display())),
                None => ConfigError::Load(e.to_string()),
            })?;
        let invalid = |problems| {
            let mut sources = vec!["built-in defaults".to_owned()];
            sources.extend(file.map(|f| f.display().to_string()));
            if std::env::vars().any(|(k, _)| k.starts_with("NOTESD__")) {
                sources.push("NOTESD__* environment".to_owned());
            }
            ConfigError::Invalid {
                sources: sources.join(" + "),
                problems,
            }
        };
        // A value that does not convert takes its default's, so that the rules across keys
        // are still checked and every problem is reported at once.
        let fallback: RawSettings = Config::builder()
            .add_source(defaults())
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError::Load(format!("the built-in defaults: {e}")))?;
        let (fallback, problems) = fallback.typed(None);
        let fallback = fallback
            .filter(|_| problems.is_empty())
            .ok_or_else(|| invalid(problems))?;
        let (settings, mut problems) = raw.typed(Some(&fallback));
        let Some(settings) = settings else {
            return Err(invalid(problems));
        };
        let unconverted: BTreeSet<String> = problems.iter().map(|p| key_of(p).to_owned()).collect();
        problems.extend(
            settings
                .problems()
                .into_iter()
                .filter(|p| !unconverted.contains(key_of(p))),
        );
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(invalid(problems))
        }
    }

    /// What a note spec may name: the configured codes and lists, and `templates`.
    pub fn vocabulary(&self, templates: BTreeSet<String>) -> Vocabulary {
        Vocabulary {
            codes: self.codes.keys().filter_map(|c| c.parse().ok()).collect(),
            lists: self.lists.keys().cloned().collect(),
            templates,
        }
    }
}

/// The key a problem `key: what is wrong` is about.
fn key_of(problem: &str) -> &str {
    problem.split_once(": ").map_or(problem, |(key, _)| key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::Rule;
    use std::collections::HashMap;
    use std::io::Write;

    fn env(vars: &[(&str, &str)]) -> Environment {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Environment::with_prefix("NOTESD").source(Some(map))
    }

    fn load(toml: Option<&str>, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let file = toml.map(|t| {
            let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
            f.write_all(t.as_bytes()).unwrap();
            f
        });
        Settings::load_with_env(file.as_ref().map(|f| f.path()), env(vars))
    }

    fn problems(toml: &str) -> String {
        load(Some(toml), &[]).unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_valid_and_match_interface_md() {
        let s = load(None, &[]).unwrap();
        assert_eq!(s.http.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.http.public_url.to_string(), "http://127.0.0.1:8080");
        assert_eq!(s.database.url.expose(), "sqlite://var/notesd.db");
        assert_eq!(s.registry.first_number, 5001);
        assert_eq!(s.mail.transport, MailTransport::File);
        assert_eq!(s.mail.retry_initial, Duration::from_secs(30));
        assert_eq!(s.mail.give_up_after, Duration::from_secs(72 * 3600));
        assert_eq!(s.mail.max_attachment, 10_000_000);
        assert_eq!(s.mail.download_ttl, Duration::from_secs(7 * 86_400));
        assert_eq!(s.mail.concurrency.get(), 8);
        assert_eq!(s.web.session_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(s.web.signin_link_ttl, Duration::from_secs(15 * 60));
        assert_eq!(s.approval.link_ttl, Duration::from_secs(72 * 3600));
        assert_eq!(s.log.format, LogFormat::Human);
    }

    #[test]
    fn the_27_delegations_are_in_protocol_order() {
        let s = load(None, &[]).unwrap();
        let codes: Vec<&str> = s.lists["delegations"]
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(
            codes.join(" "),
            "BE BG CZ DK DE EE IE EL ES FR HR IT CY LV LT LU HU MT NL AT PL PT RO SI SK FI SE"
        );
    }

    #[test]
    fn code_names_keep_their_case() {
        let v = load(None, &[]).unwrap().vocabulary(BTreeSet::new());
        for code in ["JAI", "CORDROGUE", "CFSP/PESC"] {
            assert!(
                v.codes.contains(&code.parse().unwrap()),
                "{code}: {:?}",
                v.codes
            );
        }
        assert_eq!(v.codes.len(), 21);
    }

    #[test]
    fn the_approval_chain_is_typed() {
        let s = load(
            Some(
                r#"
                [[approval.steps]]
                name = "Coordinators"
                approvers = ["a@pres.example", "b@pres.example"]
                rule = "any"
                [[approval.steps]]
                name = "Ambassadors"
                approvers = ["c@pres.example", "d@pres.example", "e@pres.example"]
                rule = { at_least = 2 }
                "#,
            ),
            &[],
        )
        .unwrap();
        let chain = s.approval_chain().unwrap();
        assert_eq!(chain.len(), 2, "the file's list replaces the default step");
        assert_eq!(chain[0].rule, Rule::Any);
        assert_eq!(chain[1].rule, Rule::AtLeast(2));
        assert_eq!(chain[1].approvers[2].as_str(), "e@pres.example");
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let s = load(
            Some("[registry]\nfirst_number = 6001\n[database]\nurl = \"sqlite://x.db\"\n"),
            &[(
                "NOTESD__DATABASE__URL",
                "postgres://postgres@127.0.0.1/notesd",
            )],
        )
        .unwrap();
        assert_eq!(s.registry.first_number, 6001);
        assert_eq!(
            s.database.url.expose(),
            "postgres://postgres@127.0.0.1/notesd"
        );
        let s = load(None, &[("NOTESD__MAIL__CONCURRENCY", "3")]).unwrap();
        assert_eq!(s.mail.concurrency.get(), 3);
    }

    #[test]
    fn adding_a_list_keeps_the_delegations() {
        let s = load(
            Some("[[lists.ministers]]\ncode = \"X\"\nname = \"X\"\nemails = [\"x@min.example\"]\n"),
            &[],
        )
        .unwrap();
        assert_eq!(s.lists["delegations"].len(), 27);
        assert_eq!(s.lists["ministers"].len(), 1);
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let report = problems(
            r#"
            [http]
            bind = "nowhere"
            public_url = "ftp://x"
            [database]
            url = "mysql://x"
            [registry]
            first_number = 0
            [mail]
            transport = "smtp"
            from = "nobody"
            concurrency = 0
            [approval]
            steps = [{ name = "A", approvers = ["a@x.example", "bad"], rule = { at_least = 3 } },
                     { name = "B", approvers = ["b@x.example"], rule = "most" }]
            [log]
            format = "xml"
            [[lists.ministers]]
            code = "X"
            name = "X"
            emails = ["not an address"]
            "#,
        );
        for expected in [
            "http.bind: `nowhere`",
            "http.public_url: `ftp://x`",
            "database.url:",
            "registry.first_number: 0",
            "mail.smtp_url: is required",
            "mail.from: `nobody`",
            "mail.concurrency: 0",
            "approval.steps[0].approvers[1]: `bad`",
            "approval.steps[0].rule.at_least: 3",
            "approval.steps[1].rule: `most`",
            "log.format: `xml`",
            "lists.ministers[0].emails[0]: `not an address`",
        ] {
            assert!(
                report.contains(expected),
                "missing {expected:?} in:\n{report}"
            );
        }
    }

    #[test]
    fn type_errors_and_unknown_keys_name_the_key() {
        let e = problems("[registry]\nfirst_number = \"many\"\n");
        assert!(e.contains("registry.first_number"), "{e}");
        let e = problems("[mail]\nretry_max = \"soon\"\n");
        assert!(e.contains("retry_max") && e.contains("`soon`"), "{e}");
        let e = problems("[registry]\nfirst_numbr = 1\n");
        assert!(e.contains("first_numbr"), "{e}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = Settings::load(Some(Path::new("/nonexistent/notesd.toml"))).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/notesd.toml"), "{e}");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = load(
            None,
            &[("NOTESD__DATABASE__URL", "postgres://u:hunter2@h/db")],
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn durations_beyond_ten_years_are_refused_with_their_key() {
        let e = problems("[mail]\nretry_max = \"99999999d\"\n");
        assert!(
            e.contains("mail.retry_max: 8639999913600s is longer than 3650d"),
            "{e}"
        );
        let e = problems("[approval]\nlink_ttl = \"3651d\"\n");
        assert!(e.contains("approval.link_ttl:"), "{e}");
        assert!(load(Some("[mail]\ndownload_ttl = \"3650d\"\n"), &[]).is_ok());
    }

    #[test]
    fn deputies_are_addresses() {
        let s = load(
            Some("[approval.deputies]\n\"a@council.example\" = [\"d@council.example\"]\n"),
            &[],
        )
        .unwrap();
        assert_eq!(
            s.approval.deputies["a@council.example"],
            ["d@council.example"]
        );
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        let e = problems("[approval.deputies]\n\"a@council.example\" = [\"nobody\"]\n");
        assert!(
            e.contains("approval.deputies.a@council.example: `nobody`"),
            "{e}"
        );
    }

    #[test]
    fn a_step_naming_an_approver_twice_is_refused() {
        let e = problems(
            r#"
            [[approval.steps]]
            name = "Coreper"
            approvers = ["b1@pres.example", "b2@pres.example", "B1@Pres.example"]
            rule = "all"
            "#,
        );
        assert!(
            e.contains("approval.steps[0].approvers[2]: `B1@Pres.example` is named twice"),
            "{e}"
        );
    }

    #[test]
    fn smtp_credentials_over_plain_text_are_refused() {
        for url in [
            "smtp://u:secret@relay.example:25?tls=none",
            "smtp://u:secret@relay.example:25?tls=opportunistic",
        ] {
            let e = problems(&format!(
                "[mail]\ntransport = \"smtp\"\nsmtp_url = \"{url}\"\n"
            ));
            assert!(
                e.contains("mail.smtp_url: credentials over plain text"),
                "{e}"
            );
            assert!(!e.contains("secret"), "{e}");
        }
        for url in [
            "smtp://u:secret@relay.example:587",
            "smtps://u:secret@relay.example",
            "smtp://127.0.0.1:2525?tls=none",
        ] {
            let toml = format!("[mail]\ntransport = \"smtp\"\nsmtp_url = \"{url}\"\n");
            assert!(load(Some(&toml), &[]).is_ok(), "{url}");
        }
        let e = problems("[mail]\ntls_ca_file = \"/nonexistent/ca.pem\"\n");
        assert!(e.contains("mail.tls_ca_file: /nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn public_url_on_plain_http_must_be_loopback_unless_allowed() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost/notes",
            "http://[::1]:80",
            "https://notes.example",
        ] {
            assert!(
                load(None, &[("NOTESD__HTTP__PUBLIC_URL", ok)]).is_ok(),
                "{ok}"
            );
        }
        let e = problems("[http]\npublic_url = \"http://notes.example:8080/x\"\n");
        assert!(
            e.contains("http.public_url") && e.contains("http.allow_insecure_links"),
            "{e}"
        );
        assert!(
            problems("[http]\npublic_url = \"http://user@127.0.0.1.example\"\n")
                .contains("127.0.0.1.example")
        );
        let allowed = "[http]\npublic_url = \"http://10.0.0.5\"\nallow_insecure_links = true\n";
        assert!(load(Some(allowed), &[]).is_ok());
    }

    #[test]
    fn http_bounds_are_checked() {
        let e = problems(
            "[http]\nheader_timeout = \"0s\"\nshutdown_grace = \"2d\"\nmax_connections = 0\n",
        );
        for key in [
            "http.header_timeout",
            "http.shutdown_grace",
            "http.max_connections",
        ] {
            assert!(e.contains(key), "{key} in {e}");
        }
    }

    #[test]
    fn render_limits_default_to_one_per_cpu_and_500_pages_and_are_checked() {
        let s = load(None, &[]).unwrap();
        let cpus = std::thread::available_parallelism().unwrap().get();
        assert_eq!((s.render.slots(), s.render.max_pages()), (cpus, 500));
        let s = load(Some("[render]\nconcurrency = 3\nmax_pages = 40\n"), &[]).unwrap();
        assert_eq!((s.render.slots(), s.render.max_pages()), (3, 40));
        let p = problems("[render]\nconcurrency = -1\nmax_pages = 0\n");
        assert!(p.contains("render.concurrency: -1 is not between 0"), "{p}");
        assert!(p.contains("render.max_pages: 0 is not between 1"), "{p}");
    }
}
