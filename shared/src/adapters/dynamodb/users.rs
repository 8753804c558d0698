use super::Cancelled;
use super::{built, cancelled, from_item, get_one, s, store_error, store_error_as, to_item};
use crate::domain::User;
use crate::ports::{StoreError, StoreResult, UserStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
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
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(profile).build())
            .transact_items(TransactWriteItem::builder().put(email).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match cancelled(err) {
                Cancelled::Condition(_) => Err(StoreError::AlreadyExists),
                Cancelled::Other(e) => Err(e),
            },
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
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(Self::user_key(id)))
            .update_expression("SET #name = :name")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#name", "name")
            .expression_attribute_values(":name", s(name))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(store_error_as(StoreError::NotFound))?;
        from_item(output.attributes.unwrap_or_default())
    }
}
