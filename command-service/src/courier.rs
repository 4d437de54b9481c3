//! Delivers the ledger's own follow-up commands (`ledger_core::saga`): a
//! transfer's receive and settle, a group's join and confirm. One account's
//! decision asks another account for something; the courier decides it
//! here when this instance owns that account's partition, and otherwise
//! puts it on the commands topic, keyed for the owner's intake (Kafka mode),
//! sealed so that the intake can tell it from a forgery (see `seal`).
//!
//! Delivery is at least once: a follow-up is idempotent where it lands, and
//! what an account still waits for is asked again when its partition is
//! acquired (`CommandService::resume_unfinished`), so a crash loses none.

use crate::encode::account_key;
use crate::error::CommandError;
use crate::seal::{SealKeys, SEAL_HEADER};
use crate::service::CommandService;
use ledger_core::command_codec::follow_up_envelope;
use ledger_core::saga::FollowUp;
use ledger_core::Rejection;
use loyalty_proto::Message as _;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{error, info_span, warn, Instrument};

/// A follow-up for an account of `program_id`.
#[derive(Clone, Debug)]
pub struct Parcel {
    pub program_id: String,
    pub follow_up: FollowUp,
}

/// Where follow-ups for accounts owned elsewhere go.
pub enum Elsewhere {
    /// Every partition is owned here (the embedded default, a single writer).
    Nowhere,
    /// The commands topic, where the owner's intake decides them.
    Topic {
        producer: FutureProducer,
        topic: String,
        keys: SealKeys,
    },
}

/// Delivers parcels until the service is dropped.
pub async fn run_courier(
    service: Arc<CommandService>,
    mut parcels: mpsc::UnboundedReceiver<Parcel>,
    elsewhere: Elsewhere,
) {
    while let Some(parcel) = parcels.recv().await {
        let span = info_span!(
            "follow_up",
            program = %parcel.program_id,
            member = %parcel.follow_up.member_id
        );
        deliver(&service, &elsewhere, parcel).instrument(span).await;
    }
}

async fn deliver(service: &CommandService, elsewhere: &Elsewhere, parcel: Parcel) {
    let Parcel {
        program_id,
        follow_up,
    } = parcel;
    loop {
        let partition = service.partition_of(&program_id, &follow_up.member_id);
        if service.owns(partition).await {
            match service
                .execute(&program_id, &follow_up.member_id, follow_up.command.clone())
                .await
            {
                // The program is not read yet (just started): ask again.
                Err(CommandError::Rejected(Rejection::ProgramNotFound(_))) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                // A rejection is an answer too: `execute` sent it on.
                Ok(_) | Err(CommandError::Rejected(_)) => return,
                Err(CommandError::NotOwner { .. }) => {}
                Err(e) => {
                    error!(error = %e, "a follow-up failed on infrastructure; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
        }
        match elsewhere {
            Elsewhere::Topic {
                producer,
                topic,
                keys,
            } => {
                if send(producer, topic, keys, partition, &program_id, &follow_up).await {
                    return;
                }
            }
            Elsewhere::Nowhere => {
                warn!("no owner for a follow-up's account yet; waiting");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Puts a sealed follow-up on the commands topic; false (after a pause)
/// when the broker did not take it.
async fn send(
    producer: &FutureProducer,
    topic: &str,
    keys: &SealKeys,
    partition: u32,
    program_id: &str,
    f: &FollowUp,
) -> bool {
    let Some(envelope) = follow_up_envelope(program_id, f) else {
        error!(command = ?f.command, "a follow-up without a wire form was dropped");
        return true;
    };
    let key = account_key(program_id, &f.member_id);
    let payload = envelope.encode_to_vec();
    let seal = keys.seal(&payload);
    // The account's partition: commands and events partitions match.
    let record = FutureRecord::to(topic)
        .partition(partition as i32)
        .key(&key)
        .payload(&payload)
        .headers(OwnedHeaders::new().insert(Header {
            key: SEAL_HEADER,
            value: Some(&seal),
        }));
    match producer.send(record, Duration::from_secs(30)).await {
        Ok(_) => true,
        Err((e, _)) => {
            error!(error = %e, "sending a follow-up to the commands topic failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            false
        }
    }
}
