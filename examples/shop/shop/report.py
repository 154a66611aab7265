"""Reports with a few mistakes for `qwen-lsp check` to find."""

from .cart import Cart


def summary(cart: Cart):
    lines = []
    for sku, quantity in cart.items.items(:
        lines.append(f"{sku}: {quantity}")
    return "\n".join(lines)
