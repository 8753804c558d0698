//! The stores' shared contracts against DynamoDB (LocalStack's DynamoDB
//! Local), as shared's unit tests run them against the in-memory stores.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use shared::adapters::dynamodb::DynamoOrderStore;

#[tokio::test]
#[ignore = "needs LocalStack (scripts/test.sh)"]
async fn the_dynamodb_order_store_keeps_the_contract() {
    let config = shared::adapters::aws::load_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    // A table of its own: orders left in `new` in the stack's table would
    // be started by the sweeper.
    let table = format!("order-store-contract-{}", uuid::Uuid::new_v4().simple());
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create the contract table");
    let store = DynamoOrderStore::new(client.clone(), table.clone());
    let outcome = tokio::spawn(async move {
        shared::testing::order_store_contract(&store, "dynamodb").await;
    })
    .await;
    client.delete_table().table_name(&table).send().await.ok();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
