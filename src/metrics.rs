//! What the daemon measures as it works, for `GET /metrics` in OpenMetrics text: request,
//! render and send latency, mail outcomes and approval decisions, counted by this process
//! since it started. What the database holds (notes by state, outbox rows by status) is not
//! kept here but counted at each scrape ([`Tallies`]), so that every daemon on a shared
//! database reports the same numbers for it.
//!
//! Labels never carry what a request sent: a route is its pattern (`/approve/{token}`, not
//! the link's secret), a method outside the standard ones is `other`. Every label value
//! is known in advance, so the series stay few and all of them show from the first scrape.

use std::fmt;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::outbox::{DeliveryStatus, Next};
use crate::workflow::{Decision, NoteState};

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every metric name starts `notesd_`.
const PREFIX: &str = "notesd";

/// The route label of a request no route matched: its path may hold anything.
const UNMATCHED: &str = "unmatched";

const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabel {
    decision: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// 1 ms to 8 s: a request answered from memory up to one waiting for a render.
fn request_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

/// 5 ms to 10 s: a one-page note up to `render.max_pages`.
fn render_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

/// 10 ms to 20 s: a relay on loopback up to one that stalls before its reply.
fn send_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 2.0, 12))
}

/// The counts the database holds at the moment of a scrape, every state and status
/// included (with 0 when there is none).
pub struct Tallies {
    pub notes: Vec<(NoteState, i64)>,
    pub outbox: Vec<(DeliveryStatus, i64)>,
}

/// This process's measurements, shared by the service and the HTTP layer.
pub struct Metrics {
    registry: Registry,
    requests: Family<StatusLabel, Counter>,
    request_seconds: Histograms<RequestLabels>,
    render_seconds: Histograms<KindLabel>,
    send_seconds: Histogram,
    sends: Family<OutcomeLabel, Counter>,
    approvals: Family<DecisionLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<StatusLabel, Counter>::default();
        let request_seconds = Histograms::<RequestLabels>::new_with_constructor(request_buckets);
        let render_seconds = Histograms::<KindLabel>::new_with_constructor(render_buckets);
        let send_seconds = send_buckets();
        let sends = Family::<OutcomeLabel, Counter>::default();
        let approvals = Family::<DecisionLabel, Counter>::default();
        // Every series whose labels are known in advance shows from the first scrape, at 0.
        for status in STATUS_CLASSES {
            drop(requests.get_or_create(&StatusLabel { status }));
        }
        for kind in ["draft", "issued"] {
            drop(render_seconds.get_or_create(&KindLabel { kind }));
        }
        // Every status a try can leave a mail in: all but queued.
        for status in DeliveryStatus::ALL
            .iter()
            .filter(|&&s| s != DeliveryStatus::Queued)
        {
            drop(sends.get_or_create(&OutcomeLabel {
                outcome: status.as_str(),
            }));
        }
        for decision in Decision::ALL {
            drop(approvals.get_or_create(&DecisionLabel {
                decision: decision.as_str(),
            }));
        }
        let mut registry = Registry::with_prefix(PREFIX);
        registry.register(
            "http_requests",
            "HTTP requests answered by this instance, by status class.",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by route pattern, method and status class.",
            Unit::Seconds,
            request_seconds.clone(),
        );
        registry.register_with_unit(
            "render_duration",
            "Time to render a note's PDF, by kind (draft or issued), slot wait excluded.",
            Unit::Seconds,
            render_seconds.clone(),
        );
        registry.register_with_unit(
            "mail_send_duration",
            "Time to build and send one email, until the relay answered or the try failed.",
            Unit::Seconds,
            send_seconds.clone(),
        );
        registry.register(
            "mail_sends",
            "Tries at sending an email, by how they were recorded: sent, deferred (will retry) or failed.",
            sends.clone(),
        );
        registry.register(
            "approvals",
            "Approvers' decisions recorded, by decision.",
            approvals.clone(),
        );
        Self {
            registry,
            requests,
            request_seconds,
            render_seconds,
            send_seconds,
            sends,
            approvals,
        }
    }
}

impl Metrics {
    /// One request answered: `route` is the matched route's pattern, `None` when no route
    /// matched.
    pub fn request(&self, route: Option<&str>, method: &str, status: u16, took: Duration) {
        let status = usize::from(status / 100)
            .checked_sub(1)
            .and_then(|class| STATUS_CLASSES.get(class))
            .copied()
            .unwrap_or("other");
        let method = METHODS
            .into_iter()
            .find(|m| *m == method)
            .unwrap_or("other");
        self.requests.get_or_create(&StatusLabel { status }).inc();
        self.request_seconds
            .get_or_create(&RequestLabels {
                route: route.unwrap_or(UNMATCHED).to_owned(),
                method,
                status,
            })
            .observe(took.as_secs_f64());
    }

    /// One PDF rendered, a draft or the issued one.
    pub fn rendered(&self, draft: bool, took: Duration) {
        let kind = if draft { "draft" } else { "issued" };
        self.render_seconds
            .get_or_create(&KindLabel { kind })
            .observe(took.as_secs_f64());
    }

    /// One try at sending an email ended, after `took`.
    pub fn send_ended(&self, took: Duration) {
        self.send_seconds.observe(took.as_secs_f64());
    }

    /// The result of a try was recorded in the outbox; a mail it left unchanged (sent
    /// meanwhile by another daemon) was counted there.
    pub fn mail_finished(&self, next: &Next) {
        let Some(status) = next.status() else {
            return;
        };
        let outcome = status.as_str();
        self.sends.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    /// An approver's decision was recorded.
    pub fn decided(&self, decision: Decision) {
        self.approvals
            .get_or_create(&DecisionLabel {
                decision: decision.as_str(),
            })
            .inc();
    }

    /// The OpenMetrics text of this process's measurements and of `tallies`.
    pub fn encode(&self, tallies: &Tallies) -> Result<String, fmt::Error> {
        let notes = Family::<StateLabel, Gauge>::default();
        for (state, n) in &tallies.notes {
            notes
                .get_or_create(&StateLabel {
                    state: state.as_str(),
                })
                .set(*n);
        }
        let outbox = Family::<StatusLabel, Gauge>::default();
        for (status, n) in &tallies.outbox {
            outbox
                .get_or_create(&StatusLabel {
                    status: status.as_str(),
                })
                .set(*n);
        }
        let mut scraped = Registry::with_prefix(PREFIX);
        scraped.register("notes", "Notes in the registry, by state.", notes);
        scraped.register(
            "outbox_messages",
            "Emails in the outbox, by status.",
            outbox,
        );
        let mut text = String::new();
        encode_registry(&mut text, &self.registry)?;
        encode_registry(&mut text, &scraped)?;
        encode_eof(&mut text)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Metrics, Tallies};

    #[test]
    fn a_method_or_status_outside_the_standard_ones_is_one_series() {
        let metrics = Metrics::default();
        for method in ["BREW", "PROPFIND"] {
            metrics.request(None, method, 999, Duration::from_millis(3));
        }
        let empty = Tallies {
            notes: Vec::new(),
            outbox: Vec::new(),
        };
        let text = metrics.encode(&empty).expect("the text");
        let series = "notesd_http_request_duration_seconds_count\
                      {route=\"unmatched\",method=\"other\",status=\"other\"} 2";
        assert!(text.contains(series), "{text}");
        assert!(
            !text.contains("BREW") && !text.contains("PROPFIND"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
