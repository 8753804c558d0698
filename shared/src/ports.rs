//! The ports: what the handlers need from the outside world, as traits. Each
//! has a DynamoDB/AWS adapter for production and an in-memory one for tests.

use crate::domain::{
    LifecycleEvent, LifecycleEventKind, Money, Order, OrderRecord, OrderStatus, Product,
    StockRange, User, UserChange,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Failures of any store. `Transient` is worth retrying; the rest are not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A conditional write lost: the item is not in the state we expected.
    #[error("the item changed concurrently or is not in the expected state")]
    ConditionFailed,
    #[error("already exists")]
    AlreadyExists,
    #[error("insufficient stock for {product_id}")]
    OutOfStock { product_id: String },
    /// May succeed if tried again: throttling, a timeout, the store briefly down.
    #[error("storage temporarily unavailable: {0}")]
    Transient(String),
    /// The store refused the request and always will (a bug or a
    /// misconfiguration of ours, such as a missing permission).
    #[error("storage refused the request: {0}")]
    Rejected(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Transient(_))
    }

    /// A stock change that would leave `product_id` outside its range:
    /// below zero is `OutOfStock`, above the maximum `ConditionFailed`.
    pub fn stock(range: StockRange, product_id: &str) -> Self {
        match range {
            StockRange::BelowZero => StoreError::OutOfStock {
                product_id: product_id.to_string(),
            },
            StockRange::AboveMaximum => StoreError::ConditionFailed,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Stores a new order; `AlreadyExists` if the id is taken.
    async fn create(&self, order: &Order) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<Option<Order>>;
    /// The user's orders, newest first.
    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Order>>;
    /// All orders (optionally of one status), newest first, at most `limit`.
    async fn list_all(&self, status: Option<OrderStatus>, limit: usize) -> StoreResult<Vec<Order>>;
    /// Orders of `status` created before `before`, oldest first, at most
    /// `limit`.
    async fn list_created_before(
        &self,
        status: OrderStatus,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<Order>>;
    /// Moves the order to `next` only if its stored status is one of
    /// `expected` and the domain lets that status become `next`
    /// (`OrderStatus::legal_predecessors_among`), in one conditional write
    /// that appends to its timeline. `ConditionFailed` when the status was
    /// something else, `NotFound` when there is no such order.
    async fn transition(
        &self,
        id: &str,
        expected: &[OrderStatus],
        next: OrderStatus,
        reason: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Order> {
        self.transition_keeping(id, expected, next, reason, at, None)
            .await
    }
    /// Appends a timeline entry at the order's current status, which stays
    /// as it is (`Order::note`). `NotFound` when there is no such order.
    async fn note(&self, id: &str, reason: &str, at: DateTime<Utc>) -> StoreResult<Order>;
    /// `transition`, also storing what the step produced (the payment or
    /// the shipment), if anything, in the same conditional write.
    async fn transition_keeping(
        &self,
        id: &str,
        expected: &[OrderStatus],
        next: OrderStatus,
        reason: &str,
        at: DateTime<Utc>,
        record: Option<&OrderRecord>,
    ) -> StoreResult<Order>;
}

/// One page of active products in id order, and the id to go on after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPage {
    pub products: Vec<Product>,
    pub next_after: Option<String>,
}

#[async_trait]
pub trait ProductStore: Send + Sync {
    /// Up to `limit` active products with ids after `after`, in id order:
    /// one bounded read, never the whole table.
    async fn list_active(&self, after: Option<&str>, limit: usize) -> StoreResult<ProductPage>;
    async fn get(&self, id: &str) -> StoreResult<Option<Product>>;
    /// `AlreadyExists` if the id is taken.
    async fn create(&self, product: &Product) -> StoreResult<()>;
    /// Replaces name, category, description, image, price and state, never
    /// stock (that moves only through `adjust_stock` and reservations).
    async fn update_details(&self, product: &Product) -> StoreResult<Product>;
    /// Adds `delta` (may be negative) atomically, keeping the stock within
    /// 0..=`MAX_STOCK` (`StoreError::stock` says which end refused).
    async fn adjust_stock(&self, id: &str, delta: i64) -> StoreResult<Product>;
    /// Inserts the products that do not exist yet, leaving existing ones (and
    /// their stock) alone. Returns how many were inserted.
    async fn seed(&self, products: &[Product]) -> StoreResult<usize>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationState {
    Reserved,
    Released,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservedLine {
    pub product_id: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub order_id: String,
    pub lines: Vec<ReservedLine>,
    pub state: ReservationState,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Takes every line out of stock in one transaction, or none. Reserving an
    /// order that is already reserved returns the existing reservation;
    /// an order whose reservation was released gets `ConditionFailed`.
    async fn reserve(
        &self,
        order_id: &str,
        lines: &[ReservedLine],
        at: DateTime<Utc>,
    ) -> StoreResult<Reservation>;
    /// Gives back what was reserved, once. Returns whether stock moved now.
    /// With nothing reserved it leaves a released marker so a late reserve
    /// for the same order cannot take stock after its compensation ran.
    async fn release(&self, order_id: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    async fn get(&self, order_id: &str) -> StoreResult<Option<Reservation>>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// `AlreadyExists` if the email is taken (a conditional write, so two
    /// concurrent registrations cannot both win).
    async fn create(&self, user: &User) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<Option<User>>;
    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// `NotFound` for no such user, `ConditionFailed` where the change says.
    async fn update(&self, id: &str, change: &UserChange) -> StoreResult<User>;
    /// Every user holding the admin role.
    async fn list_admins(&self) -> StoreResult<Vec<User>>;
}

/// A signed-in session: a family of refresh tokens, each used once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub user_id: String,
    /// Digest of the one refresh token of the family that is good now.
    pub token_digest: String,
    pub created_at: DateTime<Utc>,
    /// Epoch seconds: the session ends then, whatever its use (TTL).
    pub expires_at: i64,
    #[serde(default)]
    pub revoked: bool,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create(&self, session: &Session) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<Option<Session>>;
    /// Swaps the good token's digest from `current` to `next` if the session
    /// is live and `current` is still the good one; `ConditionFailed`
    /// otherwise (an old token of the family, used again).
    async fn rotate(&self, id: &str, current: &str, next: &str) -> StoreResult<()>;
    async fn revoke(&self, id: &str) -> StoreResult<()>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodePurpose {
    VerifyEmail,
    ResetPassword,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::VerifyEmail => "verify_email",
            CodePurpose::ResetPassword => "reset_password",
        }
    }
}

/// A mailed one-time code: only its digest is kept, it expires, and a few
/// wrong tries use it up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeCode {
    pub user_id: String,
    pub purpose: CodePurpose,
    pub digest: String,
    /// Epoch seconds (TTL).
    pub expires_at: i64,
    pub tries_left: u32,
}

#[async_trait]
pub trait OneTimeCodeStore: Send + Sync {
    /// Stores a new code, replacing the user's previous one of its purpose.
    async fn put(&self, code: &OneTimeCode) -> StoreResult<()>;
    async fn get(&self, user_id: &str, purpose: CodePurpose) -> StoreResult<Option<OneTimeCode>>;
    /// Counts a wrong try; deletes the code with its last one. Returns the
    /// tries left.
    async fn spend_try(&self, user_id: &str, purpose: CodePurpose) -> StoreResult<u32>;
    /// Uses the code up if it is still the one with `digest`;
    /// `ConditionFailed` if it was used or replaced meanwhile.
    async fn consume(&self, user_id: &str, purpose: CodePurpose, digest: &str) -> StoreResult<()>;
}

/// Failed logins counted against one key (an account, a client address).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempts {
    pub key: String,
    pub failures: u32,
    pub window_started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
    /// Lockouts since the last successful login: each lasts longer.
    #[serde(default)]
    pub lockouts: u32,
    /// Epoch seconds (TTL).
    pub expires_at: i64,
}

#[async_trait]
pub trait AttemptStore: Send + Sync {
    async fn get(&self, key: &str) -> StoreResult<Option<Attempts>>;
    /// Counts one failure atomically: in the current window if it started
    /// after `window_start`, else in a new window starting `now`.
    async fn add_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_start: DateTime<Utc>,
        expires_at: i64,
    ) -> StoreResult<Attempts>;
    /// Locks `key` until `until` and counts the lockout, unless it is locked
    /// already (`ConditionFailed`): only one request starts a lockout.
    async fn lock(
        &self,
        key: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Attempts>;
    /// Forgets the key's failures and lockouts (after a successful login).
    async fn clear(&self, key: &str) -> StoreResult<()>;
}

/// A request or message seen before: order idempotency keys, event ids.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    #[serde(rename = "pk")]
    pub key: String,
    /// Hash of the request, to tell a replay from a different request.
    pub fingerprint: String,
    /// What the first request produced (e.g. the order id).
    pub value: String,
    /// False while the work is in flight; an incomplete record whose lease
    /// ran out may be taken over (the first worker died).
    #[serde(default)]
    pub completed: bool,
    #[serde(default)]
    pub lease_expires_at: i64,
    /// Epoch seconds; DynamoDB's TTL deletes the record after this.
    #[serde(default)]
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    Acquired,
    Existing(IdempotencyRecord),
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Writes the record unless a live one exists (one not expired, and
    /// either completed or still within its lease).
    async fn claim(&self, record: &IdempotencyRecord, now: DateTime<Utc>) -> StoreResult<Claim>;
    async fn complete(&self, key: &str) -> StoreResult<()>;
    /// Forgets a claim whose work failed, so a retry can do it.
    async fn release(&self, key: &str) -> StoreResult<()>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error("event bus unavailable: {0}")]
    Transient(String),
    #[error("event rejected: {0}")]
    Rejected(String),
}

