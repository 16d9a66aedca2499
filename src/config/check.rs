//! The rules a value's type cannot hold: across keys (`mail.transport` and
//! `mail.smtp_url`, `http.public_url` and `http.allow_insecure_links`, the DKIM keys, an
//! approval step's rule and its approvers), bounds of durations and numbers, and the files
//! the configuration names.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{
    Backend, MAX_DURATION, MailTransport, RuleSettings, Settings, load_dkim_key, load_seal, read_ca,
};
use crate::address::EmailAddress;
use crate::reference::CodeName;
use crate::workflow::{Rule, Step};

impl Settings {
    /// Every value that converted to its type but cannot be used, as `key: what is wrong`:
    /// the rules across keys, bounds a type does not hold, and the files the keys name.
    /// `load` applies them; so can a caller that changed settings it loaded.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let mut bad = |key: &str, msg: String| p.push(format!("{key}: {msg}"));
        let url = &self.http.public_url;
        if let Some(host) = url.remote_plain_http_host()
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
        if let Err(e) = Backend::of_url(self.database.url.expose()) {
            bad("database.url", e.to_string());
        }
        if !(1..=99_999).contains(&self.registry.first_number) {
            bad(
                "registry.first_number",
                format!("{} is not between 1 and 99999", self.registry.first_number),
            );
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp_url.is_none() {
            bad(
                "mail.smtp_url",
                "is required when mail.transport = \"smtp\"".to_owned(),
            );
        }
        if let Some(ca) = &self.mail.tls_ca_file
            && let Err(e) = read_ca(ca)
        {
            bad("mail.tls_ca_file", e.to_string());
        }
        if let Err(e) = load_seal(&self.seal) {
            bad("seal.pkcs12", e.to_string());
        }
        let dkim = &self.mail.dkim;
        match (&dkim.domain, &dkim.selector, &dkim.key_file) {
            (None, None, None) => {}
            (Some(_), Some(_), Some(key_file)) => {
                if let Err(e) = load_dkim_key(key_file) {
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
        if self.mail.retry_initial > self.mail.retry_max {
            bad(
                "mail.retry_initial",
                "is longer than mail.retry_max".to_owned(),
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
}
