//! The registry's tables: notes, their versions, and the counters that number them.

use jiff::Timestamp;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::audit::{self, AuditEntry};
use super::{Backend, Store, StoreError, parse_time};
use crate::access::Principal;
use crate::clock::brussels_date;
use crate::note::{Note, NoteId, NoteSpec};
use crate::reference::{DistributionCode, DocNumber};
use crate::workflow::NoteState;

/// A note to register: its validated spec and who registers it when.
pub struct NewNote<'a> {
    pub spec: &'a NoteSpec,
    /// The Brussels calendar year of `now`: the series the number comes from.
    pub year: u16,
    pub first_number: i64,
    pub by: &'a Principal,
    pub now: Timestamp,
}

/// Which notes to list, newest first.
pub struct NoteFilter {
    pub state: Option<NoteState>,
    /// Only notes of these units; `None` for every unit.
    pub units: Option<Vec<String>>,
    /// Only notes older than this one (the page after the one that ended with it).
    pub before: Option<NoteId>,
    pub limit: i64,
    /// The web desk's filters: one unit, one year's series, and text found in the
    /// number or the subject (any case).
    pub unit: Option<String>,
    pub year: Option<i64>,
    pub search: Option<String>,
}

/// `SELECT` of every note column followed by the rest of a query, as one static string.
macro_rules! select_notes {
    ($rest:literal) => {
        concat!(
            "SELECT id, number, year, codes, state, version, spec, created_by, created_at, updated_at, review, previous_id FROM notes ",
            $rest
        )
    };
}
pub(super) use select_notes;

impl Store {
    /// Allocates the next number of the year and the next counter of each code, and
    /// stores the note in `draft`, all in one transaction: a failure anywhere rolls back
    /// every counter, so a refused or failed registration burns no number.
    #[tracing::instrument(skip_all, fields(year = new.year))]
    pub async fn register(&self, new: NewNote<'_>) -> Result<Note, StoreError> {
        let mut tx = self.begin_write().await?;
        // The document counter first: its row lock orders every registration of the
        // year, so the code counters below are never taken in conflicting orders.
        let serial = next_value(&mut tx, &format!("doc:{}", new.year), new.first_number).await?;
        let number = DocNumber::allocated(serial, new.year)?;
        let mut codes = Vec::with_capacity(new.spec.codes.len());
        for name in &new.spec.codes {
            let counter = next_value(&mut tx, &format!("code:{name}:{}", new.year), 1).await?;
            codes.push(DistributionCode {
                name: name.clone(),
                counter: counter as u32,
            });
        }
        let note = insert_draft(
            &mut tx,
            Draft {
                number,
                codes,
                revision: 0,
                previous: None,
                spec: new.spec,
                by: new.by,
                now: new.now,
                detail: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(note)
    }

    /// Stores `spec` as the next version of a note that is still at `expected` (its
    /// version and state when the caller checked the edit was allowed). `None` when the
    /// note changed meanwhile: the caller reloads rather than overwrite someone's edit.
    #[tracing::instrument(skip_all, fields(note = expected.id))]
    pub async fn save_version(
        &self,
        expected: &Note,
        spec: &NoteSpec,
        by: &Principal,
        now: Timestamp,
    ) -> Result<Option<Note>, StoreError> {
        let mut tx = self.begin_write().await?;
        let spec_text = spec.to_json().to_string();
        let now_text = now.to_string();
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE notes SET spec = $1, version = version + 1, updated_at = $2, unit = $6 \
             WHERE id = $3 AND version = $4 AND state = $5 RETURNING version",
        )
        .bind(&spec_text)
        .bind(&now_text)
        .bind(expected.id)
        .bind(expected.version)
        .bind(expected.state.as_str())
        .bind(&spec.unit)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(version) = version else {
            return Ok(None);
        };
        insert_version(
            &mut tx,
            expected.id,
            version,
            &spec_text,
            &by.name,
            &now_text,
        )
        .await?;
        audit::append(
            &mut tx,
            expected.id,
            &AuditEntry::by(now, by, "edited", Some(version)),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Note {
            version,
            spec: spec.clone(),
            updated_at: now,
            ..expected.clone()
        }))
    }

