//! Inventory model: the Rust sample for the grammar tests.

use std::collections::HashMap;
use std::fmt::{self, Display, Write as _};
use std::io::{self as stdio, Read};
use crate::shelf::*;
use serde::Serialize as Ser;

mod shelf;

/// The most items a shelf holds.
pub const MAX_ITEMS: usize = 100;
static mut COUNTER: u32 = 0;

/// One thing in the inventory.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    price: f64,
}

pub enum Category {
    Food,
    Tool { weight: u32 },
}

/// Anything with a price.
pub trait Priced {
    fn total(&self, quantity: u32) -> f64;
}

pub type Registry = HashMap<String, Item>;

impl Item {
    /// Creates an item.
    pub fn new(name: &str, price: f64) -> Self {
        Item { name: name.to_string(), price }
    }
}

impl Priced for Item {
    fn total(&self, quantity: u32) -> f64 {
        self.price * f64::from(quantity)
    }
}

impl Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.price)
    }
}

macro_rules! item {
    ($name:expr) => {
        Item::new($name, 0.0)
    };
}

pub fn load(registry: &mut Registry) -> Option<&Item> {
    let item = item!("apple");
    registry.insert(item.name.clone(), item);
    registry.get("apple")
}
