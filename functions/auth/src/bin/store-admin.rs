//! The operator's command for the admin role, with AWS credentials (the
//! standard chain; `AWS_ENDPOINT_URL` for LocalStack) and `USERS_TABLE`:
//!
//!   store-admin grant EMAIL     the account must have a verified email and TOTP
//!   store-admin revoke EMAIL
//!   store-admin list
//!
//! The same rule as `POST /api/admin/users/{grant,revoke}` (auth::set_role).

use auth::admin::set_role;
use shared::adapters::aws;
use shared::adapters::dynamodb::DynamoUserStore;
use shared::domain::Role;
use shared::ports::UserStore;
use std::process::ExitCode;

const USAGE: &str = "usage: store-admin grant EMAIL | revoke EMAIL | list";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let table = match aws::env_required("USERS_TABLE") {
        Ok(table) => table,
        Err(e) => {
            eprintln!("store-admin: {e}");
            return ExitCode::from(2);
        }
    };
    let config = aws::load_config().await;
    let users = DynamoUserStore::new(aws::dynamodb(&config), table);
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["grant", email] => set_role(&users, email, Role::Admin)
            .await
            .map(|u| println!("{}: admin", u.email))
            .map_err(|e| e.to_string()),
        ["revoke", email] => set_role(&users, email, Role::Customer)
            .await
            .map(|u| println!("{}: customer", u.email))
            .map_err(|e| e.to_string()),
        ["list"] => users
            .list_admins()
            .await
            .map(|admins| {
                admins
                    .iter()
                    .for_each(|u| println!("{}\t{}", u.email, u.id))
            })
            .map_err(|e| e.to_string()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("store-admin: {e}");
            ExitCode::FAILURE
        }
    }
}