#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(
        &self,
        kind: LifecycleEventKind,
        event: &LifecycleEvent,
    ) -> Result<(), PublishError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("workflow service unavailable: {0}")]
    Transient(String),
    #[error("workflow rejected the start: {0}")]
    Rejected(String),
}

#[async_trait]
pub trait WorkflowStarter: Send + Sync {
    /// Starts the order's execution, named after the order so it can never
    /// run twice; starting one that already runs with the same input is Ok.
    async fn start(&self, order: &Order) -> Result<(), WorkflowError>;
}

/// What the payment step asks the gateway for: an authorisation (a hold on
/// the card) of the order's total, captured later when the parcel ships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// The order id: a retried step must never authorise twice.
    pub order_id: String,
    /// Which try of the payment step this is: a declined card is tried
    /// again with a new authorisation, a retried step with the same one.
    pub attempt: u32,
    pub amount: Money,
    /// ISO 4217, lower case, as Stripe spells it.
    pub currency: String,
    pub payment_token: String,
}

/// An authorisation, and once captured, the money taken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    /// The gateway's id (a Stripe PaymentIntent id, `pi_…`).
    pub transaction_id: String,
    pub last4: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub refund_id: String,
    pub amount: Money,
}

/// What giving an order's payment back did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// The authorisation was cancelled: nothing was ever taken.
    Voided { transaction_id: String },
    /// The captured money was refunded.
    Refunded(Refund),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("payment declined: {0}")]
    Declined(String),
    #[error("payment gateway unavailable: {0}")]
    Transient(String),
    /// The gateway refused the request itself (bad key, bad parameters, an
    /// authorisation that expired): retrying will not help.
    #[error("payment gateway refused the request: {0}")]
    Permanent(String),
}

