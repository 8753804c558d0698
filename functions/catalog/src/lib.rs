//! `GET /healthz`, `GET /api/products[?category=&q=]`, `GET /api/products/{id}`,
//! and for admins `POST /api/products`, `PUT|DELETE /api/products/{id}`,
//! `POST /api/products/{id}/stock`.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::adapters::aws::{self, ConfigError};
use shared::adapters::dynamodb::DynamoProductStore;
use shared::adapters::UuidV7Ids;
use shared::auth::Tokens;
use shared::domain::{Money, Product, ProductState, MAX_STOCK};
use shared::http::{self, Api, ApiError, ApiResult, RouteTable, Router};
use shared::ports::{IdGenerator, ProductStore, StoreError};
use std::sync::{Arc, LazyLock};

const MAX_PRICE_CENTS: i64 = 100_000_000;
/// Longest `category` and `q` a listing takes.
const MAX_FILTER_CHARS: usize = 100;
/// Most products on one page of the listing.
const MAX_PAGE: usize = 100;
/// Store pages one listing request reads at most (filters may skip many).
const MAX_READS: usize = 10;

/// The listing's opaque cursor: the id to go on after, hex-encoded.
mod cursor {
    const PREFIX: &str = "p1.";

    pub fn encode(after: &str) -> String {
        format!("{PREFIX}{}", hex::encode(after))
    }

    pub fn decode(cursor: &str) -> Option<String> {
        let bytes = hex::decode(cursor.strip_prefix(PREFIX)?).ok()?;
        String::from_utf8(bytes)
            .ok()
            .filter(|id| shared::http::is_valid_id(id))
    }
}

#[derive(Clone, Copy)]
enum Action {
    Health,
    List,
    Create,
    Get,
    Update,
    Archive,
    AdjustStock,
}

/// Every route this function serves, the one table of them.
const ROUTES: RouteTable<Action> = &[
    (Method::GET, "/healthz", Action::Health),
    (Method::GET, "/api/products", Action::List),
    (Method::POST, "/api/products", Action::Create),
    (Method::GET, "/api/products/{id}", Action::Get),
    (Method::PUT, "/api/products/{id}", Action::Update),
    (Method::DELETE, "/api/products/{id}", Action::Archive),
    (
        Method::POST,
        "/api/products/{id}/stock",
        Action::AdjustStock,
    ),
];

static ROUTER: LazyLock<Router<Action>> = LazyLock::new(|| Router::new(ROUTES));

/// (method, path) of every route, for the route check.
pub fn routes() -> Vec<(String, String)> {
    ROUTER.declared()
}

pub struct CatalogService {
    pub products: Arc<dyn ProductStore>,
    pub tokens: Arc<Tokens>,
    pub ids: Arc<dyn IdGenerator>,
    pub allowed_origin: String,
}

/// The contract's shape: `{"id", "data": {...}, "state"}`, prices in decimal.
#[derive(Serialize)]
pub struct ProductView {
    id: String,
    data: ProductData,
    state: ProductState,
}

#[derive(Serialize)]
struct ProductData {
    name: String,
    price: f64,
    category: String,
    description: String,
    image: String,
    stock: u32,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        ProductView {
            id: p.id,
            data: ProductData {
                name: p.name,
                price: p.price.as_decimal(),
                category: p.category,
                description: p.description,
                image: p.image,
                stock: p.stock,
            },
            state: p.state,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProduct {
    #[serde(default)]
    id: Option<String>,
    name: String,
    price: f64,
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    image: String,
    #[serde(default)]
    stock: u32,
}

/// Every field optional; stock is not here on purpose (it moves atomically
/// through `/stock`, never by overwrite).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductPatch {
    name: Option<String>,
    price: Option<f64>,
    category: Option<String>,
    description: Option<String>,
    image: Option<String>,
    state: Option<ProductState>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockAdjustment {
    delta: i64,
}

fn bounded(field: &str, value: &str, max: usize, required: bool) -> Result<String, ApiError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(ApiError::bad_request(format!("{field} is required")));
    }
    if value.chars().count() > max {
        return Err(ApiError::bad_request(format!(
            "{field} must be at most {max} characters"
        )));
    }
    Ok(value.to_string())
}

