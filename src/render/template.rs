//! Note templates: handlebars in strict mode, so a field the template uses but the spec
//! lacks is an error naming the template and line rather than a silent blank. The built-in
//! templates are compiled in; a folder (`templates.dir`) may override or add `<name>.hbs`
//! files, and `<name>.<lang>.hbs` is preferred for a note in that language.

use std::collections::BTreeSet;
use std::path::Path;

use handlebars::Handlebars;
use serde_json::Value;

use crate::note::Language;

const BUILT_IN: &[(&str, &str)] = &[
    ("note", include_str!("../../templates/notes/note.hbs")),
    (
        "cover-declaration",
        include_str!("../../templates/notes/cover-declaration.hbs"),
    ),
    (
        "cover-declaration.fr",
        include_str!("../../templates/notes/cover-declaration.fr.hbs"),
    ),
    (
        "i-a-item-note",
        include_str!("../../templates/notes/i-a-item-note.hbs"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the templates folder {path}: {source}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("template {file}: {message}")]
    Invalid { file: String, message: String },
    #[error("no template named `{0}`")]
    Unknown(String),
}

/// The compiled templates, built-in and overriding.
pub struct Templates {
    registry: Handlebars<'static>,
}

impl Templates {
    /// The built-in templates, then every `*.hbs` in `dir`.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        // Templates produce body markup, not HTML: fields go in as written.
        registry.register_escape_fn(handlebars::no_escape);
        for (name, source) in BUILT_IN {
            register(
                &mut registry,
                name,
                source,
                &format!("templates/notes/{name}.hbs"),
            )?;
        }
        if let Some(dir) = dir {
            let folder_error = |source| TemplateError::Folder {
                path: dir.display().to_string(),
                source,
            };
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .map_err(folder_error)?
                .collect::<Result<_, _>>()
                .map_err(folder_error)?;
            entries.sort_by_key(|e| e.path());
            for entry in entries {
                let path = entry.path();
                let (Some(name), Some("hbs")) = (
                    path.file_stem().and_then(|s| s.to_str()),
                    path.extension().and_then(|e| e.to_str()),
                ) else {
                    continue;
                };
                let source = std::fs::read_to_string(&path).map_err(folder_error)?;
                register(&mut registry, name, &source, &path.display().to_string())?;
            }
        }
        Ok(Self { registry })
    }

    /// The names a spec may give as `template` (language variants left out).
    pub fn names(&self) -> BTreeSet<String> {
        self.registry
            .get_templates()
            .keys()
            .filter(|name| !name.contains('.'))
            .cloned()
            .collect()
    }

    /// The fields template `name` uses, in the order they first appear, each with
    /// whether it is only tested (`{{#if meeting}}`), which makes it optional; the note's
    /// own data (`note.…`) left out. The desk makes its form of them.
    pub fn fields(&self, name: &str) -> Vec<(String, bool)> {
        let mut found: Vec<(String, bool)> = Vec::new();
        if let Some(template) = self.registry.get_template(name) {
            collect_fields(&template.elements, &mut found);
        }
        found
    }

    /// Fills template `name` (its `language` variant when there is one) with `context`.
    pub fn render(
        &self,
        name: &str,
        language: Language,
        context: &Value,
    ) -> Result<String, TemplateError> {
        let localised = format!("{name}.{}", language.code());
        let chosen = if self.registry.has_template(&localised) {
            localised
        } else {
            name.to_owned()
        };
        if !self.registry.has_template(&chosen) {
            return Err(TemplateError::Unknown(name.to_owned()));
        }
        self.registry
            .render(&chosen, context)
            .map_err(|e| TemplateError::Invalid {
                file: format!(
                    "{chosen}.hbs{}",
                    e.line_no.map(|l| format!(" line {l}")).unwrap_or_default()
                ),
                message: e.reason().to_string(),
            })
    }
}

/// How a template's fields are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Plain text (email subjects and text parts): fields go in as written.
    None,
    /// HTML (email HTML parts, web pages): fields are HTML-escaped.
    Html,
}

/// A fixed set of templates, such as the emails or the approval pages: each one built in,
/// and replaced by the file at the same relative path under `templates.dir` if there is
/// one (`mail/approval/text.hbs`). Strict, like the note templates.
pub struct TemplateSet {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
}

impl TemplateSet {
    /// `built_in` holds `(path, escape, source)`, the path relative to `templates/`
    /// without `.hbs`.
    pub fn load(
        built_in: &[(&str, Escape, &str)],
        dir: Option<&Path>,
    ) -> Result<Self, TemplateError> {
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        for (name, escape, source) in built_in {
            let registry = match escape {
                Escape::None => &mut text,
                Escape::Html => &mut html,
            };
            let file = dir.map(|d| d.join(format!("{name}.hbs")));
            match file.filter(|f| f.is_file()) {
                Some(file) => {
                    let source =
                        std::fs::read_to_string(&file).map_err(|source| TemplateError::Folder {
                            path: file.display().to_string(),
                            source,
                        })?;
                    register(registry, name, &source, &file.display().to_string())?;
                }
                None => register(registry, name, source, &format!("templates/{name}.hbs"))?,
            }
        }
        Ok(Self { text, html })
    }

