use serde::Serialize;
use shared::domain::{
    Order, OrderStatus, PaymentDetails, ShipmentDetails, ShippingAddress, TimelineEntry,
};

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
    #[serde(skip_serializing_if = "Option::is_none")]
    shipment: Option<ShipmentDetails>,
    needs_attention: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<String>,
    #[serde(flatten)]
    seed: SeedFields,
}

/// The processing details as the seed store's order page reads them: flat
/// in `data`, snake_case, each only once known (the nested objects above
/// carry the same, for our clients).
#[derive(Serialize)]
struct SeedFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracking_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    carrier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    estimated_delivery: Option<String>,
    /// A failure's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl SeedFields {
    fn of(order: &Order) -> Self {
        SeedFields {
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineView {
    product_id: String,
    name: String,
    quantity: u32,
    price: f64,
    line_total: f64,
}

impl From<Order> for OrderView {
    fn from(order: Order) -> Self {
        let seed = SeedFields::of(&order);
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
                shipment: order.shipment,
                needs_attention: order.needs_attention,
                failure_reason: order.failure_reason,
                seed,
            },
        }
    }
}
