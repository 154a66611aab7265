// Inventory model: the TypeScript sample for the grammar tests.
import fs from "fs";
import * as path from "path";
import { EventEmitter, once as onceEvent } from "events";
import type { Readable } from "stream";
import assert = require("assert");

export const MAX_ITEMS: number = 100;

/** Something that has a price. */
export interface Priced {
  /** The unit price. */
  readonly price: number;
  total(quantity: number): number;
}

export type ItemId = string | number;

export enum Category {
  Food,
  Tools = "tools",
}

/** One thing in the inventory. */
export class Item extends EventEmitter implements Priced {
  public static count = 0;
  private tags: string[] = [];

  constructor(public readonly name: string, public price: number) {
    super();
  }

  /** Price of `quantity` items. */
  total(quantity: number): number {
    return this.price * quantity;
  }

  get label(): string {
    return `${this.name}: ${this.price}`;
  }
}

export abstract class Store<T extends Priced> {
  protected abstract find(id: ItemId): T | undefined;
}

export namespace Inventory {
  export function create(name: string): Item {
    return new Item(name, 0);
  }
}

declare function log(message: string): void;

export async function load(file: string): Promise<Item[]> {
  const text = await fs.promises.readFile(path.join(process.cwd(), file), "utf8");
  return text.split("\n").map((line) => Inventory.create(line));
}

const describe = (item: Priced): string => String(item.total(1));