    /// Fills template `name` with `context`.
    pub fn render(
        &self,
        name: &str,
        context: &impl serde::Serialize,
    ) -> Result<String, TemplateError> {
        let registry = if self.html.has_template(name) {
            &self.html
        } else if self.text.has_template(name) {
            &self.text
        } else {
            return Err(TemplateError::Unknown(name.to_owned()));
        };
        registry
            .render(name, context)
            .map_err(|e| TemplateError::Invalid {
                file: format!(
                    "{name}.hbs{}",
                    e.line_no.map(|l| format!(" line {l}")).unwrap_or_default()
                ),
                message: e.reason().to_string(),
            })
    }
}

fn register(
    registry: &mut Handlebars<'static>,
    name: &str,
    source: &str,
    file: &str,
) -> Result<(), TemplateError> {
    registry
        .register_template_string(name, source)
        .map_err(|e| TemplateError::Invalid {
            file: format!(
                "{file}{}",
                e.pos()
                    .map(|(line, _)| format!(" line {line}"))
                    .unwrap_or_default()
            ),
            message: e.reason().to_string(),
        })
}

/// Adds the fields `elements` print or test to `found`; a field tested anywhere
/// (`{{#if meeting}}`) is optional.
fn collect_fields(
    elements: &[handlebars::template::TemplateElement],
    found: &mut Vec<(String, bool)>,
) {
    use handlebars::template::{Parameter, TemplateElement};
    let field = |p: &Parameter| p.as_name().map(str::to_owned);
    for element in elements {
        match element {
            TemplateElement::Expression(h) | TemplateElement::HtmlExpression(h)
                if h.params.is_empty() =>
            {
                if let Some(name) = field(&h.name) {
                    add_field(found, name, false);
                }
            }
            TemplateElement::HelperBlock(h) => {
                for name in h.params.iter().filter_map(field) {
                    add_field(found, name, true);
                }
                for inner in h.template.iter().chain(&h.inverse) {
                    collect_fields(&inner.elements, found);
                }
            }
            _ => {}
        }
    }
}

fn add_field(found: &mut Vec<(String, bool)>, name: String, optional: bool) {
    if name.starts_with("note.") || name.starts_with('@') || name == "this" {
        return;
    }
    match found.iter_mut().find(|(n, _)| *n == name) {
        Some((_, was_optional)) => *was_optional |= optional,
        None => found.push((name, optional)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_templates_fields_are_found_with_what_is_optional() {
        let templates = Templates::load(None).unwrap();
        let fields = templates.fields("i-a-item-note");
        let names: Vec<(&str, bool)> = fields.iter().map(|(n, o)| (n.as_str(), *o)).collect();
        assert_eq!(
            names,
            [
                ("background", false),
                ("outcome", false),
                ("action", false),
                ("meeting", true)
            ]
        );
        assert!(templates.fields("no-such-template").is_empty());
    }

    #[test]
    fn built_ins_render_and_prefer_the_language_variant() {
        let t = Templates::load(None).unwrap();
        assert_eq!(
            t.names(),
            ["cover-declaration", "i-a-item-note", "note"]
                .map(String::from)
                .into()
        );
        let fields = json!({"description": "the declaration", "title": "Declaration", "declaration": "We agree."});
        let en = t
            .render("cover-declaration", Language::En, &fields)
            .unwrap();
        assert!(
            en.starts_with("Delegations will find attached the declaration."),
            "{en}"
        );
        let fr = t
            .render("cover-declaration", Language::Fr, &fields)
            .unwrap();
        assert!(
            fr.starts_with("Les délégations trouveront ci-joint"),
            "{fr}"
        );
        let de = t
            .render("cover-declaration", Language::De, &fields)
            .unwrap();
        assert_eq!(de, en, "no German variant: the default");
    }

    #[test]
    fn a_missing_field_names_the_template_and_line() {
        let t = Templates::load(None).unwrap();
        let e = t
            .render("i-a-item-note", Language::En, &json!({"background": "x"}))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("i-a-item-note.hbs line 3") && e.contains("outcome"),
            "{e}"
        );
        assert!(matches!(
            t.render("nope", Language::En, &json!({})),
            Err(TemplateError::Unknown(_))
        ));
    }

    #[test]
    fn a_folder_overrides_and_adds_and_bad_templates_name_their_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("note.hbs"), "Custom: {{text}}").unwrap();
        std::fs::write(dir.path().join("outcome.hbs"), "Outcome: {{text}}").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        assert_eq!(
            t.render("note", Language::En, &json!({"text": "x"}))
                .unwrap(),
            "Custom: x"
        );
        assert!(t.names().contains("outcome"));
        std::fs::write(
            dir.path().join("broken.hbs"),
            "line one\n{{#if x}}never closed",
        )
        .unwrap();
        let e = Templates::load(Some(dir.path())).err().unwrap().to_string();
        assert!(e.contains("broken.hbs"), "{e}");
    }
}