/// Authorise when the order is paid, capture when it ships, void or refund
/// when it must be given back. Every call is idempotent per order.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Authorises the order's total; a retry of the same attempt returns the
    /// first authorisation.
    async fn authorize(&self, request: &ChargeRequest) -> Result<Charge, PaymentError>;
    /// Takes the authorised money; capturing again returns the capture.
    /// `Permanent` if nothing was authorised.
    async fn capture(&self, order_id: &str) -> Result<Charge, PaymentError>;
    /// Voids an authorisation or refunds a capture; `None` when nothing was
    /// authorised. Releasing twice returns the first release.
    async fn release(&self, order_id: &str) -> Result<Option<Release>, PaymentError>;
}

/// What a provider's report of a change made on its side (a refund in
/// its dashboard) means for the store's book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// The order's capture is refunded (recorded now, or before).
    Refunded { order_id: String, refund: Refund },
    /// The order's authorisation is cancelled (recorded now, or before).
    Voided { order_id: String },
    /// Not one of the store's payments, or nothing it tracks changed.
    Nothing,
}

/// Checks a provider's webhook report against the provider's API (the
/// report says where to look, the API what is true) and records it.
#[async_trait]
pub trait PaymentReconciler: Send + Sync {
    /// A charge of the intent was refunded.
    async fn refunded(&self, intent_id: &str) -> Result<Reconciled, PaymentError>;
    /// The intent was cancelled.
    async fn cancelled(&self, intent_id: &str) -> Result<Reconciled, PaymentError>;
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    pub estimated_delivery: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShippingError {
    #[error("shipment failed: {0}")]
    Failed(String),
    #[error("carrier unavailable: {0}")]
    Transient(String),
}

#[async_trait]
pub trait ShippingProvider: Send + Sync {
    /// Buys a label; the same order always gets the same label.
    async fn create_shipment(&self, order: &Order) -> Result<Shipment, ShippingError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("mail service unavailable: {0}")]
    Transient(String),
    #[error("message rejected: {0}")]
    Rejected(String),
}

