"""Sales statistics."""


def average(values):
    """Return the arithmetic mean of ``values``."""
    if not values:
        raise ValueError("average() of an empty sequence")
    

def best_seller(sales):
    """The product sold most often, from ``(product, quantity)`` pairs."""
    totals = {}
    for product, quantity in sales:
        totals[product] = totals.get(product, 0) + quantity
    return max(totals, key=totals.get)
