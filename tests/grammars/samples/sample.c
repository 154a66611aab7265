/* Inventory of items: the C sample for the grammar tests. */
#include <stdio.h>
#include <stdlib.h>
#include "inventory.h"

#define MAX_ITEMS 100
#define PRICE(item, n) ((item)->price * (n))

/* Kinds of things on a shelf. */
enum category {
    CATEGORY_FOOD,
    CATEGORY_TOOL,
};

/** One thing in the inventory. */
struct item {
    const char *name;
    double price;
    enum category category;
};

typedef struct item item_t;

typedef struct {
    struct item *items;
    int count;
} shelf_t;

typedef int (*compare_fn)(const item_t *, const item_t *);

static int item_count = 0;

double item_total(const item_t *item, int quantity);

/* Price of `quantity` items. */
double item_total(const item_t *item, int quantity)
{
    return PRICE(item, quantity);
}

static int compare_price(const item_t *a, const item_t *b)
{
    return (a->price > b->price) - (a->price < b->price);
}

item_t *item_new(const char *name, double price)
{
    item_t *item = malloc(sizeof *item);
    if (item == NULL) {
        return NULL;
    }
    item->name = name;
    item->price = price;
    item_count++;
    return item;
}

int main(void)
{
    item_t *apple = item_new("apple", 0.5);
    printf("%s: %.2f\n", apple->name, item_total(apple, 3));
    qsort(apple, 1, sizeof *apple, (compare_fn)compare_price);
    free(apple);
    return 0;
}
