use super::{built, get_one, n, put, s, to_av, to_item, transact, Cancelled, Expr};
use crate::ports::{
    InventoryStore, Reservation, ReservationState, ReservedLine, StoreError, StoreResult,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

/// Reservations, and the stock of the products they take it from: one
/// transaction writes both.
pub struct DynamoInventory {
    client: Client,
    products_table: String,
    reservations_table: String,
}

impl DynamoInventory {
    pub fn new(client: Client, products_table: String, reservations_table: String) -> Self {
        DynamoInventory {
            client,
            products_table,
            reservations_table,
        }
    }

    fn stock_update(
        &self,
        line: &ReservedLine,
        sign: &str,
        check_stock: bool,
    ) -> StoreResult<TransactWriteItem> {
        let mut update = Update::builder()
            .table_name(&self.products_table)
            .key("id", s(&line.product_id))
            .update_expression(format!("SET stock = stock {sign} :q"))
            .expression_attribute_values(":q", n(line.quantity));
        update = if check_stock {
            update
                .condition_expression("stock >= :q AND #state = :active")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":active", s("active"))
        } else {
            update.condition_expression("attribute_exists(id)")
        };
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    async fn get_reservation(&self, order_id: &str) -> StoreResult<Option<Reservation>> {
        get_one(&self.client, &self.reservations_table, "orderId", order_id).await
    }

    fn existing_reservation(existing: Option<Reservation>) -> StoreResult<Reservation> {
        match existing {
            Some(r) if r.state == ReservationState::Reserved => Ok(r),
            Some(_) => Err(StoreError::ConditionFailed),
            None => Err(StoreError::Transient(
                "reservation vanished during a race".into(),
            )),
        }
    }
}

#[async_trait]
impl InventoryStore for DynamoInventory {
    async fn reserve(
        &self,
        order_id: &str,
        lines: &[ReservedLine],
        at: DateTime<Utc>,
    ) -> StoreResult<Reservation> {
        if let Some(existing) = self.get_reservation(order_id).await? {
            return Self::existing_reservation(Some(existing));
        }
        let reservation = Reservation {
            order_id: order_id.to_string(),
            lines: lines.to_vec(),
            state: ReservationState::Reserved,
            updated_at: at,
        };
        let put = built(
            Put::builder()
                .table_name(&self.reservations_table)
                .set_item(Some(to_item(&reservation)?))
                .condition_expression("attribute_not_exists(orderId)")
                .build(),
        )?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        for line in lines {
            items.push(self.stock_update(line, "-", true)?);
        }
        match transact(&self.client, items).await {
            Ok(()) => Ok(reservation),
            // Another attempt for this order got there first.
            Err(Cancelled::Condition(0)) => {
                Self::existing_reservation(self.get_reservation(order_id).await?)
            }
            Err(Cancelled::Condition(i)) => Err(StoreError::OutOfStock {
                product_id: lines[i - 1].product_id.clone(),
            }),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    async fn release(&self, order_id: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let Some(reservation) = self.get_reservation(order_id).await? else {
            // Nothing reserved: leave a released marker so a reserve that
            // arrives late (after cancel) cannot take stock.
            let marker = Reservation {
                order_id: order_id.to_string(),
                lines: vec![],
                state: ReservationState::Released,
                updated_at: at,
            };
            let first = Expr::when("attribute_not_exists(orderId)");
            let marked = put(
                &self.client,
                &self.reservations_table,
                to_item(&marker)?,
                first,
            )
            .await;
            return match marked {
                Ok(_) => Ok(false),
                // A reserve won the race: release what it took.
                Err(StoreError::ConditionFailed) => Box::pin(self.release(order_id, at)).await,
                Err(e) => Err(e),
            };
        };
        if reservation.state == ReservationState::Released {
            return Ok(false);
        }
        let mark_released = built(
            Update::builder()
                .table_name(&self.reservations_table)
                .key("orderId", s(order_id))
                .update_expression("SET #state = :released, updatedAt = :now")
                .condition_expression("#state = :reserved")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":released", s("released"))
                .expression_attribute_values(":reserved", s("reserved"))
                .expression_attribute_values(":now", to_av(&at)?)
                .build(),
        )?;
        let mut items = vec![TransactWriteItem::builder().update(mark_released).build()];
        for line in &reservation.lines {
            items.push(self.stock_update(line, "+", false)?);
        }
        match transact(&self.client, items).await {
            Ok(()) => Ok(true),
            // Released meanwhile by another attempt.
            Err(Cancelled::Condition(0)) => Ok(false),
            Err(Cancelled::Condition(_)) => Err(StoreError::Rejected(
                "release cancelled: a reserved product no longer exists".into(),
            )),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    async fn get(&self, order_id: &str) -> StoreResult<Option<Reservation>> {
        self.get_reservation(order_id).await
    }
}
