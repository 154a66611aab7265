package com.example.inventory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.*;
import static java.lang.Math.max;

/**
 * One thing in the inventory.
 */
public class Item extends Product implements Comparable<Item>, Priced {
    public static final int MAX_ITEMS = 100;
    private final String name;
    private double price;

    /** Creates an item. */
    public Item(String name, double price) {
        this.name = name;
        this.price = price;
    }

    /** Price of {@code quantity} items. */
    @Override
    public double total(int quantity) {
        return price * max(quantity, 0);
    }

    @Override
    public int compareTo(Item other) {
        return Double.compare(price, other.price);
    }

    static class Builder {
        private String name = "";

        Builder name(String name) {
            this.name = name;
            return this;
        }

        Item build() {
            return new Item(name, 0.0);
        }
    }
}

interface Priced {
    double total(int quantity);
}

enum Category {
    FOOD,
    TOOLS;

    String label() {
        return name().toLowerCase();
    }
}

record Pair<A, B>(A first, B second) {}

@interface Audited {
    String value() default "";
}
