//! The API's wire types, and the OpenAPI 3.1 document derived from them and from the
//! handlers' `#[utoipa::path]` annotations. The document is made from the code that
//! answers, so it cannot drift from it; `tests/api/contract.rs` walks the router's routes
//! and fails on any the document leaves out.

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, ParameterBuilder};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Object, Required};
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};

use crate::note::Note;
use crate::outbox::DeliveryStatus;
use crate::service::Verification;
use crate::store::{AuditEntry, Delivery};
use crate::workflow::{ApproverProgress, Decision, NoteState, Rule, StepProgress, StepStatus};

/// A note as the API shows it (INTERFACE.md).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Note)]
pub struct NoteView {
    pub id: i64,
    #[schema(example = "5001/26")]
    pub number: String,
    #[schema(example = "ST 5001 2026 INIT")]
    pub register_id: String,
    /// The distribution codes with the counters the registry allocated.
    #[schema(example = json!(["JAI 274"]))]
    pub codes: Vec<String>,
    #[schema(schema_with = note_state)]
    pub state: NoteState,
    /// Counts the saved versions; sent back as `ETag`, named by `If-Match`.
    pub version: i64,
    /// The current version's spec, defaults filled in.
    #[schema(value_type = SpecSchema)]
    pub spec: Value,
    /// The steps of the review under way or last held; empty before the first submission.
    pub steps: Vec<StepView>,
    /// 1 for the first submission, one more for each after changes; null before any.
    pub review_round: Option<i64>,
    /// For a revision, the id of the note it revises.
    pub previous: Option<i64>,
    pub created_by: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Note> for NoteView {
    fn from(note: &Note) -> Self {
        Self {
            id: note.id,
            number: note.number.to_string(),
            register_id: note.number.register_id(),
            codes: note.codes.iter().map(ToString::to_string).collect(),
            state: note.state,
            version: note.version,
            spec: note.spec.to_json(),
            steps: note
                .review
                .iter()
                .flat_map(|r| r.steps.iter().map(StepView::from))
                .collect(),
            review_round: note.review.as_ref().map(|r| r.round),
            previous: note.previous,
            created_by: note.created_by.clone(),
            created_at: note.created_at.to_string(),
            updated_at: note.updated_at.to_string(),
        }
    }
}

/// One step of a review and its approvers' decisions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Step)]
pub struct StepView {
    pub name: String,
    pub rule: RuleView,
    #[schema(schema_with = step_status)]
    pub status: StepStatus,
    pub approvers: Vec<ApproverView>,
}

impl From<&StepProgress> for StepView {
    fn from(step: &StepProgress) -> Self {
        Self {
            name: step.name.clone(),
            rule: step.rule.into(),
            status: step.status,
            approvers: step.approvers.iter().map(ApproverView::from).collect(),
        }
    }
}

/// How many of a step's approvers must approve: `"any"`, `"all"` or `{"at_least": N}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Rule)]
pub enum RuleView {
    Any,
    All,
    AtLeast(usize),
}

impl From<Rule> for RuleView {
    fn from(rule: Rule) -> Self {
        match rule {
            Rule::Any => Self::Any,
            Rule::All => Self::All,
            Rule::AtLeast(n) => Self::AtLeast(n),
        }
    }
}

/// One approver of a step and what they decided, if they have.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Approver)]
pub struct ApproverView {
    pub email: String,
    #[schema(schema_with = decision)]
    pub decision: Option<Decision>,
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    pub comment: Option<String>,
}

impl From<&ApproverProgress> for ApproverView {
    fn from(approver: &ApproverProgress) -> Self {
        Self {
            email: approver.email.clone(),
            decision: approver.decision,
            decided_at: approver.decided_at.map(|t| t.to_string()),
            comment: approver.comment.clone(),
        }
    }
}

/// A note as the list shows it: what tells notes apart, without the spec.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = NoteSummary)]
pub struct SummaryView {
    pub id: i64,
    pub number: String,
    pub codes: Vec<String>,
    #[schema(schema_with = note_state)]
    pub state: NoteState,
    pub version: i64,
    pub subject: String,
    #[schema(example = "JAI.1")]
    pub unit: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Note> for SummaryView {
    fn from(note: &Note) -> Self {
        Self {
            id: note.id,
            number: note.number.to_string(),
            codes: note.codes.iter().map(ToString::to_string).collect(),
            state: note.state,
            version: note.version,
            subject: note.subject().to_owned(),
            unit: Some(note.unit().to_owned()),
            created_at: note.created_at.to_string(),
            updated_at: note.updated_at.to_string(),
        }
    }
}

/// One page of the list, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteList {
    pub notes: Vec<SummaryView>,
    /// The cursor of the next page (pass it as `cursor` with the same state and limit);
    /// null on the last page.
    pub next: Option<String>,
}

/// The distribution of a note, per recipient, and counted per status.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deliveries {
    pub deliveries: Vec<DeliveryView>,
    pub summary: DeliverySummary,
}