fn price(value: f64) -> Result<Money, ApiError> {
    Money::from_decimal(value)
        .filter(|m| m.cents() > 0 && m.cents() <= MAX_PRICE_CENTS)
        .ok_or_else(|| {
            ApiError::bad_request(
                "price must be a positive amount with at most two decimals, up to 1000000",
            )
        })
}

impl CatalogService {
    pub async fn from_env(config: &aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(CatalogService {
            products: Arc::new(DynamoProductStore::new(
                aws::dynamodb(config),
                aws::env_required("PRODUCTS_TABLE")?,
            )),
            tokens: Arc::new(aws::tokens_from_env(config).await?),
            ids: Arc::new(UuidV7Ids),
            allowed_origin: aws::env_or("ALLOWED_ORIGIN", ""),
        })
    }

    async fn route(&self, request: &Request) -> ApiResult {
        let (action, params) = ROUTER.route(request.method(), &http::route_path(request))?;
        let id = || http::path_id(&params, "id");
        match action {
            Action::Health => http::ok(&serde_json::json!({"status": "healthy"})),
            Action::List => self.list(request).await,
            Action::Create => self.create(request).await,
            Action::Get => self.get(id()?).await,
            Action::Update => self.update(request, id()?).await,
            Action::Archive => self.archive(request, id()?).await,
            Action::AdjustStock => self.adjust_stock(request, id()?).await,
        }
    }

