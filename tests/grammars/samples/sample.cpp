// Inventory model: the C++ sample for the grammar tests.
#include <map>
#include <string>
#include "shelf.hpp"

using namespace std::literals;
using std::string;

namespace inventory {

constexpr int kMaxItems = 100;

enum class Category { Food, Tool };

/// Anything with a price.
class Priced {
public:
    virtual ~Priced() = default;
    virtual double total(int quantity) const = 0;
};

/// One thing in the inventory.
class Item : public Priced {
public:
    Item(string name, double price) : name_(std::move(name)), price_(price) {}

    double total(int quantity) const override { return price_ * quantity; }

    const string& name() const;

private:
    string name_;
    double price_;
};

struct Point {
    int x, y;
};

using Registry = std::map<string, Item>;

template <typename T>
T clamp_total(const T& value, const T& limit) {
    return value < limit ? value : limit;
}

}  // namespace inventory

// Returns the item's name.
const std::string& inventory::Item::name() const {
    return name_;
}

int main() {
    inventory::Item apple("apple", 0.5);
    auto shelf = new inventory::Registry();
    shelf->emplace(apple.name(), apple);
    return static_cast<int>(inventory::clamp_total(apple.total(3), 10.0));
}
