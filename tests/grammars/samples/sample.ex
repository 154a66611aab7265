# Inventory model: the Elixir sample for the grammar tests.
defmodule Inventory.Item do
  @moduledoc """
  One thing in the inventory.
  """

  alias Inventory.{Shelf, Pricing}
  alias Inventory.Registry, as: Reg
  import Enum, only: [map: 2, sum: 1]
  require Logger
  use GenServer

  @max_items 100

  defstruct [:name, price: 0.0]

  @type t :: %__MODULE__{name: String.t(), price: float()}

  @doc "Price of `quantity` items."
  @spec total(t(), integer()) :: float()
  def total(%__MODULE__{price: price}, quantity) do
    price * max(quantity, 0)
  end

  def parse(line) do
    [name, price] = String.split(line, ",")
    %__MODULE__{name: name, price: String.to_float(price)}
  end

  defp describe(item), do: "#{item.name}: #{item.price}"

  defmacro log(message) do
    quote do: Logger.info(unquote(message))
  end

  def summary(items) do
    items |> map(&describe/1) |> Enum.join("\n")
  end
end

defprotocol Inventory.Priced do
  def price(item)
end

defimpl Inventory.Priced, for: Inventory.Item do
  def price(item), do: item.price
end
