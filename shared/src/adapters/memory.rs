//! In-memory adapters for every port: the unit tests' world. They keep the
//! same contracts as the DynamoDB adapters (conditional writes included).

use crate::adapters::payment_sim::SimulatedGateway;
use crate::domain::{
    adjusted_stock, seed_products, LifecycleEvent, LifecycleEventKind, Money, NewOrder, Order,
    OrderLine, OrderRecord, OrderStatus, Product, Role, ShippingAddress, User, UserChange,
};
use crate::ports::{
    AttemptStore, Attempts, AwaitedDelivery, CarrierDispatch, Charge, ChargeRequest, Claim, Clock,
    CodePurpose, DeliveryState, DispatchError, EventPublisher, IdGenerator, IdempotencyRecord,
    IdempotencyStore, InventoryStore, Notification, Notifier, NotifyError, OneTimeCode,
    OneTimeCodeStore, OrderStore, PaymentGateway, PaymentLedger, PaymentRecord, PaymentState,
    PendingIntent, ProductPage, ProductStore, PublishError, Refund, Reservation, ReservationState,
    ReservedLine, Session, SessionStore, ShipmentStore, StoreError, StoreResult, TaskCompleter,
    TaskError, UserStore, WorkflowError, WorkflowStarter,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Default)]
pub struct MemoryOrderStore {
    orders: Mutex<HashMap<String, Order>>,
}

impl MemoryOrderStore {
    pub fn all(&self) -> Vec<Order> {
        lock(&self.orders).values().cloned().collect()
    }

    pub fn put(&self, order: Order) {
        lock(&self.orders).insert(order.id.clone(), order);
    }
}

fn newest_first(mut orders: Vec<Order>) -> Vec<Order> {
    orders.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    orders
}

