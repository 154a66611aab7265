-- Inventory model: the Lua sample for the grammar tests.
local json = require("dkjson")
local util = require "inventory.util"
local pricing = require('inventory.pricing')
require("strict")

local MAX_ITEMS = 100
Registry = {}

--- One thing in the inventory.
local Item = {}
Item.__index = Item

--- Creates an item.
function Item.new(name, price)
  local self = setmetatable({}, Item)
  self.name = name
  self.price = price
  return self
end

-- Price of `quantity` items.
function Item:total(quantity)
  return self.price * math.max(quantity, 0)
end

local function describe(item)
  return string.format("%s: %.2f", item.name, item.price)
end

local M = {
  load = function(path)
    local items = {}
    for line in io.lines(path) do
      local name, price = line:match("([^,]+),([^,]+)")
      items[#items + 1] = Item.new(name, tonumber(price))
    end
    return items
  end,
}

M.describe = describe

function M.count(items)
  return #items
end

print(describe(Item.new("apple", 0.5)))
return M