    /// Registers revision k of the document `of` belongs to (the next k of its base
    /// number) as a draft with `spec`, its codes' counters carried over with revision k.
    /// The base document's row lock orders concurrent revisions of the same number.
    #[tracing::instrument(skip_all, fields(of = of.id))]
    pub async fn register_revision(
        &self,
        of: &Note,
        spec: &NoteSpec,
        by: &Principal,
        now: Timestamp,
    ) -> Result<Note, StoreError> {
        let mut tx = self.begin_write().await?;
        let (year, serial) = (i64::from(of.number.year()), i64::from(of.number.serial()));
        let base_lock = match self.backend {
            super::Backend::Sqlite => {
                "SELECT id FROM notes WHERE year = $1 AND serial = $2 AND revision = 0"
            }
            super::Backend::Postgres => {
                "SELECT id FROM notes WHERE year = $1 AND serial = $2 AND revision = 0 FOR UPDATE"
            }
        };
        sqlx::query(base_lock)
            .bind(year)
            .bind(serial)
            .fetch_optional(&mut *tx)
            .await?;
        let k: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(revision), 0) + 1 FROM notes WHERE year = $1 AND serial = $2",
        )
        .bind(year)
        .bind(serial)
        .fetch_one(&mut *tx)
        .await?;
        let base = DocNumber::new(of.number.serial(), of.number.year());
        let number = base.revised(u16::try_from(k).unwrap_or(u16::MAX))?;
        let note = insert_draft(
            &mut tx,
            Draft {
                number,
                codes: of.codes.clone(),
                revision: number.revision().unwrap_or_default(),
                previous: Some(of.id),
                spec,
                by,
                now,
                detail: Some(format!("revision {k}, revising {}", of.number)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(note)
    }

    pub async fn note(&self, id: NoteId) -> Result<Option<Note>, StoreError> {
        let row = sqlx::query(select_notes!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(note_from_row).transpose()
    }

    /// Notes newest first, filtered in SQL so that a drafter's page is full of notes of
    /// their units however many other notes there are. A row this daemon cannot read is
    /// logged with its id and left out, so one bad row never takes the whole list down;
    /// reading that note on its own still reports what is wrong with it. Also returns how
    /// many rows matched, read or not, so that paging can tell whether more follow.
    pub async fn notes(&self, filter: &NoteFilter) -> Result<(Vec<Note>, usize), StoreError> {
        let mut sql = select_notes!("WHERE 1 = 1").to_owned();
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.state.is_some() {
            sql.push_str(&format!(" AND state = {}", next()));
        }
        if let Some(units) = &filter.units {
            if units.is_empty() {
                return Ok((Vec::new(), 0));
            }
            let p: Vec<String> = units.iter().map(|_| next()).collect();
            sql.push_str(&format!(" AND unit IN ({})", p.join(", ")));
        }
        if filter.before.is_some() {
            sql.push_str(&format!(" AND id < {}", next()));
        }
        if filter.unit.is_some() {
            sql.push_str(&format!(" AND unit = {}", next()));
        }
        if filter.year.is_some() {
            sql.push_str(&format!(" AND year = {}", next()));
        }
        if filter.search.is_some() {
            let subject = match self.backend {
                Backend::Sqlite => "json_extract(spec, '$.subject')",
                Backend::Postgres => "(spec::jsonb ->> 'subject')",
            };
            let p = next();
            sql.push_str(&format!(
                " AND (lower(number) LIKE {p} ESCAPE '\\' OR lower({subject}) LIKE {p} ESCAPE '\\')"
            ));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", next()));
        // Audited: fixed text and numbered placeholders; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(state) = filter.state {
            query = query.bind(state.as_str());
        }
        for unit in filter.units.iter().flatten() {
            query = query.bind(unit.clone());
        }
        if let Some(before) = filter.before {
            query = query.bind(before);
        }
        if let Some(unit) = &filter.unit {
            query = query.bind(unit.clone());
        }
        if let Some(year) = filter.year {
            query = query.bind(year);
        }
        if let Some(text) = &filter.search {
            query = query.bind(like_pattern(text));
        }
        let rows = query.bind(filter.limit).fetch_all(&self.read).await?;
        Ok((rows.iter().filter_map(readable_note).collect(), rows.len()))
    }

    /// One stored version's spec and when it was saved (the date its draft PDF bears).
    pub async fn version(
        &self,
        id: NoteId,
        version: i64,
    ) -> Result<Option<(NoteSpec, Timestamp)>, StoreError> {
        let row = sqlx::query(
            "SELECT v.spec, v.created_at, n.created_at AS registered FROM note_versions v \
             JOIN notes n ON n.id = v.note_id WHERE v.note_id = $1 AND v.version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            let registered = parse_time(&r.try_get::<String, _>("registered")?)?;
            Ok((
                stored_spec(&r.try_get::<String, _>("spec")?, registered)?,
                parse_time(&r.try_get::<String, _>("created_at")?)?,
            ))
        })
        .transpose()
    }

    /// Every stored version's spec of a note, oldest first.
    pub async fn versions(&self, id: NoteId) -> Result<Vec<(i64, Value)>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, spec FROM note_versions WHERE note_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("version")?,
                    json(&r.try_get::<String, _>("spec")?, "spec")?,
                ))
            })
            .collect()
    }
}

