// Inventory helpers: the JavaScript sample for the grammar tests.
import fs from "fs";
import * as path from "node:path";
import { EventEmitter, once as onceEvent } from "events";
import "./polyfills.js";
export { formatItem } from "./format.js";
const { promisify } = require("util");
const lodash = require("lodash");

export const MAX_ITEMS = 100;
let registry = new Map();

/**
 * One thing in the inventory.
 */
export class Item extends EventEmitter {
  static count = 0;
  #secret = 1;

  constructor(name, price) {
    super();
    this.name = name;
    this.price = price;
  }

  /** Price of `quantity` items. */
  total(quantity) {
    return this.price * quantity;
  }

  get label() {
    return `${this.name}: ${this.price}`;
  }
}

// Reads items from a CSV file.
export async function load(file) {
  const text = await promisify(fs.readFile)(path.join(process.cwd(), file), "utf8");
  return text.split("\n").map((line) => {
    const [name, price] = line.split(",");
    return new Item(name, Number(price));
  });
}

function* ids() {
  let i = 0;
  while (true) yield i++;
}

const describe = (item) => lodash.capitalize(item.label);

module.exports.summary = function (items) {
  return items.map(describe).join("\n");
};

export default class Shelf {
  add(item) {
    registry.set(item.name, item);
  }
}
