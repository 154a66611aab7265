"""A small shop: prices, discounts and carts (the qwen-lsp example workspace)."""
