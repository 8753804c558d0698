//! The library every function of the store uses: the domain, the ports it
//! needs from the world, and their adapters (AWS, simulated third parties,
//! in memory).

pub mod adapters;
pub mod auth;
pub mod domain;
pub mod http;
pub mod milestone;
pub mod ports;
pub mod step;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod webhook;
