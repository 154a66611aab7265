// Inventory model: the Dart sample for the grammar tests.
import 'dart:math';
import 'dart:convert' show jsonEncode, jsonDecode;
import 'package:inventory/pricing.dart' as pricing;
import 'shelf.dart' hide Shelf;
export 'src/item.dart';
part 'inventory.g.dart';

const maxItems = 100;
final registry = <String, Item>{};

/// Anything with a price.
abstract class Priced {
  double total(int quantity);
}

enum Category { food, tool }

mixin Describable {
  String describe() => toString();
}

/// One thing in the inventory.
class Item extends Product with Describable implements Priced {
  final String name;
  double price;
  static int count = 0;

  Item(this.name, this.price);

  Item.free(String name) : this(name, 0);

  /// Price of [quantity] items.
  @override
  double total(int quantity) => price * max(quantity, 0);

  String get label => '$name: $price';

  factory Item.parse(String line) {
    final parts = line.split(',');
    return Item(parts[0], double.parse(parts[1]));
  }
}

extension PriceFormat on Item {
  String formatted() => pricing.format(price);
}

typedef Registry = Map<String, Item>;

void main() {
  final apple = Item.parse('apple,0.5');
  print(jsonEncode({'label': apple.label, 'total': apple.total(3)}));
}
