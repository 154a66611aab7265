// Inventory model: the Swift sample for the grammar tests.
import Foundation
import struct Darwin.C.size_t
@testable import InventoryKit

let maxItems = 100
var registry: [String: Item] = [:]

/// Anything with a price.
protocol Priced {
    var price: Double { get }
    func total(quantity: Int) -> Double
}

enum Category: String {
    case food
    case tool = "tool"
}

/// One thing in the inventory.
class Item: Product, Priced {
    let name: String
    var price: Double

    init(name: String, price: Double) {
        self.name = name
        self.price = price
        super.init()
    }

    /// Price of `quantity` items.
    func total(quantity: Int) -> Double {
        return price * Double(max(quantity, 0))
    }

    static func parse(_ line: String) -> Item {
        let parts = line.split(separator: ",")
        return Item(name: String(parts[0]), price: Double(parts[1]) ?? 0)
    }
}

struct Point {
    var x: Int
    var y: Int
}

extension Item: CustomStringConvertible {
    var description: String { "\(name): \(price)" }
}

typealias Registry = [String: Item]

func describe(_ item: Item) -> String {
    return item.description
}

print(describe(Item.parse("apple,0.5")))
