//! The store's business rules. No AWS types here: adapters translate.

mod events;
mod money;
mod order;
mod product;
mod user;

pub use events::*;
pub use money::Money;
pub use order::*;
pub use product::*;
pub use user::*;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("an order cannot move from {from} to {to}")]
    IllegalTransition { from: OrderStatus, to: OrderStatus },
    #[error("an order needs at least one line")]
    EmptyOrder,
    #[error("line total of {0} does not match its price and quantity")]
    LineTotalMismatch(String),
    #[error("amount too large")]
    AmountOverflow,
}
