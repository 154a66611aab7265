// Inventory model: the Kotlin sample for the grammar tests.
package com.example.inventory

import kotlin.math.max
import java.util.*
import com.example.pricing.Currency as Money

const val MAX_ITEMS = 100
val registry = mutableMapOf<String, Item>()

/** Anything with a price. */
interface Priced {
    fun total(quantity: Int): Double
}

enum class Category { FOOD, TOOL }

/**
 * One thing in the inventory.
 */
data class Item(val name: String, val price: Double) : Product(), Priced {
    var count: Int = 0

    constructor(name: String) : this(name, 0.0)

    override fun total(quantity: Int): Double = price * max(quantity, 0)

    companion object {
        fun parse(line: String): Item {
            val (name, price) = line.split(",")
            return Item(name, price.toDouble())
        }
    }
}

object Shelf {
    private val items = ArrayList<Item>()

    fun add(item: Item) {
        items.add(item)
        registry[item.name] = item
    }
}

typealias Registry = Map<String, Item>

fun Item.describe(): String = "$name: $price"

fun main() {
    val apple = Item.parse("apple,0.5")
    Shelf.add(apple)
    println(apple.describe())
}
