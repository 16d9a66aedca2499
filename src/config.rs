//! Settings: the compiled-in `config/default.toml`, then the operator's `--config FILE`,
//! then `NOTESD__SECTION__KEY` environment variables. Everything is checked at start and
//! every problem names its key, so an operator fixes a config in one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use serde::{Deserialize, Deserializer};

use crate::address::EmailAddress;
use crate::note::Vocabulary;
use crate::reference::CodeName;
use crate::workflow::{Rule, Step};

/// The longest duration any key may hold: enough for any real setting, and far enough
/// from the calendar's end that times computed from it cannot overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(3650 * 86_400);

/// The built-in defaults, documented key by key.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

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

/// A value that must never appear in logs or `Debug` output (URLs with passwords).
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub registry: RegistrySettings,
    pub mail: MailSettings,
    pub approval: ApprovalSettings,
    #[serde(default)]
    pub templates: TemplateSettings,
    pub log: LogSettings,
    pub render: RenderSettings,
    pub web: WebSettings,
    pub lists: BTreeMap<String, Vec<Recipient>>,
    pub codes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub bind: String,
    pub public_url: String,
    pub allow_insecure_links: bool,
    #[serde(deserialize_with = "duration")]
    pub header_timeout: Duration,
    #[serde(deserialize_with = "duration")]
    pub body_timeout: Duration,
    #[serde(deserialize_with = "duration")]
    pub idle_timeout: Duration,
    pub max_connections: i64,
    #[serde(deserialize_with = "duration")]
    pub shutdown_grace: Duration,
}

/// The web desk: how long a session and a sign-in link live.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    #[serde(deserialize_with = "duration")]
    pub session_ttl: Duration,
    #[serde(deserialize_with = "duration")]
    pub signin_link_ttl: Duration,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: String,
    pub dir: PathBuf,
    pub smtp_url: Option<Secret>,
    pub from: String,
    #[serde(deserialize_with = "duration")]
    pub retry_initial: Duration,
    #[serde(deserialize_with = "duration")]
    pub retry_max: Duration,
    #[serde(deserialize_with = "duration")]
    pub give_up_after: Duration,
    pub concurrency: i64,
    #[serde(deserialize_with = "size")]
    pub max_attachment: u64,
    #[serde(deserialize_with = "duration")]
    pub download_ttl: Duration,
    /// PEM certificates trusted besides the system's roots for the SMTP relay's TLS.
    pub tls_ca_file: Option<PathBuf>,
    #[serde(default)]
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
    #[serde(deserialize_with = "duration")]
    pub link_ttl: Duration,
    #[serde(deserialize_with = "duration")]
    pub remind_after: Duration,
    /// Whom each approver may hand a link on to: `{ "approver@x" = ["deputy@x"] }`.
    #[serde(default)]
    pub deputies: BTreeMap<String, Vec<String>>,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: String,
}

/// How much rendering the daemon takes on (issue 10, finding 1).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderSettings {
    /// Renders at once; 0 for one per CPU (see [`RenderSettings::slots`]).
    pub concurrency: i64,
    pub max_pages: i64,
}

impl RenderSettings {
    /// Renders allowed at once: `concurrency`, or one per CPU when it is 0.
    pub fn slots(&self) -> usize {
        match usize::try_from(self.concurrency) {
            Ok(n) if n > 0 => n,
            _ => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        }
    }