impl From<&[Delivery]> for Deliveries {
    fn from(deliveries: &[Delivery]) -> Self {
        let mut summary = DeliverySummary {
            total: deliveries.len(),
            ..DeliverySummary::default()
        };
        for d in deliveries {
            *match d.status {
                DeliveryStatus::Queued => &mut summary.queued,
                DeliveryStatus::Sent => &mut summary.sent,
                DeliveryStatus::Deferred => &mut summary.deferred,
                DeliveryStatus::Failed => &mut summary.failed,
            } += 1;
        }
        Self {
            deliveries: deliveries.iter().map(DeliveryView::from).collect(),
            summary,
        }
    }
}

/// How many deliveries are in each status, and in all.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct DeliverySummary {
    pub queued: usize,
    pub sent: usize,
    pub deferred: usize,
    pub failed: usize,
    pub total: usize,
}

/// One recipient of the distribution.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Delivery)]
pub struct DeliveryView {
    pub recipient: String,
    /// The list (`lists.<name>`) the recipient was on.
    pub list: Option<String>,
    #[schema(schema_with = delivery_status)]
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            recipient: d.recipient.clone(),
            list: d.list.clone(),
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error.clone(),
            sent_at: d.sent_at.map(|t| t.to_string()),
        }
    }
}

/// The append-only trail of a note, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Audit {
    pub audit: Vec<AuditView>,
}

/// One entry of the trail.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditView {
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    /// Who, by id: `token:3`, `user:5`, `approver:ADDR`; null for the daemon's own entries.
    #[schema(example = "token:3")]
    pub actor_id: Option<String>,
    #[schema(example = "registered")]
    pub action: String,
    pub version: Option<i64>,
    pub detail: Option<String>,
    pub client: Option<String>,
    pub user_agent: Option<String>,
}

impl From<&AuditEntry> for AuditView {
    fn from(e: &AuditEntry) -> Self {
        Self {
            at: e.at.to_string(),
            actor: e.actor.clone(),
            actor_id: e.actor_id.clone(),
            action: e.action.clone(),
            version: e.version,
            detail: e.detail.clone(),
            client: e.client.clone(),
            user_agent: e.user_agent.clone(),
        }
    }
}

/// What `POST /api/verify` found out about a PDF.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Verification)]
pub struct VerifyView {
    /// Whether the file is, byte for byte, a note this registry issued.
    pub issued: bool,
    #[schema(example = "6762/22")]
    pub number: Option<String>,
    pub version: Option<i64>,
    #[schema(format = DateTime)]
    pub issued_at: Option<String>,
    /// Of the bytes received, lower-case hex.
    pub sha256: String,
    /// Whether the file carries the Presidency's seal, intact.
    pub sealed: bool,
    /// Why the file is not an issued note, or that a revision has been issued since.
    pub reason: Option<String>,
}

impl From<&Verification> for VerifyView {
    fn from(v: &Verification) -> Self {
        Self {
            issued: v.issued,
            number: v.number.clone(),
            version: v.version,
            issued_at: v.issued_at.map(|t| t.to_string()),
            sha256: v.sha256.clone(),
            sealed: v.sealed,
            reason: v.reason.clone(),
        }
    }
}

/// Every error: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Serialize, ToSchema, ToResponse)]
#[response(description = "what is wrong, and which field if one is")]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, in words, and the spec field it is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    #[schema(example = "invalid_field")]
    pub code: &'static str,
    pub message: String,
    #[schema(example = "codes[1]")]
    pub field: Option<String>,
}

