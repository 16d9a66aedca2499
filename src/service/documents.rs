//! The PDF of a note: drafts rendered from a stored version, the issued one as stored.
//! Every render goes through one gate: at most `render.concurrency` at once, off the
//! request threads, and the last draft PDFs kept by (note, version), so that approval
//! mails, mail scanners opening `/approve/{t}/pdf` and the drafter share one render.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore, watch};

use super::{Service, ServiceError, off_workers};
use crate::access::Principal;
use crate::note::{Note, NoteId, NoteSpec};
use crate::reference::{DistributionCode, DocNumber};
use crate::render::{NoteDocument, RenderError, Renderer};
use crate::workflow::{Event, transition};

/// A PDF and the file name it is offered under (`6762-22.pdf`).
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

/// Draft PDFs kept: enough for the notes in review at once, little memory.
const DRAFTS_KEPT: usize = 64;
const DRAFT_BYTES_KEPT: usize = 64 * 1024 * 1024;

/// A draft PDF being rendered or rendered: whoever asks first renders it, the others wait
/// for those bytes.
type DraftCell = Arc<OnceCell<Arc<Vec<u8>>>>;

/// Bounds the rendering (issue 10, finding 1): slots for `render.concurrency` renders at
/// once, and the last drafts rendered, least recently used first out.
pub(super) struct RenderGate {
    slots: Arc<Semaphore>,
    /// How many renders wait for a slot (see [`Service::hold_renders`]).
    waiting: watch::Sender<usize>,
    drafts: Mutex<VecDeque<((NoteId, i64), DraftCell)>>,
}

impl RenderGate {
    pub(super) fn new(slots: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots)),
            waiting: watch::Sender::new(0),
            drafts: Mutex::default(),
        }
    }

    /// A slot to render in, once one is free.
    async fn slot(&self) -> Result<OwnedSemaphorePermit, ServiceError> {
        self.waiting.send_modify(|n| *n += 1);
        // Counted down however the wait ends, a dropped request included.
        let _waiting = Waiting(&self.waiting);
        self.slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ServiceError::Internal("the render slots are closed".to_owned()))
    }

    /// The cell of a version's draft, made most recently used.
    fn draft(&self, key: (NoteId, i64)) -> DraftCell {
        let Ok(mut drafts) = self.drafts.lock() else {
            // A panic elsewhere poisoned the list: render without keeping.
            return DraftCell::default();
        };
        let cell = match drafts.iter().position(|(k, _)| *k == key) {
            Some(i) => drafts.remove(i).map(|(_, cell)| cell).unwrap_or_default(),
            None => DraftCell::default(),
        };
        drafts.push_back((key, cell.clone()));
        trim(&mut drafts);
        cell
    }

    /// Drops the least recently used drafts past the limits, once a render has filled one.
    fn trim(&self) {
        if let Ok(mut drafts) = self.drafts.lock() {
            trim(&mut drafts);
        }
    }
}

fn trim(drafts: &mut VecDeque<((NoteId, i64), DraftCell)>) {
    let bytes = |drafts: &VecDeque<((NoteId, i64), DraftCell)>| -> usize {
        drafts
            .iter()
            .filter_map(|(_, cell)| cell.get().map(|b| b.len()))
            .sum()
    };
    while drafts.len() > DRAFTS_KEPT || (drafts.len() > 1 && bytes(drafts) > DRAFT_BYTES_KEPT) {
        drafts.pop_front();
    }
}

struct Waiting<'a>(&'a watch::Sender<usize>);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

/// The free render slots, held until dropped.
#[doc(hidden)]
pub struct RenderHold {
    _slots: OwnedSemaphorePermit,
    waiting: watch::Receiver<usize>,
}

impl RenderHold {
    /// Returns once `n` renders wait for a slot.
    pub async fn until_waiting(&mut self, n: usize) {
        // The sender lives as long as the service this hold came from.
        let _ = self.waiting.wait_for(|w| *w >= n).await;
    }
}

/// The final PDF of one version, rendered before the transaction that issues it.
pub(super) struct IssuedPdf {
    pub version: i64,
    pub bytes: Vec<u8>,
}

impl Service {
    /// The issued PDF once there is one (the very bytes the delegations received), else
    /// the current version's draft.
    pub async fn pdf(&self, who: &Principal, id: &str) -> Result<Pdf, ServiceError> {
        self.note_pdf(self.readable_note(who, id).await?).await
    }

    /// The PDF of a note already found (and, for a caller, found in their scope).
    pub(super) async fn note_pdf(&self, note: Note) -> Result<Pdf, ServiceError> {
        if Self::is_issued(&note) {
            return Ok(Pdf {
                bytes: self.issued_bytes(note.id).await?.to_vec(),
                file_name: note.file_name(),
            });
        }
        self.draft_pdf(&note, note.version).await
    }

    /// Takes every free render slot until the hold is dropped: lets a test stop renders at
    /// a known point without timing anything.
    #[doc(hidden)]
    pub async fn hold_renders(&self) -> Result<RenderHold, ServiceError> {
        let all = u32::try_from(self.renders.slots.available_permits()).unwrap_or(u32::MAX);
        let slots = self
            .renders
            .slots
            .clone()
            .acquire_many_owned(all)
            .await
            .map_err(|_| ServiceError::Internal("the render slots are closed".to_owned()))?;
        Ok(RenderHold {
            _slots: slots,
            waiting: self.renders.waiting.subscribe(),
        })
    }