#[async_trait]
impl OrderStore for MemoryOrderStore {
    async fn create(&self, order: &Order) -> StoreResult<()> {
        let mut orders = lock(&self.orders);
        if orders.contains_key(&order.id) {
            return Err(StoreError::AlreadyExists);
        }
        orders.insert(order.id.clone(), order.clone());
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Order>> {
        Ok(lock(&self.orders).get(id).cloned())
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Order>> {
        let mine = lock(&self.orders)
            .values()
            .filter(|o| o.user_id == user_id)
            .cloned()
            .collect();
        Ok(newest_first(mine))
    }

    async fn list_all(&self, status: Option<OrderStatus>, limit: usize) -> StoreResult<Vec<Order>> {
        let matching = lock(&self.orders)
            .values()
            .filter(|o| status.is_none_or(|s| o.status == s))
            .cloned()
            .collect();
        let mut orders = newest_first(matching);
        orders.truncate(limit);
        Ok(orders)
    }

    async fn list_created_before(
        &self,
        status: OrderStatus,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Order>> {
        let matching = lock(&self.orders)
            .values()
            .filter(|o| o.status == status && o.created_at < before)
            .cloned()
            .collect();
        let mut orders = newest_first(matching);
        orders.reverse();
        orders.truncate(limit);
        Ok(orders)
    }

    async fn note(&self, id: &str, reason: &str, at: DateTime<Utc>) -> StoreResult<Order> {
        let mut orders = lock(&self.orders);
        let order = orders.get_mut(id).ok_or(StoreError::NotFound)?;
        order.note(reason, at);
        Ok(order.clone())
    }

    async fn transition_keeping(
        &self,
        id: &str,
        expected: &[OrderStatus],
        next: OrderStatus,
        reason: &str,
        at: DateTime<Utc>,
        record: Option<&OrderRecord>,
    ) -> StoreResult<Order> {
        let mut orders = lock(&self.orders);
        let order = orders.get_mut(id).ok_or(StoreError::NotFound)?;
        if !next
            .legal_predecessors_among(expected)
            .contains(&order.status)
        {
            return Err(StoreError::ConditionFailed);
        }
        order
            .transition(next, reason, at)
            .map_err(|_| StoreError::ConditionFailed)?;
        if let Some(record) = record {
            order.keep(record.clone());
        }
        Ok(order.clone())
    }
}

/// Products and their reservations share one map, as they share one table's
/// stock attribute in DynamoDB.
#[derive(Default)]
pub struct MemoryCatalog {
    products: Mutex<HashMap<String, Product>>,
    reservations: Mutex<HashMap<String, Reservation>>,
}

impl MemoryCatalog {
    pub fn with_products(products: Vec<Product>) -> Self {
        let catalog = Self::default();
        for p in products {
            lock(&catalog.products).insert(p.id.clone(), p);
        }
        catalog
    }

    pub fn stock(&self, id: &str) -> Option<u32> {
        lock(&self.products).get(id).map(|p| p.stock)
    }
}

#[async_trait]
impl ProductStore for MemoryCatalog {
    async fn list_active(&self, after: Option<&str>, limit: usize) -> StoreResult<ProductPage> {
        let mut active: Vec<_> = lock(&self.products)
            .values()
            .filter(|p| p.is_active() && after.is_none_or(|after| p.id.as_str() > after))
            .cloned()
            .collect();
        active.sort_by(|a, b| a.id.cmp(&b.id));
        let more = active.len() > limit;
        active.truncate(limit);
        Ok(ProductPage {
            next_after: more.then(|| active.last().map(|p| p.id.clone())).flatten(),
            products: active,
        })
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Product>> {
        Ok(lock(&self.products).get(id).cloned())
    }

    async fn create(&self, product: &Product) -> StoreResult<()> {
        let mut products = lock(&self.products);
        if products.contains_key(&product.id) {
            return Err(StoreError::AlreadyExists);
        }
        products.insert(product.id.clone(), product.clone());
        Ok(())
    }

    async fn update_details(&self, product: &Product) -> StoreResult<Product> {
        let mut products = lock(&self.products);
        let stored = products.get_mut(&product.id).ok_or(StoreError::NotFound)?;
        let stock = stored.stock;
        *stored = Product {
            stock,
            ..product.clone()
        };
        Ok(stored.clone())
    }

    async fn adjust_stock(&self, id: &str, delta: i64) -> StoreResult<Product> {
        let mut products = lock(&self.products);
        let stored = products.get_mut(id).ok_or(StoreError::NotFound)?;
        stored.stock =
            adjusted_stock(stored.stock, delta).map_err(|range| StoreError::stock(range, id))?;
        Ok(stored.clone())
    }

    async fn seed(&self, products: &[Product]) -> StoreResult<usize> {
        let mut stored = lock(&self.products);
        let mut inserted = 0;
        for p in products {
            if !stored.contains_key(&p.id) {
                stored.insert(p.id.clone(), p.clone());
                inserted += 1;
            }
        }
        Ok(inserted)
    }
}

#[async_trait]
impl InventoryStore for MemoryCatalog {
    async fn reserve(
        &self,
        order_id: &str,
        lines: &[ReservedLine],
        at: DateTime<Utc>,
    ) -> StoreResult<Reservation> {
        let mut reservations = lock(&self.reservations);
        if let Some(existing) = reservations.get(order_id) {
            return match existing.state {
                ReservationState::Reserved => Ok(existing.clone()),
                ReservationState::Released => Err(StoreError::ConditionFailed),
            };
        }
        let mut products = lock(&self.products);
        // Check every line before touching any: all or nothing.
        for line in lines {
            let available = products
                .get(&line.product_id)
                .filter(|p| p.is_active())
                .map_or(0, |p| p.stock);
            if available < line.quantity {
                return Err(StoreError::OutOfStock {
                    product_id: line.product_id.clone(),
                });
            }
        }
        for line in lines {
            if let Some(p) = products.get_mut(&line.product_id) {
                p.stock -= line.quantity;
            }
        }
        let reservation = Reservation {
            order_id: order_id.to_string(),
            lines: lines.to_vec(),
            state: ReservationState::Reserved,
            updated_at: at,
        };
        reservations.insert(order_id.to_string(), reservation.clone());
        Ok(reservation)
    }

    async fn release(&self, order_id: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut reservations = lock(&self.reservations);
        let reservation = reservations
            .entry(order_id.to_string())
            .or_insert_with(|| Reservation {
                order_id: order_id.to_string(),
                lines: vec![],
                state: ReservationState::Released,
                updated_at: at,
            });
        if reservation.state == ReservationState::Released {
            return Ok(false);
        }
        let mut products = lock(&self.products);
        for line in &reservation.lines {
            if let Some(p) = products.get_mut(&line.product_id) {
                p.stock += line.quantity;
            }
        }
        reservation.state = ReservationState::Released;
        reservation.updated_at = at;
        Ok(true)
    }

    async fn get(&self, order_id: &str) -> StoreResult<Option<Reservation>> {
        Ok(lock(&self.reservations).get(order_id).cloned())
    }
}

#[derive(Default)]
pub struct MemoryUserStore {
    users: Mutex<HashMap<String, User>>,
}

#[async_trait]
impl UserStore for MemoryUserStore {
    async fn create(&self, user: &User) -> StoreResult<()> {
        let mut users = lock(&self.users);
        if users.values().any(|u| u.email == user.email) || users.contains_key(&user.id) {
            return Err(StoreError::AlreadyExists);
        }
        users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<Option<User>> {
        Ok(lock(&self.users).get(id).cloned())
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(lock(&self.users)
            .values()
            .find(|u| u.email == email)
            .cloned())
    }

    async fn update(&self, id: &str, change: &UserChange) -> StoreResult<User> {
        let mut users = lock(&self.users);
        let user = users.get_mut(id).ok_or(StoreError::NotFound)?;
        let mut changed = user.clone();
        changed
            .apply(change)
            .map_err(|_| StoreError::ConditionFailed)?;
        *user = changed;
        Ok(user.clone())
    }

    async fn list_admins(&self) -> StoreResult<Vec<User>> {
        let mut admins: Vec<User> = lock(&self.users)
            .values()
            .filter(|u| u.role == Role::Admin)
            .cloned()
            .collect();
        admins.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(admins)
    }
}

#[derive(Default)]
pub struct MemorySessionStore {
    sessions: Mutex<HashMap<String, Session>>,
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn create(&self, session: &Session) -> StoreResult<()> {
        let mut sessions = lock(&self.sessions);
        if sessions.contains_key(&session.id) {
            return Err(StoreError::AlreadyExists);
        }
        sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Session>> {
        Ok(lock(&self.sessions).get(id).cloned())
    }

    async fn rotate(&self, id: &str, current: &str, next: &str) -> StoreResult<()> {
        let mut sessions = lock(&self.sessions);
        match sessions.get_mut(id) {
            Some(s) if !s.revoked && s.token_digest == current => {
                s.token_digest = next.to_string();
                Ok(())
            }
            _ => Err(StoreError::ConditionFailed),
        }
    }

    async fn revoke(&self, id: &str) -> StoreResult<()> {
        if let Some(s) = lock(&self.sessions).get_mut(id) {
            s.revoked = true;
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct MemoryCodeStore {
    codes: Mutex<HashMap<(String, CodePurpose), OneTimeCode>>,
}

#[async_trait]
impl OneTimeCodeStore for MemoryCodeStore {
    async fn put(&self, code: &OneTimeCode) -> StoreResult<()> {
        lock(&self.codes).insert((code.user_id.clone(), code.purpose), code.clone());
        Ok(())
    }

    async fn get(&self, user_id: &str, purpose: CodePurpose) -> StoreResult<Option<OneTimeCode>> {
        Ok(lock(&self.codes)
            .get(&(user_id.to_string(), purpose))
            .cloned())
    }

    async fn spend_try(&self, user_id: &str, purpose: CodePurpose) -> StoreResult<u32> {
        let mut codes = lock(&self.codes);
        let key = (user_id.to_string(), purpose);
        let code = codes.get_mut(&key).ok_or(StoreError::NotFound)?;
        code.tries_left = code.tries_left.saturating_sub(1);
        let left = code.tries_left;
        if left == 0 {
            codes.remove(&key);
        }
        Ok(left)
    }

    async fn consume(&self, user_id: &str, purpose: CodePurpose, digest: &str) -> StoreResult<()> {
        let mut codes = lock(&self.codes);
        let key = (user_id.to_string(), purpose);
        match codes.get(&key) {
            Some(code) if code.digest == digest => {
                codes.remove(&key);
                Ok(())
            }
            _ => Err(StoreError::ConditionFailed),
        }
    }
}

#[derive(Default)]
pub struct MemoryAttemptStore {
    attempts: Mutex<HashMap<String, Attempts>>,
}

#[async_trait]
impl AttemptStore for MemoryAttemptStore {
    async fn get(&self, key: &str) -> StoreResult<Option<Attempts>> {
        Ok(lock(&self.attempts).get(key).cloned())
    }

    async fn add_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_start: DateTime<Utc>,
        expires_at: i64,
    ) -> StoreResult<Attempts> {
        let mut attempts = lock(&self.attempts);
        let entry = attempts.entry(key.to_string()).or_insert_with(|| Attempts {
            key: key.to_string(),
            failures: 0,
            window_started_at: now,
            locked_until: None,
            lockouts: 0,
            expires_at,
        });
        if entry.window_started_at <= window_start {
            entry.failures = 0;
            entry.window_started_at = now;
        }
        entry.failures += 1;
        entry.expires_at = expires_at;
        Ok(entry.clone())
    }

    async fn lock(
        &self,
        key: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Attempts> {
        let mut attempts = lock(&self.attempts);
        let entry = attempts.get_mut(key).ok_or(StoreError::NotFound)?;
        if entry.locked_until.is_some_and(|at| at > now) {
            return Err(StoreError::ConditionFailed);
        }
        entry.locked_until = Some(until);
        entry.lockouts += 1;
        entry.expires_at = entry.expires_at.max(until.timestamp());
        Ok(entry.clone())
    }

    async fn clear(&self, key: &str) -> StoreResult<()> {
        lock(&self.attempts).remove(key);
        Ok(())
    }
}

#[derive(Default)]
pub struct MemoryIdempotencyStore {
    records: Mutex<HashMap<String, IdempotencyRecord>>,
}

impl MemoryIdempotencyStore {
    pub fn get(&self, key: &str) -> Option<IdempotencyRecord> {
        lock(&self.records).get(key).cloned()
    }
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotencyStore {
    async fn claim(&self, record: &IdempotencyRecord, now: DateTime<Utc>) -> StoreResult<Claim> {
        let mut records = lock(&self.records);
        let now = now.timestamp();
        if let Some(existing) = records.get(&record.key) {
            let live = existing.expires_at > now
                && (existing.completed || existing.lease_expires_at > now);
            if live {
                return Ok(Claim::Existing(existing.clone()));
            }
        }
        records.insert(record.key.clone(), record.clone());
        Ok(Claim::Acquired)
    }

    async fn complete(&self, key: &str) -> StoreResult<()> {
        let mut records = lock(&self.records);
        let record = records.get_mut(key).ok_or(StoreError::NotFound)?;
        record.completed = true;
        Ok(())
    }

    async fn release(&self, key: &str) -> StoreResult<()> {
        lock(&self.records).remove(key);
        Ok(())
    }
}

#[derive(Default)]
pub struct MemoryPaymentLedger {
    records: Mutex<HashMap<String, PaymentRecord>>,
}

impl MemoryPaymentLedger {
    pub fn record(&self, order_id: &str) -> Option<PaymentRecord> {
        lock(&self.records).get(order_id).cloned()
    }
}

fn empty_payment(order_id: &str) -> PaymentRecord {
    PaymentRecord {
        order_id: order_id.to_string(),
        state: PaymentState::Attempted,
        attempts: 0,
        intent: None,
        charge: None,
        refund: None,
    }
}

#[async_trait]
impl PaymentLedger for MemoryPaymentLedger {
    async fn get(&self, order_id: &str) -> StoreResult<Option<PaymentRecord>> {
        Ok(self.record(order_id))
    }

    async fn record_attempt(&self, order_id: &str) -> StoreResult<u32> {
        let mut records = lock(&self.records);
        let record = records
            .entry(order_id.to_string())
            .or_insert_with(|| empty_payment(order_id));
        record.attempts += 1;
        Ok(record.attempts)
    }

    async fn record_intent(
        &self,
        order_id: &str,
        intent: &PendingIntent,
    ) -> StoreResult<PaymentRecord> {
        let mut records = lock(&self.records);
        let record = records
            .entry(order_id.to_string())
            .or_insert_with(|| empty_payment(order_id));
        let noted = record
            .intent
            .as_ref()
            .is_some_and(|i| i.attempt >= intent.attempt);
        if !noted && record.charge.is_none() {
            record.intent = Some(intent.clone());
        }
        Ok(record.clone())
    }

    async fn record_authorization(
        &self,
        order_id: &str,
        charge: &Charge,
    ) -> StoreResult<PaymentRecord> {
        let mut records = lock(&self.records);
        let record = records
            .entry(order_id.to_string())
            .or_insert_with(|| empty_payment(order_id));
        if record.charge.is_none() {
            record.charge = Some(charge.clone());
            record.state = PaymentState::Authorized;
        }
        Ok(record.clone())
    }

    async fn settle(&self, order_id: &str, to: PaymentState) -> StoreResult<PaymentRecord> {
        let mut records = lock(&self.records);
        let record = records.get_mut(order_id).ok_or(StoreError::NotFound)?;
        if record.state == PaymentState::Authorized {
            record.state = to;
        } else if record.state != to {
            return Err(StoreError::ConditionFailed);
        }
        Ok(record.clone())
    }

    async fn record_refund(&self, order_id: &str, refund: &Refund) -> StoreResult<PaymentRecord> {
        let mut records = lock(&self.records);
        let record = records.get_mut(order_id).ok_or(StoreError::NotFound)?;
        match record.state {
            PaymentState::Refunded => Ok(record.clone()),
            PaymentState::Charged => {
                record.refund = Some(refund.clone());
                record.state = PaymentState::Refunded;
                Ok(record.clone())
            }
            _ => Err(StoreError::NotFound),
        }
    }
}

/// A payment provider that knows none of the store's payments.
pub struct UnknownPayments;

#[async_trait]
impl crate::ports::PaymentReconciler for UnknownPayments {
    async fn refunded(
        &self,
        _: &str,
    ) -> Result<crate::ports::Reconciled, crate::ports::PaymentError> {
        Ok(crate::ports::Reconciled::Nothing)
    }

    async fn cancelled(
        &self,
        _: &str,
    ) -> Result<crate::ports::Reconciled, crate::ports::PaymentError> {
        Ok(crate::ports::Reconciled::Nothing)
    }
}

/// Records what was published; can be told to fail, to test that path.
#[derive(Default)]
pub struct RecordingPublisher {
    events: Mutex<Vec<(LifecycleEventKind, LifecycleEvent)>>,
    failing: Mutex<bool>,
}

impl RecordingPublisher {
    pub fn events(&self) -> Vec<(LifecycleEventKind, LifecycleEvent)> {
        lock(&self.events).clone()
    }

    pub fn fail(&self, failing: bool) {
        *lock(&self.failing) = failing;
    }
}

#[async_trait]
impl EventPublisher for RecordingPublisher {
    async fn publish(
        &self,
        kind: LifecycleEventKind,
        event: &LifecycleEvent,
    ) -> Result<(), PublishError> {
        if *lock(&self.failing) {
            return Err(PublishError::Transient("test failure".into()));
        }
        lock(&self.events).push((kind, event.clone()));
        Ok(())
    }
}

/// Records started executions by name, as Step Functions would dedupe them.
#[derive(Default)]
pub struct RecordingWorkflow {
    started: Mutex<Vec<String>>,
    failing: Mutex<bool>,
}

impl RecordingWorkflow {
    pub fn started(&self) -> Vec<String> {
        lock(&self.started).clone()
    }

    pub fn fail(&self, failing: bool) {
        *lock(&self.failing) = failing;
    }
}

#[async_trait]
impl WorkflowStarter for RecordingWorkflow {
    async fn start(&self, order: &Order) -> Result<(), WorkflowError> {
        if *lock(&self.failing) {
            return Err(WorkflowError::Transient("test failure".into()));
        }
        let mut started = lock(&self.started);
        if !started.contains(&order.id) {
            started.push(order.id.clone());
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct RecordingNotifier {
    sent: Mutex<Vec<Notification>>,
    failing_for: Mutex<Option<String>>,
}

impl RecordingNotifier {
    pub fn sent(&self) -> Vec<Notification> {
        lock(&self.sent).clone()
    }

    /// Makes every send to `address` fail, as a bouncing mailbox would.
    pub fn fail_for(&self, address: Option<&str>) {
        *lock(&self.failing_for) = address.map(str::to_string);
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        if lock(&self.failing_for).as_deref() == Some(notification.to.as_str()) {
            return Err(NotifyError::Transient("test failure".into()));
        }
        lock(&self.sent).push(notification.clone());
        Ok(())
    }
}

/// A clock tests can set and move.
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(rfc3339: &str) -> Self {
        FixedClock(Mutex::new(rfc3339.parse().expect("valid RFC 3339 time")))
    }

    pub fn starting_now() -> Self {
        FixedClock(Mutex::new(Utc::now()))
    }

    pub fn advance(&self, by: chrono::Duration) {
        *lock(&self.0) += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// `id-1`, `id-2`, …: predictable ids for assertions.
#[derive(Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn new_id(&self) -> String {
        format!("id-{}", self.0.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

#[derive(Default)]
pub struct MemoryShipmentStore {
    deliveries: Mutex<HashMap<String, AwaitedDelivery>>,
}

#[async_trait]
impl ShipmentStore for MemoryShipmentStore {
    async fn register(&self, delivery: &AwaitedDelivery) -> StoreResult<()> {
        let mut deliveries = lock(&self.deliveries);
        if deliveries
            .get(&delivery.tracking_number)
            .is_some_and(|d| d.state != DeliveryState::Awaiting)
        {
            return Err(StoreError::ConditionFailed);
        }
        deliveries.insert(delivery.tracking_number.clone(), delivery.clone());
        Ok(())
    }

    async fn get(&self, tracking_number: &str) -> StoreResult<Option<AwaitedDelivery>> {
        Ok(lock(&self.deliveries).get(tracking_number).cloned())
    }

    async fn complete(
        &self,
        tracking_number: &str,
        state: DeliveryState,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut deliveries = lock(&self.deliveries);
        match deliveries.get_mut(tracking_number) {
            Some(d) if d.state == DeliveryState::Awaiting => {
                d.state = state;
                d.completed_at = Some(at);
                Ok(())
            }
            _ => Err(StoreError::ConditionFailed),
        }
    }

    async fn reopen(&self, tracking_number: &str) -> StoreResult<()> {
        let mut deliveries = lock(&self.deliveries);
        let d = deliveries
            .get_mut(tracking_number)
            .ok_or(StoreError::NotFound)?;
        d.state = DeliveryState::Awaiting;
        d.completed_at = None;
        Ok(())
    }
}

/// What a task completion said: `Ok(output)` or `Err((error, cause))`.
pub type TaskOutcome = Result<serde_json::Value, (String, String)>;

/// Records task completions by token; tokens can be marked gone (timed out)
/// or the service made unavailable.
#[derive(Default)]
pub struct RecordingTasks {
    completed: Mutex<Vec<(String, TaskOutcome)>>,
    gone: Mutex<Vec<String>>,
    unavailable: Mutex<bool>,
}

impl RecordingTasks {
    pub fn completed(&self) -> Vec<(String, TaskOutcome)> {
        lock(&self.completed).clone()
    }

    pub fn expire(&self, token: &str) {
        lock(&self.gone).push(token.to_string());
    }

    pub fn fail(&self, unavailable: bool) {
        *lock(&self.unavailable) = unavailable;
    }

    fn record(&self, token: &str, outcome: TaskOutcome) -> Result<(), TaskError> {
        if *lock(&self.unavailable) {
            return Err(TaskError::Transient("test failure".into()));
        }
        if lock(&self.gone).iter().any(|t| t == token) {
            return Err(TaskError::Gone("task timed out".into()));
        }
        let mut completed = lock(&self.completed);
        if completed.iter().any(|(t, _)| t == token) {
            return Err(TaskError::Gone("task already completed".into()));
        }
        completed.push((token.to_string(), outcome));
        Ok(())
    }
}

#[async_trait]
impl TaskCompleter for RecordingTasks {
    async fn succeed(&self, task_token: &str, output: &serde_json::Value) -> Result<(), TaskError> {
        self.record(task_token, Ok(output.clone()))
    }

    async fn fail(&self, task_token: &str, error: &str, cause: &str) -> Result<(), TaskError> {
        self.record(task_token, Err((error.to_string(), cause.to_string())))
    }
}

/// Records dispatched deliveries; can be told to fail transiently.
#[derive(Default)]
pub struct RecordingDispatch {
    dispatched: Mutex<Vec<AwaitedDelivery>>,
    failing: Mutex<bool>,
}

impl RecordingDispatch {
    pub fn dispatched(&self) -> Vec<AwaitedDelivery> {
        lock(&self.dispatched).clone()
    }

    pub fn fail(&self, failing: bool) {
        *lock(&self.failing) = failing;
    }
}

#[async_trait]
impl CarrierDispatch for RecordingDispatch {
    async fn dispatch(&self, delivery: &AwaitedDelivery) -> Result<(), DispatchError> {
        if *lock(&self.failing) {
            return Err(DispatchError::Transient("test failure".into()));
        }
        lock(&self.dispatched).push(delivery.clone());
        Ok(())
    }
}

/// An order as the orders API places it, for step tests: lines of
/// (product id, quantity, unit price in cents), placed at 2026-11-21T10:00Z.
pub fn sample_order(id: &str, lines: &[(&str, u32, i64)], zip: &str, payment_token: &str) -> Order {
    let items = lines
        .iter()
        .map(|(product_id, quantity, cents)| OrderLine {
            product_id: (*product_id).to_string(),
            name: (*product_id).to_string(),
            quantity: *quantity,
            unit_price: Money::from_cents(*cents),
            line_total: Money::from_cents(cents * i64::from(*quantity)),
        })
        .collect();
    Order::place(NewOrder {
        id: id.to_string(),
        user_id: "user-1".to_string(),
        items,
        shipping: ShippingAddress {
            address: "1 Main St".into(),
            city: "SF".into(),
            state: "CA".into(),
            zip: zip.into(),
        },
        payment_token: payment_token.to_string(),
        correlation_id: "corr-1".to_string(),
        now: "2026-11-21T10:00:00Z".parse().expect("valid time"),
    })
    .expect("a valid sample order")
}

/// `order` moved along the happy path up to `status` (`validating`,
/// `validated`, `paying`, `paid`, `shipping` or `shipped`).
pub fn along_happy_path(mut order: Order, status: OrderStatus) -> Order {
    const HAPPY_PATH: [OrderStatus; 6] = [
        OrderStatus::Validating,
        OrderStatus::Validated,
        OrderStatus::Paying,
        OrderStatus::Paid,
        OrderStatus::Shipping,
        OrderStatus::Shipped,
    ];
    let at = order.created_at;
    for next in HAPPY_PATH {
        if order.status == status {
            break;
        }
        order
            .transition(next, "test setup", at)
            .expect("the happy path");
    }
    assert_eq!(order.status, status, "{status} is not on the happy path");
    order
}

/// Every in-memory adapter, wired together, for handler tests.
pub struct MemoryWorld {
    pub orders: Arc<MemoryOrderStore>,
    pub catalog: Arc<MemoryCatalog>,
    pub users: Arc<MemoryUserStore>,
    pub sessions: Arc<MemorySessionStore>,
    pub codes: Arc<MemoryCodeStore>,
    pub attempts: Arc<MemoryAttemptStore>,
    pub idempotency: Arc<MemoryIdempotencyStore>,
    pub payments: Arc<MemoryPaymentLedger>,
    pub publisher: Arc<RecordingPublisher>,
    pub workflow: Arc<RecordingWorkflow>,
    pub notifier: Arc<RecordingNotifier>,
    pub shipments: Arc<MemoryShipmentStore>,
    pub tasks: Arc<RecordingTasks>,
    pub dispatch: Arc<RecordingDispatch>,
    pub clock: Arc<FixedClock>,
    pub ids: Arc<SequentialIds>,
}

impl MemoryWorld {
    /// The simulated gateway on this world's ledger, never failing by chance.
    pub fn gateway(&self) -> Arc<SimulatedGateway> {
        Arc::new(SimulatedGateway::new(
            self.payments.clone(),
            self.ids.clone(),
            0,
        ))
    }

    /// The order's payment authorised with a test card, as charge-payment
    /// leaves it.
    pub async fn authorise(&self, order_id: &str, amount: Money) {
        let request = ChargeRequest {
            order_id: order_id.into(),
            attempt: 1,
            amount,
            currency: "usd".into(),
            payment_token: "tok_visa".into(),
        };
        self.gateway()
            .authorize(&request)
            .await
            .expect("the simulated gateway approves tok_visa");
    }

    /// The forward steps' status writes and events, on this world.
    pub fn progress(&self) -> crate::milestone::OrderProgress {
        crate::milestone::OrderProgress {
            orders: self.orders.clone(),
            events: self.publisher.clone(),
            clock: self.clock.clone(),
        }
    }
}

impl Default for MemoryWorld {
    fn default() -> Self {
        MemoryWorld {
            orders: Arc::default(),
            catalog: Arc::new(MemoryCatalog::with_products(seed_products())),
            users: Arc::default(),
            sessions: Arc::default(),
            codes: Arc::default(),
            attempts: Arc::default(),
            idempotency: Arc::default(),
            payments: Arc::default(),
            publisher: Arc::default(),
            workflow: Arc::default(),
            notifier: Arc::default(),
            shipments: Arc::default(),
            tasks: Arc::default(),
            dispatch: Arc::default(),
            // Starts at the real time (tokens it stamps are checked against
            // the system clock) and then moves only when a test moves it.
            clock: Arc::new(FixedClock::starting_now()),
            ids: Arc::default(),
        }
    }
}
