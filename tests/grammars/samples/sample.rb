# Inventory model: the Ruby sample for the grammar tests.
require "json"
require_relative "shelf"
require_relative "../lib/pricing"

module Inventory
  MAX_ITEMS = 100

  # Anything with a price.
  module Priced
    def total(quantity)
      price * quantity
    end
  end

  # One thing in the inventory.
  class Item < Product
    include Priced
    attr_reader :name, :price

    def initialize(name, price)
      @name = name
      @price = price
    end

    # A label for people.
    def label
      format("%s: %.2f", name, price)
    end

    def self.parse(line)
      name, price = line.split(",")
      new(name, Float(price))
    end

    def to_json(*args)
      JSON.generate({ name: name, price: price }, *args)
    end
  end

  class << self
    def load(path)
      File.readlines(path).map { |line| Item.parse(line) }
    end
  end
end

# Prints an item.
def describe(item)
  puts item.label
end

describe(Inventory::Item.new("apple", 0.5))
