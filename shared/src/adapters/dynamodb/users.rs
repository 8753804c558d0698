use super::{
    built, collect_pages, from_item, get_one, n, s, store_error, to_av, to_item, transact, update,
    Cancelled, Expr,
};
use crate::domain::{Role, User, UserChange};
use crate::ports::{StoreError, StoreResult, UserStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;

/// Users and their unique emails in one table: `USER#<id>` holds the
/// profile, `EMAIL#<email>` points at it, both written in one transaction.
/// The account's sessions, codes and login attempts live in the same table
/// under keys of their own (sessions.rs, codes.rs, attempts.rs).
pub struct DynamoUserStore {
    client: Client,
    table: String,
}

impl DynamoUserStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoUserStore { client, table }
    }

    fn user_key(id: &str) -> String {
        format!("USER#{id}")
    }

    fn email_key(email: &str) -> String {
        format!("EMAIL#{email}")
    }
}

#[async_trait]
impl UserStore for DynamoUserStore {
    async fn create(&self, user: &User) -> StoreResult<()> {
        let mut profile = to_item(user)?;
        profile.insert("pk".into(), s(Self::user_key(&user.id)));
        let profile = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(profile))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
        )?;
        let email = built(
            Put::builder()
                .table_name(&self.table)
                .item("pk", s(Self::email_key(&user.email)))
                .item("userId", s(&user.id))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
        )?;
        let items = vec![
            TransactWriteItem::builder().put(profile).build(),
            TransactWriteItem::builder().put(email).build(),
        ];
        match transact(&self.client, items).await {
            Ok(()) => Ok(()),
            Err(Cancelled::Condition(_)) => Err(StoreError::AlreadyExists),
            Err(Cancelled::Other(e)) => Err(e),
        }
    }

    async fn get(&self, id: &str) -> StoreResult<Option<User>> {
        get_one(&self.client, &self.table, "pk", &Self::user_key(id)).await
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(Self::email_key(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        let user_id = match output.item.as_ref().and_then(|i| i.get("userId")) {
            Some(AttributeValue::S(id)) => id.clone(),
            Some(_) => return Err(StoreError::Corrupt("email pointer without userId".into())),
            None => return Ok(None),
        };
        self.get(&user_id).await
    }

    async fn update(&self, id: &str, change: &UserChange) -> StoreResult<User> {
        let (set, expr) = user_write(change)?;
        let key = Self::user_key(id);
        match update(&self.client, &self.table, ("pk", &key), &set, expr).await {
            Ok(item) => from_item(item),
            Err(StoreError::ConditionFailed) => match self.get(id).await? {
                None => Err(StoreError::NotFound),
                Some(_) => Err(StoreError::ConditionFailed),
            },
            Err(e) => Err(e),
        }
    }

    async fn list_admins(&self) -> StoreResult<Vec<User>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("admins")
            .key_condition_expression("adminRole = :admin")
            .expression_attribute_values(":admin", s("admin"));
        let mut admins: Vec<User> = collect_pages(usize::MAX, |start| {
            let page = query.clone().set_exclusive_start_key(start);
            async move { page.send().await.map_err(store_error) }
        })
        .await?;
        admins.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(admins)
    }
}

/// A change as an update expression and its condition: `User::apply`'s
/// rules, written for DynamoDB. `adminRole` is set on admins only, the key
/// of the sparse `admins` index.
fn user_write(change: &UserChange) -> StoreResult<(String, Expr)> {
    let exists = "attribute_exists(pk)";
    let t = || AttributeValue::Bool(true);
    Ok(match change {
        UserChange::Name(name) => (
            "SET #name = :name".into(),
            Expr::when(exists).name("#name", "name").value(":name", s(name)),
        ),
        UserChange::EmailVerified => (
            "SET emailVerified = :true".into(),
            Expr::when(exists).value(":true", t()),
        ),
        UserChange::Role(Role::Admin) => (
            "SET #role = :admin, adminRole = :admin".into(),
            Expr::when(format!("{exists} AND emailVerified = :true AND totp.enabled = :true"))
                .name("#role", "role")
                .value(":admin", s("admin"))
                .value(":true", t()),
        ),
        UserChange::Role(Role::Customer) => (
            "SET #role = :customer REMOVE adminRole".into(),
            Expr::when(exists)
                .name("#role", "role")
                .value(":customer", s("customer")),
        ),
        UserChange::Password { hash, at } => (
            "SET passwordHash = :hash, sessionsRevokedAt = :at".into(),
            Expr::when(exists)
                .value(":hash", s(hash))
                .value(":at", to_av(at)?),
        ),
        UserChange::SessionsRevoked(at) => (
            "SET sessionsRevokedAt = :at".into(),
            Expr::when(exists).value(":at", to_av(at)?),
        ),
        UserChange::TotpEnrolled(factor) => (
            "SET totp = :factor".into(),
            Expr::when(format!(
                "{exists} AND (attribute_not_exists(totp) OR totp.enabled = :false)"
            ))
            .value(":factor", to_av(factor)?)
            .value(":false", AttributeValue::Bool(false)),
        ),
        UserChange::TotpConfirmed {
            step,
            recovery_codes,
        } => (
            "SET totp.enabled = :true, totp.lastStep = :step, totp.recoveryCodes = :codes".into(),
            Expr::when("totp.enabled = :false")
                .value(":true", t())
                .value(":false", AttributeValue::Bool(false))
                .value(":step", n(step))
                .value(":codes", to_av(recovery_codes)?),
        ),
        UserChange::TotpUsed { step } => (
            "SET totp.lastStep = :step".into(),
            Expr::when(
                "totp.enabled = :true AND (attribute_not_exists(totp.lastStep) OR totp.lastStep < :step)",
            )
            .value(":true", t())
            .value(":step", n(step)),
        ),
        UserChange::RecoveryCodeUsed { index, digest } => (
            format!("REMOVE totp.recoveryCodes[{index}]"),
            Expr::when(format!("totp.recoveryCodes[{index}] = :digest")).value(":digest", s(digest)),
        ),
        UserChange::TotpRemoved => (
            "REMOVE totp".into(),
            Expr::when(format!("{exists} AND #role <> :admin"))
                .name("#role", "role")
                .value(":admin", s("admin")),
        ),
    })
}
