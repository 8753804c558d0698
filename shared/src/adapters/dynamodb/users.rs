use super::{
    built, condition_means, from_item, get_one, s, store_error, to_item, transact, update,
    Cancelled, Expr,
};
use crate::domain::User;
use crate::ports::{StoreError, StoreResult, UserStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;

/// Users and their unique emails in one table: `USER#<id>` holds the
/// profile, `EMAIL#<email>` points at it, both written in one transaction.
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

    async fn update_name(&self, id: &str, name: &str) -> StoreResult<User> {
        let exists = Expr::when("attribute_exists(pk)")
            .name("#name", "name")
            .value(":name", s(name));
        let key = ("pk", &*Self::user_key(id));
        let updated = update(&self.client, &self.table, key, "SET #name = :name", exists).await;
        from_item(condition_means(updated, StoreError::NotFound)?)
    }
}