    /// Active products in id order, one page at a time. With `limit` or
    /// `cursor` the answer is `{"items", "nextCursor"}`; without either it
    /// is the array the seed's clients read (the first page, the next
    /// cursor in `X-Next-Cursor`). `category` and `q` filter; a page reads
    /// at most `MAX_READS` store pages, however few match.
    async fn list(&self, request: &Request) -> ApiResult {
        let category = http::query_text(request, "category", MAX_FILTER_CHARS)?;
        let query = http::query_text(request, "q", MAX_FILTER_CHARS)?;
        let limit = match http::query_param(request, "limit") {
            None => None,
            Some(text) => Some(
                text.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("limit must be 1 to {MAX_PAGE}"))
                    })?,
            ),
        };
        let cursor = match http::query_param(request, "cursor") {
            None => None,
            Some(text) => Some(
                cursor::decode(&text)
                    .ok_or_else(|| ApiError::bad_request("cursor is not one this API gave"))?,
            ),
        };
        let paged = limit.is_some() || cursor.is_some();
        let want = limit.unwrap_or(MAX_PAGE);
        let (items, next) = self
            .page(cursor, want, |p| {
                p.matches(category.as_deref(), query.as_deref())
            })
            .await?;
        let next_cursor = next.as_deref().map(cursor::encode);
        let views: Vec<ProductView> = items.into_iter().map(ProductView::from).collect();
        if paged {
            return http::ok(&serde_json::json!({"items": views, "nextCursor": next_cursor}));
        }
        let mut response = http::json(StatusCode::OK, &views);
        if let Some(next) = next_cursor.and_then(|c| c.parse().ok()) {
            response.headers_mut().insert("x-next-cursor", next);
        }
        Ok(response)
    }

    /// Up to `want` matching products after `after`, and the id to go on
    /// after (the last one looked at) when there may be more.
    async fn page(
        &self,
        mut after: Option<String>,
        want: usize,
        matches: impl Fn(&Product) -> bool,
    ) -> Result<(Vec<Product>, Option<String>), ApiError> {
        let mut found = Vec::new();
        for _ in 0..MAX_READS {
            let page = self
                .products
                .list_active(after.as_deref(), want)
                .await
                .map_err(|e| ApiError::from_store("listing products", e))?;
            for product in page.products {
                if found.len() == want {
                    return Ok((found, after));
                }
                after = Some(product.id.clone());
                if matches(&product) {
                    found.push(product);
                }
            }
            match page.next_after {
                None => return Ok((found, None)),
                Some(next) => after = Some(next),
            }
            if found.len() == want {
                break;
            }
        }
        Ok((found, after))
    }

    async fn find(&self, id: &str) -> Result<Product, ApiError> {
        self.products
            .get(id)
            .await
            .map_err(|e| ApiError::from_store("reading a product", e))?
            .ok_or_else(|| ApiError::not_found(format!("product {id} not found")))
    }

    async fn get(&self, id: &str) -> ApiResult {
        let product = self.find(id).await?;
        if !product.is_active() {
            return Err(ApiError::not_found(format!("product {id} not found")));
        }
        http::ok(&ProductView::from(product))
    }

    async fn create(&self, request: &Request) -> ApiResult {
        http::require_admin(request, &self.tokens)?;
        let body: NewProduct = http::parse_json(request)?;
        let id = match body.id {
            Some(id) if http::is_valid_id(&id) => id,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "id must be 1 to 64 letters, digits, - or _",
                ))
            }
            None => format!("prod-{}", self.ids.new_id()),
        };
        if body.stock > MAX_STOCK {
            return Err(ApiError::bad_request(format!(
                "stock must be at most {MAX_STOCK}"
            )));
        }
        let product = Product {
            id,
            name: bounded("name", &body.name, 200, true)?,
            category: bounded("category", &body.category, 100, true)?,
            description: bounded("description", &body.description, 2000, false)?,
            image: bounded("image", &body.image, 500, false)?,
            price: price(body.price)?,
            stock: body.stock,
            state: ProductState::Active,
        };
        match self.products.create(&product).await {
            Ok(()) => Ok(http::json(StatusCode::CREATED, &ProductView::from(product))),
            Err(StoreError::AlreadyExists) => Err(ApiError::conflict(format!(
                "product {} already exists",
                product.id
            ))),
            Err(e) => Err(ApiError::from_store("creating a product", e)),
        }
    }

    async fn update(&self, request: &Request, id: &str) -> ApiResult {
        http::require_admin(request, &self.tokens)?;
        let patch: ProductPatch = http::parse_json(request)?;
        let mut product = self.find(id).await?;
        if let Some(name) = patch.name {
            product.name = bounded("name", &name, 200, true)?;
        }
        if let Some(category) = patch.category {
            product.category = bounded("category", &category, 100, true)?;
        }
        if let Some(description) = patch.description {
            product.description = bounded("description", &description, 2000, false)?;
        }
        if let Some(image) = patch.image {
            product.image = bounded("image", &image, 500, false)?;
        }
        if let Some(value) = patch.price {
            product.price = price(value)?;
        }
        if let Some(state) = patch.state {
            product.state = state;
        }
        match self.products.update_details(&product).await {
            Ok(updated) => http::ok(&ProductView::from(updated)),
            Err(StoreError::NotFound) => {
                Err(ApiError::not_found(format!("product {id} not found")))
            }
            Err(e) => Err(ApiError::from_store("updating a product", e)),
        }
    }

    /// Deleting archives: orders keep pointing at the product.
    async fn archive(&self, request: &Request, id: &str) -> ApiResult {
        http::require_admin(request, &self.tokens)?;
        let mut product = self.find(id).await?;
        product.state = ProductState::Archived;
        self.products
            .update_details(&product)
            .await
            .map_err(|e| ApiError::from_store("archiving a product", e))?;
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok(response)
    }

    async fn adjust_stock(&self, request: &Request, id: &str) -> ApiResult {
        http::require_admin(request, &self.tokens)?;
        let body: StockAdjustment = http::parse_json(request)?;
        if body.delta.unsigned_abs() > u64::from(MAX_STOCK) {
            return Err(ApiError::bad_request(format!(
                "delta must be between -{MAX_STOCK} and {MAX_STOCK}"
            )));
        }
        match self.products.adjust_stock(id, body.delta).await {
            Ok(product) => http::ok(&ProductView::from(product)),
            Err(StoreError::NotFound) => {
                Err(ApiError::not_found(format!("product {id} not found")))
            }
            Err(StoreError::OutOfStock { .. }) => {
                Err(ApiError::conflict("stock cannot go below zero"))
            }
            Err(StoreError::ConditionFailed) => Err(ApiError::conflict(format!(
                "stock cannot exceed {MAX_STOCK}"
            ))),
            Err(e) => Err(ApiError::from_store("adjusting stock", e)),
        }
    }
}

#[async_trait::async_trait]
impl Api for CatalogService {
    async fn handle(&self, request: Request) -> Response<Body> {
        http::respond(&request, &self.allowed_origin, |_| self.route(&request)).await
    }
}
