//! Routing: each HTTP function declares its routes once, in a table of
//! method, path (API Gateway's `{param}` syntax, as in the template) and the
//! action that serves it. The same table answers requests and is what the
//! route check compares with the template and the `cargo lambda watch`
//! router (infra/routes.json).

use super::ApiError;
use async_trait::async_trait;
use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// A function's routes: (method, path, action).
pub type RouteTable<A> = &'static [(Method, &'static str, A)];

/// Finds the action for a method and path in a route table.
pub struct Router<A: 'static> {
    table: RouteTable<A>,
    paths: matchit::Router<Vec<(Method, A)>>,
}

/// The values of a route's `{param}`s in one request.
#[derive(Debug, Default)]
pub struct PathParams(HashMap<String, String>);

impl PathParams {
    /// The value of `{name}`; empty if the route has no such parameter.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }
}

impl<A: Copy + 'static> Router<A> {
    pub fn new(table: RouteTable<A>) -> Self {
        let mut by_path: Vec<(&str, Vec<(Method, A)>)> = Vec::new();
        for (method, path, action) in table {
            match by_path.iter_mut().find(|(p, _)| p == path) {
                Some((_, methods)) => methods.push((method.clone(), *action)),
                None => by_path.push((path, vec![(method.clone(), *action)])),
            }
        }
        let mut paths = matchit::Router::new();
        for (path, methods) in by_path {
            paths
                .insert(path, methods)
                .unwrap_or_else(|e| panic!("route table: {path}: {e}"));
        }
        Router { table, paths }
    }

    /// The action for `method` on `path` and the path's parameters: 404 for
    /// a path no route has, 405 for one served with other methods only.
    pub fn route(&self, method: &Method, path: &str) -> Result<(A, PathParams), ApiError> {
        let found = self
            .paths
            .at(path)
            .map_err(|_| ApiError::not_found("no such route"))?;
        let action = found
            .value
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, action)| *action)
            .ok_or_else(ApiError::method_not_allowed)?;
        let params = found
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok((action, PathParams(params)))
    }

    /// Every (method, path) the table declares.
    pub fn declared(&self) -> Vec<(String, String)> {
        self.table
            .iter()
            .map(|(method, path, _)| (method.to_string(), (*path).to_string()))
            .collect()
    }
}

/// The request's path from `/api` on (or its last segment, as for
/// `/healthz`), whatever stage or base path API Gateway or cargo-lambda
/// put in front.
pub fn route_path(request: &Request) -> String {
    let path = request.raw_http_path();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let route = match segments.iter().position(|s| *s == "api") {
        Some(start) => &segments[start..],
        None => &segments[segments.len().saturating_sub(1)..],
    };
    format!("/{}", route.join("/"))
}

/// An HTTP function: answers every request with a response (its errors
/// included), so the runtime never sees a failure a client caused.
#[async_trait]
pub trait Api: Send + Sync + 'static {
    async fn handle(&self, request: Request) -> Response<Body>;
}

/// Hands an HTTP function to the Lambda runtime (what each HTTP `main`
/// does, as `step::serve` is for the state machine's tasks).
pub async fn serve<S: Api>(service: S) -> Result<(), lambda_http::Error> {
    let service = Arc::new(service);
    lambda_http::run(lambda_http::service_fn(move |request: Request| {
        let service = service.clone();
        async move { Ok::<_, std::convert::Infallible>(service.handle(request).await) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::request;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Action {
        List,
        Create,
        Get,
        Stock,
    }

    const ROUTES: RouteTable<Action> = &[
        (Method::GET, "/api/products", Action::List),
        (Method::POST, "/api/products", Action::Create),
        (Method::GET, "/api/products/{id}", Action::Get),
        (Method::POST, "/api/products/{id}/stock", Action::Stock),
    ];

    #[test]
    fn routes_by_method_and_path_with_parameters() {
        let router = Router::new(ROUTES);
        let (action, params) = router.route(&Method::GET, "/api/products/p-1").unwrap();
        assert_eq!((action, params.get("id")), (Action::Get, "p-1"));
        let (action, params) = router
            .route(&Method::POST, "/api/products/p-1/stock")
            .unwrap();
        assert_eq!((action, params.get("id")), (Action::Stock, "p-1"));
        assert_eq!(
            router.route(&Method::POST, "/api/products").unwrap().0,
            Action::Create
        );
    }

    #[test]
    fn unknown_paths_are_404_and_other_methods_405() {
        let router = Router::new(ROUTES);
        assert_eq!(
            router
                .route(&Method::GET, "/api/nothing")
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            router
                .route(&Method::GET, "/api/products/p-1/stock/x")
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            router
                .route(&Method::DELETE, "/api/products")
                .unwrap_err()
                .status,
            405
        );
    }

    #[test]
    fn the_route_path_drops_whatever_is_in_front_of_api() {
        let on_stage = request(Method::GET, "/api/products/p-1", None, None);
        assert_eq!(route_path(&on_stage), "/api/products/p-1");
        let health = request(Method::GET, "/healthz", None, None);
        assert_eq!(route_path(&health), "/healthz");
    }

    #[test]
    fn the_table_is_what_it_declares() {
        let declared = Router::new(ROUTES).declared();
        assert_eq!(
            declared[0],
            ("GET".to_string(), "/api/products".to_string())
        );
        assert_eq!(declared.len(), 4);
    }
}
