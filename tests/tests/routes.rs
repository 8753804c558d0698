//! Writes the HTTP functions' route tables out (infra/routes.json) for the
//! checks that compare them with the template's API events and the
//! `cargo lambda watch` router (statemachine/test/contract.test.mjs). No
//! network: runs with the unit tests.

use shared::http::{CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS};

#[test]
fn the_route_tables_are_written_out_for_the_template_checks() {
    let functions = [
        ("auth", auth::routes()),
        ("catalog", catalog::routes()),
        ("orders", orders::routes()),
        ("shipping-webhook", shipping_webhook::routes()),
        ("payment-webhook", payment_webhook::routes()),
    ];
    let functions: serde_json::Map<String, serde_json::Value> = functions
        .into_iter()
        .map(|(name, routes)| {
            let routes: Vec<_> = routes
                .into_iter()
                .map(|(method, path)| serde_json::json!({"method": method, "path": path}))
                .collect();
            (name.to_string(), serde_json::json!(routes))
        })
        .collect();
    let table = serde_json::json!({
        "generatedBy": "tests/tests/routes.rs (BLESS=1 cargo test -p integration-tests --test routes rewrites it)",
        "cors": {"allowHeaders": CORS_ALLOW_HEADERS, "allowMethods": CORS_ALLOW_METHODS},
        "functions": functions,
    });
    let text = serde_json::to_string_pretty(&table).unwrap() + "\n";
    shared::testing::check_generated("infra/routes.json", &text);
}
