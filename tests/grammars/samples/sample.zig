//! Inventory model: the Zig sample for the grammar tests.
const std = @import("std");
const pricing = @import("pricing.zig");
const mem = std.mem;
const Allocator = std.mem.Allocator;

pub const max_items: usize = 100;
var item_count: usize = 0;

/// Kinds of things on a shelf.
pub const Category = enum {
    food,
    tool,
};

/// One thing in the inventory.
pub const Item = struct {
    name: []const u8,
    price: f64,

    /// Price of `quantity` items.
    pub fn total(self: Item, quantity: u32) f64 {
        return self.price * @as(f64, @floatFromInt(quantity));
    }

    pub fn init(name: []const u8, price: f64) Item {
        item_count += 1;
        return .{ .name = name, .price = price };
    }
};

pub const Value = union(enum) {
    int: i64,
    float: f64,
};

const Error = error{ OutOfStock, Invalid };

fn describe(allocator: Allocator, item: Item) ![]u8 {
    return std.fmt.allocPrint(allocator, "{s}: {d}", .{ item.name, item.price });
}

pub fn main() !void {
    const apple = Item.init("apple", 0.5);
    const text = try describe(std.heap.page_allocator, apple);
    std.debug.print("{s} {d}\n", .{ text, pricing.tax(apple.total(3)) });
}

test "total" {
    try std.testing.expect(Item.init("a", 1.0).total(2) == 2.0);
}
