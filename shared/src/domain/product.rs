use super::Money;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductState {
    Active,
    /// Soft-deleted: hidden from the catalog, still readable by old orders.
    Archived,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub category: String,
    pub description: String,
    pub image: String,
    /// Integer cents.
    pub price: Money,
    pub stock: u32,
    pub state: ProductState,
}

/// No product holds more than this: a bound every stock change keeps, so a
/// client's number can never overflow what is stored.
pub const MAX_STOCK: u32 = 1_000_000;

/// Which end of 0..=`MAX_STOCK` a stock change would cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockRange {
    BelowZero,
    AboveMaximum,
}

/// `stock` moved by `delta`, if the result stays within 0..=`MAX_STOCK`.
pub fn adjusted_stock(stock: u32, delta: i64) -> Result<u32, StockRange> {
    let next = i64::from(stock).checked_add(delta).ok_or(if delta < 0 {
        StockRange::BelowZero
    } else {
        StockRange::AboveMaximum
    })?;
    if next < 0 {
        Err(StockRange::BelowZero)
    } else if next > i64::from(MAX_STOCK) {
        Err(StockRange::AboveMaximum)
    } else {
        u32::try_from(next).map_err(|_| StockRange::AboveMaximum)
    }
}

impl Product {
    pub fn is_active(&self) -> bool {
        self.state == ProductState::Active
    }

    /// Case-insensitive name search as the storefront's search box expects.
    pub fn matches(&self, category: Option<&str>, query: Option<&str>) -> bool {
        let category_ok = category.is_none_or(|c| self.category.eq_ignore_ascii_case(c));
        let query_ok = query.is_none_or(|q| self.name.to_lowercase().contains(&q.to_lowercase()));
        category_ok && query_ok
    }
}

/// The catalog the store starts with (`../shared/seeds/001_*`, "Seed Data").
pub fn seed_products() -> Vec<Product> {
    let seed: Vec<SeedProduct> = serde_json::from_str(include_str!("../../seed/products.json"))
        .expect("seed/products.json is checked in and tested");
    seed.into_iter()
        .map(|p| Product {
            id: p.id,
            name: p.name,
            category: p.category,
            description: p.description,
            image: p.image,
            price: Money::from_cents(p.price_cents),
            stock: p.stock,
            state: ProductState::Active,
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedProduct {
    id: String,
    name: String,
    category: String,
    description: String,
    image: String,
    price_cents: i64,
    stock: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_has_the_eight_documented_products() {
        let products = seed_products();
        let summary: Vec<_> = products
            .iter()
            .map(|p| (p.id.as_str(), p.name.as_str(), p.price.to_string()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("prod-001", "Mechanical Keyboard", "149.99".to_string()),
                ("prod-002", "Wireless Mouse", "49.99".to_string()),
                ("prod-003", "USB-C Hub", "79.99".to_string()),
                ("prod-004", "Laptop Stand", "89.99".to_string()),
                ("prod-005", "Desk Mat", "34.99".to_string()),
                ("prod-006", "Cable Management Kit", "24.99".to_string()),
                ("prod-007", "Monitor Light Bar", "59.99".to_string()),
                ("prod-008", "IDE License Pro", "9.99".to_string()),
            ]
        );
        assert!(products.iter().all(|p| p.is_active() && p.stock > 0));
    }

    #[test]
    fn matches_category_and_name_case_insensitively() {
        let keyboard = seed_products().remove(0);
        assert!(keyboard.matches(Some("electronics"), Some("KEYB")));
        assert!(keyboard.matches(None, None));
        assert!(!keyboard.matches(Some("Software"), None));
        assert!(!keyboard.matches(None, Some("mouse")));
    }
}
