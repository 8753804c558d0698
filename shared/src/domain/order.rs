//! The Order aggregate: its status machine, timeline and priced lines.

use super::{DomainError, Money};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The seed's twelve statuses. The serialized names are the API's `state`
/// values and what the state machine writes into DynamoDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    New,
    Validating,
    Validated,
    Paying,
    Paid,
    PaymentFailed,
    Shipping,
    Shipped,
    ShipFailed,
    Delivered,
    Cancelled,
    Failed,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 12] = [
        OrderStatus::New,
        OrderStatus::Validating,
        OrderStatus::Validated,
        OrderStatus::Paying,
        OrderStatus::Paid,
        OrderStatus::PaymentFailed,
        OrderStatus::Shipping,
        OrderStatus::Shipped,
        OrderStatus::ShipFailed,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Failed,
    ];

    /// The legal moves, the single source of truth that `statemachine/CONTRACT.md`
    /// documents and the ASL test checks the state machine against.
    pub fn allowed_next(self) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match self {
            New => &[Validating, Cancelled, Failed],
            Validating => &[Validated, Failed, Cancelled],
            Validated => &[Paying, Cancelled],
            Paying => &[Paid, PaymentFailed, Failed],
            PaymentFailed => &[Paying, Failed],
            Paid => &[Shipping, Failed],
            Shipping => &[Shipped, ShipFailed, Failed],
            ShipFailed => &[Shipping, Failed],
            Shipped => &[Delivered],
            Delivered | Cancelled | Failed => &[],
        }
    }

    pub fn can_become(self, next: OrderStatus) -> bool {
        self.allowed_next().contains(&next)
    }

    /// The statuses of `expected` that may become `self`: what a store's
    /// conditional write admits, so no caller's list can allow a move the
    /// table above forbids.
    pub fn legal_predecessors_among(self, expected: &[OrderStatus]) -> Vec<OrderStatus> {
        expected
            .iter()
            .copied()
            .filter(|from| from.can_become(self))
            .collect()
    }

    pub fn is_final(self) -> bool {
        self.allowed_next().is_empty()
    }

    /// A customer may cancel until payment starts.
    pub fn is_cancellable(self) -> bool {
        self.can_become(OrderStatus::Cancelled)
    }

    pub fn as_str(self) -> &'static str {
        use OrderStatus::*;
        match self {
            New => "new",
            Validating => "validating",
            Validated => "validated",
            Paying => "paying",
            Paid => "paid",
            PaymentFailed => "payment_failed",
            Shipping => "shipping",
            Shipped => "shipped",
            ShipFailed => "ship_failed",
            Delivered => "delivered",
            Cancelled => "cancelled",
            Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub product_id: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub line_total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingAddress {
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDetails {
    pub transaction_id: String,
    pub last4: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentDetails {
    pub carrier: String,
    pub tracking_number: String,
    pub estimated_delivery: String,
}

/// An order's processing details as the seed store's clients read them:
/// snake_case, each only once known (the order view carries them flat in
/// `data`, the status stream in each frame).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessingDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_delivery: Option<String>,
    /// A failure's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ProcessingDetails {
    pub fn of(order: &Order) -> Self {
        ProcessingDetails {
            transaction_id: order.payment.as_ref().map(|p| p.transaction_id.clone()),
            last4: order.payment.as_ref().map(|p| p.last4.clone()),
            tracking_number: order.shipment.as_ref().map(|s| s.tracking_number.clone()),
            carrier: order.shipment.as_ref().map(|s| s.carrier.clone()),
            estimated_delivery: order
                .shipment
                .as_ref()
                .map(|s| s.estimated_delivery.clone()),
            error: order.failure_reason.clone(),
        }
    }
}

/// What a pipeline step produced that the order keeps, written together
/// with the status change that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRecord {
    Payment(PaymentDetails),
    Shipment(ShipmentDetails),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub items: Vec<OrderLine>,
    pub shipping: ShippingAddress,
    pub total: Money,
    pub currency: String,
    pub payment_token: String,
    pub correlation_id: String,
    pub timeline: Vec<TimelineEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment: Option<ShipmentDetails>,
    #[serde(default)]
    pub needs_attention: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// What a new order is made from; prices come from the catalog, never the client.
pub struct NewOrder {
    pub id: String,
    pub user_id: String,
    pub items: Vec<OrderLine>,
    pub shipping: ShippingAddress,
    pub payment_token: String,
    pub correlation_id: String,
    pub now: DateTime<Utc>,
}

impl Order {
    pub fn place(new: NewOrder) -> Result<Order, DomainError> {
        if new.items.is_empty() {
            return Err(DomainError::EmptyOrder);
        }
        let mut total = Money::ZERO;
        for line in &new.items {
            let expected = line
                .unit_price
                .checked_mul(line.quantity)
                .ok_or(DomainError::AmountOverflow)?;
            if expected != line.line_total {
                return Err(DomainError::LineTotalMismatch(line.product_id.clone()));
            }
            total = Money::from_cents(
                total
                    .cents()
                    .checked_add(expected.cents())
                    .ok_or(DomainError::AmountOverflow)?,
            );
        }
        Ok(Order {
            id: new.id,
            user_id: new.user_id,
            status: OrderStatus::New,
            created_at: new.now,
            updated_at: new.now,
            items: new.items,
            shipping: new.shipping,
            total,
            currency: "USD".to_string(),
            payment_token: new.payment_token,
            correlation_id: new.correlation_id,
            timeline: vec![TimelineEntry {
                status: OrderStatus::New,
                at: new.now,
                reason: "order placed".to_string(),
            }],
            payment: None,
            shipment: None,
            needs_attention: false,
            failure_reason: None,
        })
    }

    /// Moves the order to `next` if the status machine allows it, recording why.
    pub fn transition(
        &mut self,
        next: OrderStatus,
        reason: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if !self.status.can_become(next) {
            return Err(DomainError::IllegalTransition {
                from: self.status,
                to: next,
            });
        }
        self.status = next;
        self.updated_at = at;
        self.timeline.push(TimelineEntry {
            status: next,
            at,
            reason: reason.into(),
        });
        Ok(())
    }

    /// Records something that happened to the order without changing its
    /// status (a refund made in the payment provider's dashboard).
    pub fn note(&mut self, reason: impl Into<String>, at: DateTime<Utc>) {
        self.updated_at = at;
        self.timeline.push(TimelineEntry {
            status: self.status,
            at,
            reason: reason.into(),
        });
    }

    pub fn keep(&mut self, record: OrderRecord) {
        match record {
            OrderRecord::Payment(payment) => self.payment = Some(payment),
            OrderRecord::Shipment(shipment) => self.shipment = Some(shipment),
        }
    }

    pub fn line_quantities(&self) -> Vec<(String, u32)> {
        merge_quantities(
            self.items
                .iter()
                .map(|l| (l.product_id.clone(), l.quantity)),
        )
    }
}

/// Sums the quantities of lines that name the same product, keeping first-seen
/// order, so one product is reserved by one stock update.
pub fn merge_quantities(lines: impl IntoIterator<Item = (String, u32)>) -> Vec<(String, u32)> {
    let mut merged: Vec<(String, u32)> = Vec::new();
    for (product_id, quantity) in lines {
        match merged.iter_mut().find(|(id, _)| *id == product_id) {
            Some((_, total)) => *total = total.saturating_add(quantity),
            None => merged.push((product_id, quantity)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    fn now() -> DateTime<Utc> {
        "2026-11-21T10:00:00Z".parse().unwrap()
    }

    fn line(id: &str, qty: u32, cents: i64) -> OrderLine {
        OrderLine {
            product_id: id.into(),
            name: id.into(),
            quantity: qty,
            unit_price: Money::from_cents(cents),
            line_total: Money::from_cents(cents * i64::from(qty)),
        }
    }

    fn order() -> Order {
        Order::place(NewOrder {
            id: "o1".into(),
            user_id: "u1".into(),
            items: vec![line("prod-001", 2, 14999), line("prod-002", 1, 4999)],
            shipping: ShippingAddress {
                address: "1 Main St".into(),
                city: "SF".into(),
                state: "CA".into(),
                zip: "94102".into(),
            },
            payment_token: "tok_visa".into(),
            correlation_id: "c1".into(),
            now: now(),
        })
        .unwrap()
    }

    const LEGAL: &[(OrderStatus, OrderStatus)] = &[
        (New, Validating),
        (New, Cancelled),
        (New, Failed),
        (Validating, Validated),
        (Validating, Failed),
        (Validating, Cancelled),
        (Validated, Paying),
        (Validated, Cancelled),
        (Paying, Paid),
        (Paying, PaymentFailed),
        (Paying, Failed),
        (PaymentFailed, Paying),
        (PaymentFailed, Failed),
        (Paid, Shipping),
        (Paid, Failed),
        (Shipping, Shipped),
        (Shipping, ShipFailed),
        (Shipping, Failed),
        (ShipFailed, Shipping),
        (ShipFailed, Failed),
        (Shipped, Delivered),
    ];

    #[test]
    fn every_pair_of_statuses_is_legal_exactly_when_listed() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expected = LEGAL.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from} -> {to}");
                let mut o = order();
                o.status = from;
                let result = o.transition(to, "test", now());
                assert_eq!(result.is_ok(), expected, "{from} -> {to}");
                if expected {
                    assert_eq!(o.status, to);
                    assert_eq!(o.timeline.last().unwrap().status, to);
                } else {
                    assert_eq!(o.status, from, "an illegal move must not change the order");
                    assert_eq!(
                        result.unwrap_err(),
                        DomainError::IllegalTransition { from, to }
                    );
                }
            }
        }
    }

    /// The table as the state machine's checks read it
    /// (statemachine/test/asl.test.mjs and the CONTRACT.md check).
    #[test]
    fn the_transition_table_is_written_out_for_the_state_machine_checks() {
        let transitions: serde_json::Map<String, serde_json::Value> = OrderStatus::ALL
            .into_iter()
            .map(|from| (from.to_string(), serde_json::json!(from.allowed_next())))
            .collect();
        let table = serde_json::json!({
            "generatedBy": "shared/src/domain/order.rs (BLESS=1 cargo test -p shared --lib rewrites it)",
            "statuses": OrderStatus::ALL,
            "final": OrderStatus::ALL.into_iter().filter(|s| s.is_final()).collect::<Vec<_>>(),
            "transitions": transitions,
        });
        let text = serde_json::to_string_pretty(&table).unwrap() + "\n";
        crate::testing::check_generated("statemachine/transitions.json", &text);
    }

    #[test]
    fn a_caller_cannot_widen_the_moves_a_store_admits() {
        assert_eq!(
            Validated.legal_predecessors_among(&[New, Validating, Shipped]),
            vec![Validating]
        );
        assert!(Paid
            .legal_predecessors_among(&[Delivered, Cancelled])
            .is_empty());
        for to in OrderStatus::ALL {
            let admitted = to.legal_predecessors_among(&OrderStatus::ALL);
            let legal: Vec<_> = LEGAL
                .iter()
                .filter(|(_, t)| *t == to)
                .map(|(f, _)| *f)
                .collect();
            assert_eq!(admitted.len(), legal.len(), "{to}");
            assert!(admitted.iter().all(|f| legal.contains(f)), "{to}");
        }
    }

    #[test]
    fn final_and_cancellable_statuses() {
        let finals: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, vec![Delivered, Cancelled, Failed]);
        let cancellable: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_cancellable())
            .collect();
        assert_eq!(cancellable, vec![New, Validating, Validated]);
    }

    #[test]
    fn status_names_round_trip_through_serde_and_parse() {
        for status in OrderStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("shipped_maybe"), None);
    }

    #[test]
    fn happy_path_builds_a_timeline() {
        let mut o = order();
        for next in [
            Validating, Validated, Paying, Paid, Shipping, Shipped, Delivered,
        ] {
            o.transition(next, format!("to {next}"), now()).unwrap();
        }
        let statuses: Vec<_> = o.timeline.iter().map(|e| e.status).collect();
        assert_eq!(
            statuses,
            vec![New, Validating, Validated, Paying, Paid, Shipping, Shipped, Delivered]
        );
        assert!(o.status.is_final());
    }

    #[test]
    fn placing_totals_lines_in_cents() {
        let o = order();
        assert_eq!(o.total, Money::from_cents(2 * 14999 + 4999));
        assert_eq!(o.status, New);
        assert_eq!(o.timeline.len(), 1);
    }

    #[test]
    fn placing_rejects_empty_and_inconsistent_lines() {
        let base = || NewOrder {
            id: "o".into(),
            user_id: "u".into(),
            items: vec![],
            shipping: order().shipping,
            payment_token: "tok_visa".into(),
            correlation_id: "c".into(),
            now: now(),
        };
        assert_eq!(Order::place(base()).unwrap_err(), DomainError::EmptyOrder);
        let mut bad = line("prod-001", 2, 100);
        bad.line_total = Money::from_cents(1);
        let err = Order::place(NewOrder {
            items: vec![bad],
            ..base()
        })
        .unwrap_err();
        assert_eq!(err, DomainError::LineTotalMismatch("prod-001".into()));
    }

    #[test]
    fn merges_repeated_products() {
        let merged = merge_quantities([("a".into(), 1), ("b".into(), 2), ("a".into(), 3)]);
        assert_eq!(merged, vec![("a".to_string(), 4), ("b".to_string(), 2)]);
    }
}
