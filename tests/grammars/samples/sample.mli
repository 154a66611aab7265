(* Inventory model interface: the OCaml interface sample for the grammar tests. *)
open Printf

(** One thing in the inventory. *)
type item = {
  name : string;
  price : float;
}

type category = Food | Tool of int

exception Out_of_stock of string

val max_items : int

(** [total item quantity] is the price of [quantity] items. *)
val total : item -> int -> float

val describe : item -> string

module Shelf : sig
  type t
  val add : t -> item -> t
end

module type PRICED = sig
  type t
  val price : t -> float
end

external c_total : float -> int -> float = "inventory_total"

class shelf : object
  method add : item -> unit
  method count : int
end