#[async_trait]
pub trait Notifier: Send + Sync {
    async fn send(&self, notification: &Notification) -> Result<(), NotifyError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub trait IdGenerator: Send + Sync {
    fn new_id(&self) -> String;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Attempts were made, nothing is held.
    Attempted,
    /// The card is held for the total; nothing taken yet.
    Authorized,
    /// The money was taken (captured).
    Charged,
    /// The authorisation was cancelled before any capture.
    Voided,
    Refunded,
}

/// The provider's object made for one attempt, noted before the provider
/// is asked to move money, so a step retried after a timeout finds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingIntent {
    pub attempt: u32,
    pub id: String,
}

/// The store's book of an order's payment: only the gateway's ids, amounts
/// and the card's last four digits, never card data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRecord {
    pub order_id: String,
    pub state: PaymentState,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<PendingIntent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<Charge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Refund>,
}

#[async_trait]
pub trait PaymentLedger: Send + Sync {
    async fn get(&self, order_id: &str) -> StoreResult<Option<PaymentRecord>>;
    /// Counts one more attempt and returns the count including it.
    async fn record_attempt(&self, order_id: &str) -> StoreResult<u32>;
    /// Notes the provider's object for `intent.attempt` unless one is noted
    /// for that attempt already; returns the record that won.
    async fn record_intent(
        &self,
        order_id: &str,
        intent: &PendingIntent,
    ) -> StoreResult<PaymentRecord>;
    /// Records the authorisation unless one exists; returns the record that
    /// won.
    async fn record_authorization(
        &self,
        order_id: &str,
        charge: &Charge,
    ) -> StoreResult<PaymentRecord>;
    /// Moves an authorised payment to `Charged` or `Voided`; returns the
    /// record as it now is (unchanged if it was there before).
    /// `ConditionFailed` if it was neither authorised nor at `to`,
    /// `NotFound` if there is no record.
    async fn settle(&self, order_id: &str, to: PaymentState) -> StoreResult<PaymentRecord>;
    /// Marks a captured charge refunded; returns the record as it now is
    /// (unchanged if it was refunded before). `NotFound` if nothing was charged.
    async fn record_refund(&self, order_id: &str, refund: &Refund) -> StoreResult<PaymentRecord>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// The state machine waits on the task token.
    Awaiting,
    Delivered,
    /// The carrier reported it could not deliver.
    Failed,
}

/// A shipment whose delivery the state machine is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwaitedDelivery {
    pub tracking_number: String,
    pub order_id: String,
    pub task_token: String,
    pub state: DeliveryState,
    pub registered_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    /// The id of the order.delivered event, made once per execution by the
    /// state machine: the webhook marks the order delivered and publishes
    /// with it. None for an execution of a definition that writes delivered
    /// in the machine itself (MarkDelivered); the webhook then leaves the
    /// order to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_event_id: Option<String>,
}

#[async_trait]
pub trait ShipmentStore: Send + Sync {
    /// Records (or, on a retry, refreshes) the task token of an awaited
    /// delivery; `ConditionFailed` once the delivery was completed.
    async fn register(&self, delivery: &AwaitedDelivery) -> StoreResult<()>;
    async fn get(&self, tracking_number: &str) -> StoreResult<Option<AwaitedDelivery>>;
    /// Moves an awaited delivery to `state`; `ConditionFailed` if it was
    /// completed already (a repeated webhook).
    async fn complete(
        &self,
        tracking_number: &str,
        state: DeliveryState,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Undoes `complete` when the workflow could not be told, so the
    /// carrier's retry can try again.
    async fn reopen(&self, tracking_number: &str) -> StoreResult<()>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// The task is no longer waiting: timed out, already completed, or the
    /// token is not one of ours.
    #[error("the task is no longer waiting: {0}")]
    Gone(String),
    #[error("workflow service unavailable: {0}")]
    Transient(String),
    #[error("workflow service refused the call: {0}")]
    Rejected(String),
}

/// Completes a workflow task that waits on a task token.
#[async_trait]
pub trait TaskCompleter: Send + Sync {
    async fn succeed(&self, task_token: &str, output: &serde_json::Value) -> Result<(), TaskError>;
    async fn fail(&self, task_token: &str, error: &str, cause: &str) -> Result<(), TaskError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    #[error("carrier unavailable: {0}")]
    Transient(String),
    #[error("carrier refused the shipment: {0}")]
    Rejected(String),
}

/// Hands an awaited delivery to the carrier, which reports back through the
/// signed webhook.
#[async_trait]
pub trait CarrierDispatch: Send + Sync {
    async fn dispatch(&self, delivery: &AwaitedDelivery) -> Result<(), DispatchError>;
}
