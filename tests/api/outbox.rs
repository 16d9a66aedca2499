//! The outbox at the service layer, with no mail worker running: claiming and recording
//! results in batches larger than one statement takes.

use std::sync::Arc;

use jiff::SignedDuration;
use notesd::clock::ShiftedClock;
use notesd::mail::SendError;
use notesd::service::{Service, Try};
use notesd::store::{
    ActorId, ClientInfo, DeliveryStatus, MailKind, NewMail, Principal, Role, Store,
};
use serde_json::json;

use crate::helpers::{TestDb, UNIT, default_time, settings_for, spec};

const ROWS: usize = 250;

/// Row `i` of the batch: most are accepted, some refused for good, some deferred.
fn result_of(i: usize) -> Result<(), SendError> {
    match i % 50 {
        7 => Err(SendError {
            permanent: true,
            message: format!("550 5.1.1 no such user r{i}"),
        }),
        9 => Err(SendError {
            permanent: false,
            message: "451 4.3.0 try again later".to_owned(),
        }),
        _ => Ok(()),
    }
}

/// One batch of 250 results, more than one multi-row statement holds: every row gets its
/// own outcome, error and the time its own send ended.
async fn one_batch_of_many_results(db: TestDb) {
    let settings = settings_for(&db);
    let store = Store::connect(&db.url()).await.expect("the database");
    store.migrate().await.expect("migrations");
    let clock = Arc::new(ShiftedClock::new(default_time()));
    let service = Service::new(store.clone(), &settings, clock).expect("a service");
    let who = Principal {
        id: ActorId::Token(1),
        name: "Test Drafter".to_owned(),
        role: Role::Drafter,
        email: None,
        units: vec![UNIT.to_owned()],
        client: ClientInfo::default(),
    };
    let note = service
        .register(&who, spec(&["JAI"]))
        .await
        .expect("registered");
    let mails: Vec<NewMail> = (0..ROWS)
        .map(|i| NewMail {
            note_id: note.id,
            kind: MailKind::Delivery,
            recipient: format!("r{i}@many.example"),
            recipient_name: Some(format!("Recipient {i}")),
            list: Some("many".to_owned()),
            context: json!({ "n": i }),
            secret: None,
            now: default_time(),
        })
        .collect();
    let mut tx = store.begin().await.expect("a transaction");
    tx.enqueue_all(&mails).await.expect("queued");
    tx.commit().await.expect("committed");

    let rows = service.claim_mail("w-test", 1000).await.expect("claimed");
    assert_eq!(rows.len(), ROWS);
    assert!(
        service
            .claim_mail("w-other", 1000)
            .await
            .unwrap()
            .is_empty(),
        "claimed rows are not claimed twice"
    );
    let ended = |i: usize| default_time() + SignedDuration::from_millis(3 * i as i64 + 1);
    let tries: Vec<Try> = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            assert_eq!(row.context["n"], i, "claimed in queue order");
            Try {
                row,
                result: result_of(i),
                ended: ended(i),
            }
        })
        .collect();
    service.finish_mails(&tries).await.expect("recorded");

    let deliveries = store.deliveries(note.id).await.expect("deliveries");
    assert_eq!(deliveries.len(), ROWS);
    for (i, delivery) in deliveries.iter().enumerate() {
        assert_eq!(delivery.recipient, format!("r{i}@many.example"));
        assert_eq!(delivery.attempts, 1, "{delivery:?}");
        match result_of(i) {
            Ok(()) => {
                assert_eq!(delivery.status, DeliveryStatus::Sent, "{delivery:?}");
                assert_eq!(delivery.sent_at, Some(ended(i)), "{delivery:?}");
                assert_eq!(delivery.last_error, None);
            }
            Err(e) if e.permanent => {
                assert_eq!(delivery.status, DeliveryStatus::Failed, "{delivery:?}");
                assert_eq!(delivery.last_error.as_deref(), Some(e.message.as_str()));
                assert_eq!(delivery.sent_at, None);
            }
            Err(e) => {
                assert_eq!(delivery.status, DeliveryStatus::Deferred, "{delivery:?}");
                assert_eq!(delivery.last_error.as_deref(), Some(e.message.as_str()));
            }
        }
    }
    // Nothing is claimed any more: the deferred rows come back when their retry is due.
    assert!(
        service
            .claim_mail("w-other", 1000)
            .await
            .unwrap()
            .is_empty()
    );
    store.close().await;
    db.remove().await;
}

#[tokio::test]
async fn one_batch_of_many_results_keeps_each_rows_outcome_on_sqlite() {
    one_batch_of_many_results(TestDb::sqlite()).await;
}

#[tokio::test]
async fn one_batch_of_many_results_keeps_each_rows_outcome_on_postgres() {
    if let Some(db) =
        TestDb::postgres("one_batch_of_many_results_keeps_each_rows_outcome_on_postgres").await
    {
        one_batch_of_many_results(db).await;
    }
}
