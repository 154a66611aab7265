(* Inventory model: the OCaml sample for the grammar tests. *)
open Printf
open! Stdlib
module SMap = Map.Make (String)
include Pricing

let max_items = 100

(** One thing in the inventory. *)
type item = {
  name : string;
  price : float;
}

type category = Food | Tool of int

exception Out_of_stock of string

(** Anything with a price. *)
module type PRICED = sig
  type t
  val total : t -> int -> float
end

module Item : PRICED with type t = item = struct
  type t = item

  (** Price of [quantity] items. *)
  let total item quantity = item.price *. float_of_int (max quantity 0)
end

let describe item = sprintf "%s: %.2f" item.name item.price

let parse line =
  match String.split_on_char ',' line with
  | [ name; price ] -> Some { name; price = float_of_string price }
  | _ -> None

class shelf = object
  val mutable items : item list = []
  method add item = items <- item :: items
  method count = List.length items
end

let () =
  let apple = { name = "apple"; price = 0.5 } in
  print_endline (describe apple);
  Printf.printf "%f\n" (Item.total apple 3)
