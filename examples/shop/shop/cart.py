"""A shopping cart."""

from .pricing import PriceList, calculate_discount, with_vat


class Cart:
    """Items a customer is about to buy."""

    def __init__(self, price_list: PriceList):
        self.price_list = price_list
        self.items: dict[str, int] = {}

    def add(self, sku, quantity=1):
        """Add ``quantity`` of a product."""
        self.items[sku] = self.items.get(sku, 0) + quantity

    def total(self, discount_rate=0):
        """The total price with VAT, after the discount."""
        net = sum(self.price_list.price_of(sku) * n for sku, n in self.items.items())
        return with_vat(calculate_discount(net, discount_rate))
