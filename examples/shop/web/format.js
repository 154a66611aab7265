/** Format a price in euros. */
export function formatPrice(value) {
  return `${value.toFixed(2)} €`;
}