    /// The longest note, in pages (checked positive by `problems`).
    pub fn max_pages(&self) -> usize {
        usize::try_from(self.max_pages).unwrap_or(1)
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
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
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
        let settings: Settings = builder
            .add_source(env)
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| match file {
                Some(path) => ConfigError::Load(format!("{}: {e}", path.display())),
                None => ConfigError::Load(e.to_string()),
            })?;
        let problems = settings.problems();
        if problems.is_empty() {
            Ok(settings)
        } else {
            let mut sources = vec!["built-in defaults".to_owned()];
            sources.extend(file.map(|f| f.display().to_string()));
            if std::env::vars().any(|(k, _)| k.starts_with("NOTESD__")) {
                sources.push("NOTESD__* environment".to_owned());
            }
            Err(ConfigError::Invalid {
                sources: sources.join(" + "),
                problems,
            })
        }
    }

    /// Every value that parses but cannot be used, as `key: what is wrong`.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let mut bad = |key: &str, msg: String| p.push(format!("{key}: {msg}"));
        if self.http.bind.parse::<SocketAddr>().is_err() {
            bad(
                "http.bind",
                format!(
                    "`{}` is not an address:port such as 127.0.0.1:8080",
                    self.http.bind
                ),
            );
        }
        let url = &self.http.public_url;
        if !(url.starts_with("http://") || url.starts_with("https://"))
            || url.contains(char::is_whitespace)
        {
            bad(
                "http.public_url",
                format!("`{url}` is not an http:// or https:// URL"),
            );
        }
        if let Some(host) = remote_plain_http_host(url)
            && !self.http.allow_insecure_links
        {
            bad(
                "http.public_url",
                format!(
                    "`{url}` sends approval and download links in clear text to {host}; use \
                     https:// or set http.allow_insecure_links = true"
                ),
            );
        }
        let second = Duration::from_secs(1);
        let hour = Duration::from_secs(3_600);
        for (key, value) in [
            ("http.header_timeout", self.http.header_timeout),
            ("http.body_timeout", self.http.body_timeout),
            ("http.idle_timeout", self.http.idle_timeout),
            ("http.shutdown_grace", self.http.shutdown_grace),
        ] {
            if !(second..=hour).contains(&value) {
                bad(key, format!("{value:?} is not between 1s and 1h"));
            }
        }
        if !(1..=65_536).contains(&self.http.max_connections) {
            bad(
                "http.max_connections",
                format!("{} is not between 1 and 65536", self.http.max_connections),
            );
        }
        if let Err(e) = crate::store::Backend::of_url(self.database.url.expose()) {
            bad("database.url", e.to_string());
        }
        if !(1..=99_999).contains(&self.registry.first_number) {
            bad(
                "registry.first_number",
                format!("{} is not between 1 and 99999", self.registry.first_number),
            );
        }
        match self.mail.transport.as_str() {
            "file" => {}
            "smtp" => match &self.mail.smtp_url {
                None => bad(
                    "mail.smtp_url",
                    "is required when mail.transport = \"smtp\"".to_owned(),
                ),
                Some(u) => {
                    if let Err(e) = crate::mail::SmtpUrl::parse(u.expose()) {
                        bad("mail.smtp_url", e.to_string());
                    }
                }
            },
            other => bad(
                "mail.transport",
                format!("`{other}` is neither \"file\" nor \"smtp\""),
            ),
        }
        if let Some(ca) = &self.mail.tls_ca_file
            && let Err(e) = crate::mail::read_ca(ca)
        {
            bad("mail.tls_ca_file", e.to_string());
        }
        let dkim = &self.mail.dkim;
        match (&dkim.domain, &dkim.selector, &dkim.key_file) {
            (None, None, None) => {}
            (Some(_), Some(_), Some(key_file)) => {
                if let Err(e) = crate::mail::load_dkim_key(key_file) {
                    bad("mail.dkim.key_file", e.to_string());
                }
            }
            (domain, selector, key_file) => {
                let missing = [
                    ("domain", domain.is_none()),
                    ("selector", selector.is_none()),
                    ("key_file", key_file.is_none()),
                ];
                for (key, _) in missing.iter().filter(|(_, missing)| *missing) {
                    bad(
                        &format!("mail.dkim.{key}"),
                        "is required when any mail.dkim key is set (all three, or none)".to_owned(),
                    );
                }
            }
        }
        for (key, value) in [
            ("mail.retry_initial", self.mail.retry_initial),
            ("mail.retry_max", self.mail.retry_max),
            ("mail.give_up_after", self.mail.give_up_after),
            ("mail.download_ttl", self.mail.download_ttl),
            ("approval.link_ttl", self.approval.link_ttl),
            ("approval.remind_after", self.approval.remind_after),
            ("web.session_ttl", self.web.session_ttl),
            ("web.signin_link_ttl", self.web.signin_link_ttl),
        ] {
            if value > MAX_DURATION {
                bad(
                    key,
                    format!(
                        "{}s is longer than {}d (ten years), the most any duration may be",
                        value.as_secs(),
                        MAX_DURATION.as_secs() / 86_400
                    ),
                );
            }
        }
        for (approver, deputies) in &self.approval.deputies {
            for address in std::iter::once(approver).chain(deputies) {
                if address.parse::<EmailAddress>().is_err() {
                    bad(
                        &format!("approval.deputies.{approver}"),
                        format!("`{address}` is not an email address"),
                    );
                }
            }
        }
        if mailbox_address(&self.mail.from).is_none() {
            bad(
                "mail.from",
                format!("`{}` is not `Name <address>` or an address", self.mail.from),
            );
        }
        if self.mail.retry_initial > self.mail.retry_max {
            bad(
                "mail.retry_initial",
                "is longer than mail.retry_max".to_owned(),
            );
        }
        if !(1..=256).contains(&self.mail.concurrency) {
            bad(
                "mail.concurrency",
                format!("{} is not between 1 and 256", self.mail.concurrency),
            );
        }
        if !(0..=1024).contains(&self.render.concurrency) {
            bad(
                "render.concurrency",
                format!(
                    "{} is not between 0 (one per CPU) and 1024",
                    self.render.concurrency
                ),
            );
        }
        if !(1..=100_000).contains(&self.render.max_pages) {
            bad(
                "render.max_pages",
                format!("{} is not between 1 and 100000", self.render.max_pages),
            );
        }
        if self.log.format != "human" && self.log.format != "json" {
            bad(
                "log.format",
                format!("`{}` is neither \"human\" nor \"json\"", self.log.format),
            );
        }
        if let Some(dir) = &self.templates.dir
            && !dir.is_dir()
        {
            bad(
                "templates.dir",
                format!("{} is not a folder", dir.display()),
            );
        }
        for (name, entries) in &self.lists {
            let key = format!("lists.{name}");
            if entries.is_empty() {
                bad(&key, "a list needs at least one entry".to_owned());
            }
            for (i, entry) in entries.iter().enumerate() {
                if entry.emails.is_empty() {
                    bad(
                        &format!("{key}[{i}].emails"),
                        format!("{} has no address", entry.name),
                    );
                }
                for (j, e) in entry.emails.iter().enumerate() {
                    if let Err(err) = e.parse::<EmailAddress>() {
                        bad(&format!("{key}[{i}].emails[{j}]"), err.to_string());
                    }
                }
            }
        }
        for code in self.codes.keys() {
            if let Err(e) = code.parse::<CodeName>() {
                bad(&format!("codes.{code}"), e.to_string());
            }
        }
        if let Err(chain) = self.approval_chain() {
            p.extend(chain);
        }
        p
    }

    /// The approval chain, typed; every problem as `key: what is wrong`.
    pub fn approval_chain(&self) -> Result<Vec<Step>, Vec<String>> {
        let mut problems = Vec::new();
        let mut bad = |key: String, msg: String| problems.push(format!("{key}: {msg}"));
        if self.approval.steps.is_empty() {
            bad(
                "approval.steps".into(),
                "the approval chain needs at least one step".into(),
            );
        }
        let mut steps = Vec::with_capacity(self.approval.steps.len());
        for (i, step) in self.approval.steps.iter().enumerate() {
            let key = format!("approval.steps[{i}]");
            if step.name.trim().is_empty() {
                bad(format!("{key}.name"), "must not be empty".into());
            }
            if step.approvers.is_empty() {
                bad(
                    format!("{key}.approvers"),
                    "a step needs at least one approver".into(),
                );
            }
            let mut approvers = Vec::with_capacity(step.approvers.len());
            // A step that names someone twice waits for a second decision from a person
            // whose one link is spent: an `all` step would never end.
            let mut seen = BTreeSet::new();
            for (j, a) in step.approvers.iter().enumerate() {
                match a.parse::<EmailAddress>() {
                    Ok(_) if !seen.insert(a.trim().to_lowercase()) => bad(
                        format!("{key}.approvers[{j}]"),
                        format!("`{a}` is named twice in this step (addresses ignore case)"),
                    ),
                    Ok(address) => approvers.push(address),
                    Err(e) => bad(format!("{key}.approvers[{j}]"), e.to_string()),
                }
            }
            let rule = match &step.rule {
                RuleSettings::Word(w) if w == "any" => Rule::Any,
                RuleSettings::Word(w) if w == "all" => Rule::All,
                RuleSettings::Word(w) => {
                    bad(
                        format!("{key}.rule"),
                        format!("`{w}` is not \"any\", \"all\" or {{ at_least = N }}"),
                    );
                    continue;
                }
                RuleSettings::AtLeast { at_least } => {
                    if *at_least < 1 || *at_least as usize > step.approvers.len() {
                        bad(
                            format!("{key}.rule.at_least"),
                            format!(
                                "{at_least} is not between 1 and the step's {} approver(s)",
                                step.approvers.len()
                            ),
                        );
                        continue;
                    }
                    Rule::AtLeast(*at_least as usize)
                }
            };
            steps.push(Step {
                name: step.name.trim().to_owned(),
                approvers,
                rule,
            });
        }
        if problems.is_empty() {
            Ok(steps)
        } else {
            Err(problems)
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

/// The host of a plain `http://` URL unless it is a loopback one (`localhost`, 127.0.0.0/8,
/// `[::1]`): links to it would cross a network in clear text.
fn remote_plain_http_host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("http://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then_some(host)
}

/// The address in `Name <address>` or a bare address.
fn mailbox_address(mailbox: &str) -> Option<EmailAddress> {
    let address = match mailbox.rsplit_once('<') {
        Some((_, rest)) => rest.strip_suffix('>')?,
        None => mailbox,
    };
    address.trim().parse().ok()
}

/// Parses `90s`, `30m`, `72h`, `7d`.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let err = || format!("`{input}` is not a duration such as 90s, 30m, 72h or 7d");
    let split = input.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
    let (number, unit) = input.split_at(split);
    let n: u64 = number.parse().map_err(|_| err())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(err()),
    };
    n.checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(err)
}