/// A note to store as a new draft, its number and counters already allocated.
struct Draft<'a> {
    number: DocNumber,
    codes: Vec<DistributionCode>,
    /// k of `REV k`, 0 for an original; the codes' counters are stored with it.
    revision: u16,
    previous: Option<NoteId>,
    spec: &'a NoteSpec,
    by: &'a Principal,
    now: Timestamp,
    /// Said in the "registered" audit entry.
    detail: Option<String>,
}

/// Inserts a draft with its codes, its first version and its "registered" audit entry.
async fn insert_draft(
    tx: &mut Transaction<'static, Any>,
    draft: Draft<'_>,
) -> Result<Note, StoreError> {
    let spec = draft.spec.to_json().to_string();
    let now = draft.now.to_string();
    let year = i64::from(draft.number.year());
    let id: NoteId = sqlx::query_scalar(
        "INSERT INTO notes (number, year, serial, codes, state, version, spec, created_by, \
         created_at, updated_at, previous_id, revision, unit, created_by_id, created_by_email) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(draft.number.to_string())
    .bind(year)
    .bind(i64::from(draft.number.serial()))
    .bind(codes_to_json(&draft.codes))
    .bind(NoteState::Draft.as_str())
    .bind(&spec)
    .bind(&draft.by.name)
    .bind(&now)
    .bind(draft.previous)
    .bind(i64::from(draft.revision))
    .bind(&draft.spec.unit)
    .bind(draft.by.id.stored())
    .bind(draft.by.email.as_ref().map(|e| e.as_str().to_owned()))
    .fetch_one(&mut **tx)
    .await?;
    for (position, code) in draft.codes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO note_codes (note_id, position, code, year, counter, revision) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(code.name.as_str())
        .bind(year)
        .bind(i64::from(code.counter))
        .bind(i64::from(draft.revision))
        .execute(&mut **tx)
        .await?;
    }
    insert_version(tx, id, 1, &spec, &draft.by.name, &now).await?;
    let mut entry = AuditEntry::by(draft.now, draft.by, "registered", Some(1));
    entry.detail = draft.detail;
    audit::append(tx, id, &entry).await?;
    Ok(Note {
        id,
        number: draft.number,
        codes: draft.codes,
        state: NoteState::Draft,
        version: 1,
        spec: draft.spec.clone(),
        created_by: draft.by.name.clone(),
        created_at: draft.now,
        updated_at: draft.now,
        review: None,
        previous: draft.previous,
    })
}

