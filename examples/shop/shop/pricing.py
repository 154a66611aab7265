"""Prices and discounts."""

from decimal import Decimal

VAT_RATE = Decimal("0.20")


def calculate_discount(price, discount_rate):
    """Return the discounted price, never below zero."""
    discounted = price * (1 - discount_rate)
    return max(discounted, 0)


def with_vat(price):
    """Add value-added tax to a net price."""
    return price * (1 + VAT_RATE)


class PriceList:
    """Prices of products by SKU."""

    def __init__(self, prices=None):
        self.prices = dict(prices or {})

    def price_of(self, sku):
        """The price of one product."""
        return self.prices[sku]

    def cheapest(self):
        """The SKU with the lowest price."""
        return min(self.prices, key=self.prices.get)
