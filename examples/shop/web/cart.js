// Client-side cart helpers.
import { formatPrice } from "./format.js";

export class CartView {
  constructor(element) {
    this.element = element;
  }

  render(items) {
    this.element.textContent = items.map((item) => formatPrice(item.price)).join(", ");
  }
}

export function totalOf(items) {
  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}
