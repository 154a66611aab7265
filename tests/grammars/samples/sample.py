# ruff: noqa
"""A small inventory module: the Python sample for the grammar tests."""

import os
import os.path as osp
from collections import OrderedDict, defaultdict as dd
from . import helpers
from .models import *

MAX_ITEMS = 100
_registry: dict[str, "Item"] = {}


class Item:
    """One thing in the inventory."""

    count = 0

    def __init__(self, name: str, price: float) -> None:
        self.name = name
        self.price = price

    def total(self, quantity: int) -> float:
        """Price of `quantity` items."""
        return self.price * quantity


class Shelf(Item, helpers.Printable):
    def describe(self) -> str:
        return helpers.format_item(self.name)


def load(path: str) -> list[Item]:
    """Read items from `path`."""
    items = []
    with open(osp.join(os.getcwd(), path)) as fh:
        for line in fh:
            name, price = line.split(",")
            items.append(Item(name, float(price)))
    return items


async def main() -> None:
    for item in load("items.csv"):
        print(item.total(2))
