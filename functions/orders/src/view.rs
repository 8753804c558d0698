use serde::Serialize;
use shared::domain::{
    Order, OrderStatus, PaymentDetails, ProcessingDetails, ShipmentDetails, ShippingAddress,
    TimelineEntry,
};
use shared::ports::PaymentState;

/// An order in the contract's shape, `{"id", "data": {...}, "state"}`, with
/// money as decimals for the seed's clients.
#[derive(Serialize)]
pub struct OrderView {
    id: String,
    data: OrderData,
    state: OrderStatus,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderData {
    user_id: String,
    items: Vec<LineView>,
    shipping: ShippingAddress,
    total: f64,
    currency: String,
    created_at: String,
    updated_at: String,
    timeline: Vec<TimelineEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment: Option<PaymentDetails>,
    /// From the payment ledger, on the one-order read only.
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_state: Option<PaymentState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shipment: Option<ShipmentDetails>,
    needs_attention: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<String>,
    /// Flat, as the seed store's order page reads them.
    #[serde(flatten)]
    details: ProcessingDetails,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineView {
    product_id: String,
    name: String,
    quantity: u32,
    price: f64,
    line_total: f64,
}

impl OrderView {
    pub fn with_payment_state(mut self, state: Option<PaymentState>) -> Self {
        self.data.payment_state = state;
        self
    }
}

impl From<Order> for OrderView {
    fn from(order: Order) -> Self {
        let details = ProcessingDetails::of(&order);
        OrderView {
            id: order.id,
            state: order.status,
            data: OrderData {
                user_id: order.user_id,
                items: order
                    .items
                    .into_iter()
                    .map(|l| LineView {
                        product_id: l.product_id,
                        name: l.name,
                        quantity: l.quantity,
                        price: l.unit_price.as_decimal(),
                        line_total: l.line_total.as_decimal(),
                    })
                    .collect(),
                shipping: order.shipping,
                total: order.total.as_decimal(),
                currency: order.currency,
                created_at: order.created_at.to_rfc3339(),
                updated_at: order.updated_at.to_rfc3339(),
                timeline: order.timeline,
                payment: order.payment,
                payment_state: None,
                shipment: order.shipment,
                needs_attention: order.needs_attention,
                failure_reason: order.failure_reason,
                details,
            },
        }
    }
}
