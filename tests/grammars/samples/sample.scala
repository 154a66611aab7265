// Inventory model: the Scala sample for the grammar tests.
package com.example.inventory

import scala.collection.mutable
import scala.math.{max, min => lower}
import java.util._
import com.example.pricing.Currency

/** Anything with a price. */
trait Priced {
  def total(quantity: Int): Double
}

sealed abstract class Category
case object Food extends Category
case object Tool extends Category

/** One thing in the inventory. */
case class Item(name: String, price: Double) extends Product with Priced {
  val label: String = s"$name: $price"
  var count = 0

  override def total(quantity: Int): Double = price * max(quantity, 0)
}

object Item {
  final val MaxItems = 100

  def parse(line: String): Item = {
    val Array(name, price) = line.split(",")
    new Item(name, price.toDouble)
  }
}

type Registry = mutable.Map[String, Item]

enum Size {
  case Small, Large
}

def describe(item: Item): String = item.label

@main def run(): Unit = {
  val apple = Item.parse("apple,0.5")
  println(describe(apple))
}