/// Parses `10MB`, `512KB`, `1GB` or a plain number of bytes (decimal units).
pub fn parse_size(input: &str) -> Result<u64, String> {
    let err = || format!("`{input}` is not a size such as 512KB or 10MB");
    let split = input
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(input.len());
    let (number, unit) = input.split_at(split);
    let n: u64 = number.parse().map_err(|_| err())?;
    let factor = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(err()),
    };
    n.checked_mul(factor).ok_or_else(err)
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    parse_duration(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    parse_size(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(s.http.bind, "127.0.0.1:8080");
        assert_eq!(s.http.public_url, "http://127.0.0.1:8080");
        assert_eq!(s.database.url.expose(), "sqlite://var/notesd.db");
        assert_eq!(s.registry.first_number, 5001);
        assert_eq!(s.mail.transport, "file");
        assert_eq!(s.mail.retry_initial, Duration::from_secs(30));
        assert_eq!(s.mail.give_up_after, Duration::from_secs(72 * 3600));
        assert_eq!(s.mail.max_attachment, 10_000_000);
        assert_eq!(s.mail.download_ttl, Duration::from_secs(7 * 86_400));
        assert_eq!(s.mail.concurrency, 8);
        assert_eq!(s.approval.link_ttl, Duration::from_secs(72 * 3600));
        assert_eq!(s.log.format, "human");
        assert_eq!(s.web.session_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(s.web.signin_link_ttl, Duration::from_secs(15 * 60));
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
        assert_eq!(s.mail.concurrency, 3);
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
    fn durations_and_sizes() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        for bad in ["", "10", "h", "1.5h", "-1s", "3 h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("512KB"), Ok(512_000));
        assert_eq!(parse_size("42"), Ok(42));
        assert!(parse_size("10MiB").is_err());
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