/// Takes the next value of a series, starting it at `first` if it is new.
async fn next_value(
    tx: &mut Transaction<'static, Any>,
    series: &str,
    first: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO counters (series, last_value) VALUES ($1, $2) \
         ON CONFLICT (series) DO UPDATE SET last_value = counters.last_value + 1 \
         RETURNING last_value",
    )
    .bind(series)
    .bind(first)
    .fetch_one(&mut **tx)
    .await?)
}

async fn insert_version(
    tx: &mut Transaction<'static, Any>,
    id: NoteId,
    version: i64,
    spec: &str,
    actor: &str,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO note_versions (note_id, version, spec, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(version)
    .bind(spec)
    .bind(actor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn codes_to_json(codes: &[DistributionCode]) -> String {
    Value::from(codes.iter().map(ToString::to_string).collect::<Vec<_>>()).to_string()
}

fn json(text: &str, what: &'static str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

fn corrupt(what: &'static str) -> impl Fn(String) -> StoreError {
    move |detail| StoreError::Corrupt { what, detail }
}

/// A stored spec, parsed as it is read: a spec that no longer parses makes its note
/// unreadable, not a render or a list fail later. It was checked against the
/// configuration when saved, so it reads back whatever the configuration names now.
fn stored_spec(text: &str, registered: Timestamp) -> Result<NoteSpec, StoreError> {
    NoteSpec::from_stored(json(text, "spec")?, brussels_date(registered))
        .map_err(|e| corrupt("spec")(e.to_string()))
}

/// `%text%` in lower case, with LIKE's wildcards in `text` taken literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The note of a listed row, or `None` (logged) when it cannot be read.
fn readable_note(row: &AnyRow) -> Option<Note> {
    note_from_row(row)
        .inspect_err(|e| {
            let id = row.try_get::<NoteId, _>("id").ok();
            tracing::error!(note = ?id, error = %e, "a stored note cannot be read; left out of the list");
        })
        .ok()
}

pub(super) fn note_from_row(row: &AnyRow) -> Result<Note, StoreError> {
    let number: String = row.try_get("number")?;
    let year: i64 = row.try_get("year")?;
    let codes: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("codes")?)
        .map_err(|e| corrupt("codes")(e.to_string()))?;
    let state: String = row.try_get("state")?;
    let created_at = parse_time(&row.try_get::<String, _>("created_at")?)?;
    let spec = stored_spec(&row.try_get::<String, _>("spec")?, created_at)?;
    Ok(Note {
        id: row.try_get("id")?,
        number: number
            .parse()
            .map_err(|e: crate::reference::ReferenceError| corrupt("number")(e.to_string()))
            .and_then(|n: DocNumber| {
                u16::try_from(year)
                    .ok()
                    .and_then(|y| n.in_year(y))
                    .ok_or_else(|| corrupt("number")(format!("`{number}` is not of year {year}")))
            })?,
        codes: codes
            .iter()
            .map(|c| {
                c.parse()
                    .map_err(|e: crate::reference::ReferenceError| corrupt("codes")(e.to_string()))
            })
            .collect::<Result<_, _>>()?,
        state: state.parse().map_err(corrupt("state"))?,
        version: row.try_get("version")?,
        spec,
        created_by: row.try_get("created_by")?,
        created_at,
        updated_at: parse_time(&row.try_get::<String, _>("updated_at")?)?,
        review: row
            .try_get::<Option<String>, _>("review")?
            .map(|text| serde_json::from_str(&text).map_err(|e| corrupt("review")(e.to_string())))
            .transpose()?,
        previous: row.try_get("previous_id")?,
    })
}

impl Store {
    /// How many notes are in each state, for monitoring.
    pub async fn count_by_state(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM notes GROUP BY state ORDER BY state")
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }
}

impl super::WriteTx {
    /// The address of whoever registered a note, told when changes are requested;
    /// `None` when they gave none, or registered it before addresses were kept.
    pub async fn registrant_email(&mut self, id: NoteId) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT created_by_email FROM notes WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?
                .flatten(),
        )
    }
}
