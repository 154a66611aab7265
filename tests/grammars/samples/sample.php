<?php
// Inventory model: the PHP sample for the grammar tests.
declare(strict_types=1);

namespace App\Inventory;

use App\Models\Product;
use App\Contracts\{Priced, Describable as Labelled};
use function App\Support\format_price;
use const App\Support\CURRENCY;

require_once __DIR__ . '/helpers.php';

const MAX_ITEMS = 100;

/**
 * Anything with a price.
 */
interface HasTotal
{
    public function total(int $quantity): float;
}

trait Loggable
{
    protected function log(string $message): void
    {
        error_log($message);
    }
}

enum Category: string
{
    case Food = 'food';
    case Tool = 'tool';
}

/** One thing in the inventory. */
final class Item extends Product implements HasTotal, Priced
{
    use Loggable;

    public const DEFAULT_PRICE = 0.0;
    private string $name;

    public function __construct(string $name, private float $price = self::DEFAULT_PRICE)
    {
        $this->name = $name;
    }

    public function total(int $quantity): float
    {
        $this->log("total for {$this->name}");
        return $this->price * max($quantity, 0);
    }

    public static function parse(string $line): self
    {
        [$name, $price] = explode(',', $line);
        return new Item($name, (float) $price);
    }
}

function describe(Item $item): string
{
    return format_price($item->total(1)) . CURRENCY;
}