/// A note specification (INTERFACE.md) as sent to register or edit and as returned. This
/// type only describes the wire form: the service parses bodies itself, so that a missing
/// or wrong field is answered 422 naming it rather than with a generic 400.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Spec)]
#[expect(dead_code, reason = "a description for the document; never built")]
pub struct SpecSchema {
    #[schema(schema_with = note_kind)]
    kind: Option<String>,
    /// ISO 639-1, lower case: one of the 24 official languages.
    #[schema(example = "en")]
    language: Option<String>,
    /// Defaults to `language`.
    original_language: Option<String>,
    /// Defaults to the day of registration in Brussels.
    #[schema(format = Date)]
    date: Option<String>,
    /// `brussels` (the default) or `luxembourg`.
    #[schema(example = "brussels")]
    place: Option<String>,
    #[schema(example = "Presidency")]
    from: Option<String>,
    #[schema(example = "Delegations")]
    to: Option<String>,
    /// Numbers of earlier documents, e.g. `6314/1/22`.
    previous: Option<Vec<String>>,
    /// Printed as "No. Cion doc.", e.g. `COM(2021) 123 final`.
    commission_doc: Option<String>,
    subject: Option<String>,
    /// Distribution codes from the configuration; the registry allocates their counters.
    #[schema(example = json!(["JAI"]))]
    codes: Option<Vec<String>>,
    #[schema(example = "LIMITE")]
    marking: Option<String>,
    #[schema(example = "2021/0123 (COD)")]
    interinstitutional_file: Option<String>,
    #[schema(example = "JAI.1")]
    unit: Option<String>,
    #[schema(example = "AB/cd")]
    initials: Option<String>,
    /// List names from `lists.*`; defaults to `["delegations"]`.
    distribution: Option<Vec<String>>,
    /// Markup: paragraphs, numbered points, bullets, *emphasis*, **strong**, > quotes,
    /// # centred headings.
    body: Option<String>,
    /// Instead of `body`: a built-in template or one from `templates.dir`.
    template: Option<String>,
    /// The template's fields.
    fields: Option<serde_json::Map<String, Value>>,
}

/// The names a [`crate::named_enum::named_enum!`] type is written as, as a JSON Schema enum;
/// `nullable` adds `null` for an optional one.
fn names<T: Copy + std::fmt::Display>(all: &[T], nullable: bool) -> Object {
    let mut values: Vec<Value> = all.iter().map(|v| Value::from(v.to_string())).collect();
    let schema_type = if nullable {
        values.push(Value::Null);
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(schema_type)
        .enum_values(Some(values))
        .build()
}

fn note_state() -> Object {
    names(NoteState::ALL, false)
}

fn step_status() -> Object {
    names(StepStatus::ALL, false)
}

fn decision() -> Object {
    names(Decision::ALL, true)
}

fn delivery_status() -> Object {
    names(DeliveryStatus::ALL, false)
}

fn note_kind() -> Object {
    names(crate::note::NoteKind::ALL, false)
}

/// The derived document.
#[derive(OpenApi)]
#[openapi(
    info(title = "notesd", description = "Drafts, approves and distributes Council NOTE documents"),
    paths(
        super::notes::register,
        super::notes::list,
        super::notes::get,
        super::notes::edit,
        super::notes::pdf,
        super::notes::submit,
        super::notes::withdraw,
        super::notes::revise,
        super::notes::deliveries,
        super::notes::retry_delivery,
        super::notes::audit,
        super::verify::api,
    ),
    components(schemas(SpecSchema, ErrorBody, ErrorDetail), responses(ErrorBody)),
    modifiers(&Bearer, &Public),
    security(("bearer" = []))
)]
struct Document;

/// The document as served at `GET /api/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    Document::openapi()
}

/// The `bearer` scheme every `/api/*` operation requires.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("created with `notesd token create`"))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The routes anyone may call without a token: the approval links, the download links,
/// liveness, metrics and this document. Their handlers answer HTML, PDF or text, not the
/// API's JSON, so they are described here rather than annotated.
struct Public;