    /// The stored PDF of an issued note. Its bytes never change, so the last one read is
    /// kept: a distribution attaches it to every message without reading it each time.
    pub(super) async fn issued_bytes(&self, note: NoteId) -> Result<Arc<Vec<u8>>, ServiceError> {
        let cached = self.last_issued.lock().ok().and_then(|last| {
            last.as_ref()
                .filter(|(id, _)| *id == note)
                .map(|(_, b)| b.clone())
        });
        if let Some(bytes) = cached {
            return Ok(bytes);
        }
        let document = self.store.document(note).await?.ok_or_else(|| {
            ServiceError::Internal(format!("issued note {note} has no stored PDF"))
        })?;
        let bytes = Arc::new(document.bytes);
        if let Ok(mut last) = self.last_issued.lock() {
            *last = Some((note, bytes.clone()));
        }
        Ok(bytes)
    }

    /// A version's PDF marked DRAFT, dated when that version was saved: the same version
    /// always renders to the same bytes, so they are kept and shared.
    pub(super) async fn draft_pdf(&self, note: &Note, version: i64) -> Result<Pdf, ServiceError> {
        let cell = self.renders.draft((note.id, version));
        let bytes = cell
            .get_or_try_init(|| async {
                let (spec, saved) = self.version(note, version).await?;
                let bytes = self.render(note, spec, true, saved).await?;
                Ok::<_, ServiceError>(Arc::new(bytes))
            })
            .await?
            .clone();
        self.renders.trim();
        Ok(Pdf {
            bytes: bytes.to_vec(),
            file_name: note.file_name(),
        })
    }

    /// The final PDF of the note's current version, dated `at` and sealed when a seal is
    /// configured, for [`Service::issue`].
    pub(super) async fn issued_pdf(
        &self,
        note: &Note,
        at: Timestamp,
    ) -> Result<IssuedPdf, ServiceError> {
        let bytes = self.render(note, note.spec.clone(), false, at).await?;
        let bytes = match self.seal.clone() {
            None => bytes,
            // Parsing the PDF and signing is CPU work, as rendering is.
            Some(seal) => off_workers("seal", move || seal.apply(&bytes, at)).await??,
        };
        Ok(IssuedPdf {
            version: note.version,
            bytes,
        })
    }

    /// Renders the current version of a note about to be submitted, as its approvers will
    /// receive it (and keeps it for their mails): a note that cannot be printed is refused
    /// now with the reason, rather than its approval mails failing for days. Returns the
    /// version rendered.
    pub(super) async fn render_for_submit(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<i64, ServiceError> {
        let note = self.note_to_act_on(who, id).await?;
        transition(note.state, Event::Submit)?;
        self.draft_pdf(&note, note.version).await?;
        Ok(note.version)
    }

    /// Refuses a spec whose note would run past `render.max_pages`, laid out with the
    /// widest number and counters the registry could give it. Other render failures are
    /// left to the PDF and to submit: a draft may still lack a template field.
    pub(super) async fn refuse_overlong(&self, spec: &NoteSpec) -> Result<(), ServiceError> {
        let spec = spec.clone();
        let number = DocNumber::new(99_999, 2099)
            .revised(999)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let codes: Vec<DistributionCode> = spec
            .codes
            .iter()
            .map(|name| DistributionCode {
                name: name.clone(),
                counter: 99_999,
            })
            .collect();
        let counted = self
            .run(move |renderer| {
                renderer.page_count(&NoteDocument {
                    spec: &spec,
                    number: &number,
                    codes: &codes,
                })
            })
            .await;
        match counted {
            Err(ServiceError::Render(too_long @ RenderError::TooLong { .. })) => {
                Err(too_long.into())
            }
            Ok(_) | Err(ServiceError::Render(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Renders a version's spec of a note.
    async fn render(
        &self,
        note: &Note,
        spec: NoteSpec,
        draft: bool,
        at: Timestamp,
    ) -> Result<Vec<u8>, ServiceError> {
        let (number, codes) = (note.number, note.codes.clone());
        let measured = self.metrics.clone();
        self.run(move |renderer| {
            let document = NoteDocument {
                spec: &spec,
                number: &number,
                codes: &codes,
            };
            let started = std::time::Instant::now();
            let rendered = renderer.render(&document, draft, at);
            measured.rendered(draft, started.elapsed());
            rendered
        })
        .await
    }

    /// Runs a render job in a slot of the gate, off the request threads (rendering is
    /// CPU-bound). The slot is held by the job itself, so a request that gives up does not
    /// free it while its render still runs.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Renderer) -> Result<T, RenderError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let slot = self.renders.slot().await?;
        let renderer = self.renderer.clone();
        off_workers("render", move || {
            let _slot = slot;
            job(&renderer)
        })
        .await?
        .map_err(ServiceError::from)
    }

    /// A version's spec and when it was saved.
    pub(super) async fn version(
        &self,
        note: &Note,
        version: i64,
    ) -> Result<(NoteSpec, Timestamp), ServiceError> {
        self.store.version(note.id, version).await?.ok_or_else(|| {
            ServiceError::Internal(format!("note {} has no version {version}", note.id))
        })
    }
}
