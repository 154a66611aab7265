// Inventory model: the C# sample for the grammar tests.
using System;
using System.Collections.Generic;
using static System.Math;
using Json = System.Text.Json.JsonSerializer;

namespace Example.Inventory
{
    /// <summary>Anything with a price.</summary>
    public interface IPriced
    {
        double Total(int quantity);
    }

    public enum Category { Food, Tool }

    /// <summary>One thing in the inventory.</summary>
    public class Item : Product, IPriced
    {
        public const int MaxItems = 100;
        private readonly string name;

        public Item(string name, double price)
        {
            this.name = name;
            Price = price;
        }

        public double Price { get; set; }

        public event EventHandler? Changed;

        /// <summary>Price of <paramref name="quantity"/> items.</summary>
        public double Total(int quantity) => Price * Max(quantity, 0);

        public override string ToString() => Json.Serialize(this);
    }

    public struct Point
    {
        public int X, Y;
    }

    public record Pair(string First, string Second);

    public delegate void Notify(Item item);

    public static class Shelf
    {
        public static List<Item> Load(string path)
        {
            var items = new List<Item>();
            items.Add(new Item(path, 0.0));
            Console.WriteLine(items.Count);
            return items;
        }
    }
}