impl Modify for Public {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let link = "the secret of a link mailed to an approver";
        let html = (
            "text/html",
            ObjectBuilder::new().schema_type(Type::String).build(),
        );
        let pdf = (
            "application/pdf",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .content_media_type("application/pdf")
                .build(),
        );
        let refusals = [
            (404, "unknown link"),
            (410, "a link used, expired or superseded"),
        ];
        let paths = &mut openapi.paths;
        paths.add_path_operation(
            "/approve/{token}",
            vec![HttpMethod::Get],
            public(
                "The confirmation page; changes nothing",
                Some(link),
                &html,
                &refusals,
            ),
        );
        let mut form_refusals = refusals.to_vec();
        form_refusals.extend([
            (403, "a form from elsewhere"),
            (400, "a form that cannot be read"),
            (413, "a body over 64 KiB"),
            (415, "a body that is not a form"),
            (422, "the form again, saying what is wrong"),
        ]);
        let mut decide = public(
            "Records `decision=approve|reject` with a `comment` (required to reject)",
            Some(link),
            &html,
            &form_refusals,
        );
        decide.request_body = Some(
            utoipa::openapi::request_body::RequestBodyBuilder::new()
                .content(
                    "application/x-www-form-urlencoded",
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Object).build()))
                        .build(),
                )
                .build(),
        );
        let mut forward = public(
            "Hands the link on to `deputy`, one of `approval.deputies` for its approver: the \
             deputy is mailed a link of their own and this one is spent",
            Some(link),
            &html,
            &form_refusals,
        );
        forward.request_body = decide.request_body.clone();
        paths.add_path_operation("/approve/{token}", vec![HttpMethod::Post], decide);
        paths.add_path_operation("/approve/{token}/forward", vec![HttpMethod::Post], forward);
        paths.add_path_operation(
            "/approve/{token}/pdf",
            vec![HttpMethod::Get],
            public(
                "The draft PDF an approval link is about",
                Some(link),
                &pdf,
                &refusals,
            ),
        );
        paths.add_path_operation(
            "/download/{token}",
            vec![HttpMethod::Get],
            public(
                "An issued PDF too large to attach, through its download link",
                Some("the secret of a download link"),
                &pdf,
                &refusals,
            ),
        );
        paths.add_path_operation(
            "/verify",
            vec![HttpMethod::Get],
            public(
                "A page where anyone may upload a PDF to verify it",
                None,
                &html,
                &[],
            ),
        );
        let mut upload = public(
            "Verifies the uploaded `pdf` field; the page again with the finding",
            None,
            &html,
            &[
                (400, "a form that cannot be read"),
                (413, "a file over 10 MB"),
                (415, "a body that is not a multipart form"),
                (422, "no file, or not a PDF"),
            ],
        );
        let file = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "pdf",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .content_media_type("application/pdf"),
            )
            .build();
        upload.request_body = Some(
            utoipa::openapi::request_body::RequestBodyBuilder::new()
                .content(
                    "multipart/form-data",
                    ContentBuilder::new().schema(Some(file)).build(),
                )
                .build(),
        );
        paths.add_path_operation("/verify", vec![HttpMethod::Post], upload);
        let text = (
            "text/plain",
            ObjectBuilder::new().schema_type(Type::String).build(),
        );
        paths.add_path_operation(
            "/healthz",
            vec![HttpMethod::Get],
            public("Liveness", None, &text, &[]),
        );
        paths.add_path_operation(
            "/metrics",
            vec![HttpMethod::Get],
            public(
                "Prometheus metrics, OpenMetrics text exposition format",
                None,
                &text,
                &[],
            ),
        );
        let json = (
            "application/json",
            ObjectBuilder::new().schema_type(Type::Object).build(),
        );
        paths.add_path_operation(
            "/api/openapi.json",
            vec![HttpMethod::Get],
            public("This document", None, &json, &[]),
        );
    }
}

/// An operation without security, answering `content` with 200 and plain refusals with
/// the given statuses; `token` describes a `{token}` in its path.
fn public(
    summary: &str,
    token: Option<&str>,
    (content_type, schema): &(&str, Object),
    refusals: &[(u16, &str)],
) -> Operation {
    let ok = ResponseBuilder::new().description("ok").content(
        *content_type,
        ContentBuilder::new().schema(Some(schema.clone())).build(),
    );
    let mut operation = OperationBuilder::new()
        .summary(Some(summary))
        .securities(Some([]))
        .response("200", ok.build());
    if let Some(token) = token {
        operation = operation.parameter(
            ParameterBuilder::new()
                .name("token")
                .parameter_in(utoipa::openapi::path::ParameterIn::Path)
                .required(Required::True)
                .description(Some(token))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).build())),
        );
    }
    for (status, why) in refusals {
        operation = operation.response(
            status.to_string(),
            ResponseBuilder::new().description(*why).content(
                "text/html",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).build()))
                    .build(),
            ),
        );
    }
    operation.build()
}
