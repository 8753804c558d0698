//! Adapters: the ports implemented on AWS, on simulations of third parties,
//! and (with the `testing` feature) in memory for tests.

pub mod aws;
#[cfg(test)]
mod canned;
pub mod carrier_sim;
pub mod dynamodb;
pub mod eventbridge;
pub mod https;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod payment_sim;
pub mod payments;
pub mod ses;
pub mod stepfunctions;
pub mod stripe;

use crate::ports::{Clock, IdGenerator};
use chrono::{DateTime, Utc};

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// UUID v7: unique without coordination and sorted by creation time.
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn new_id(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }
}
