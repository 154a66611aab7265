# Inventory model: the Julia sample for the grammar tests.
module Inventory

using LinearAlgebra
using Statistics: mean, median
import Base: show, +
import JSON
include("pricing.jl")

export Item, total, load

const MAX_ITEMS = 100

"""
    Priced

Anything with a price.
"""
abstract type Priced end

"""
One thing in the inventory.
"""
struct Item <: Priced
    name::String
    price::Float64
end

mutable struct Shelf
    items::Vector{Item}
end

@enum Category food tool

"Price of `quantity` items."
function total(item::Item, quantity::Int)
    return item.price * max(quantity, 0)
end

Base.show(io::IO, item::Item) = print(io, "$(item.name): $(item.price)")

describe(item::Item) = string(item.name)

macro log(expr)
    return :(println("inventory: ", $(esc(expr))))
end

function load(path::AbstractString)
    items = Item[]
    for line in eachline(path)
        name, price = split(line, ",")
        push!(items, Item(name, parse(Float64, price)))
    end
    return items
end

end # module
