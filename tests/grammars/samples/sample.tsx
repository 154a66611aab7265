// A product list component: the TSX sample for the grammar tests.
import React, { useState } from "react";
import type { Item } from "./model";
import * as styles from "./list.module.css";

export interface ListProps {
  items: Item[];
  onSelect?: (item: Item) => void;
}

type Sort = "name" | "price";

/** Renders one row of the list. */
function Row({ item }: { item: Item }): JSX.Element {
  return <li className={styles.row}>{item.name}</li>;
}

/** The whole list, sortable by name or price. */
export default function ItemList(props: ListProps) {
  const [sort, setSort] = useState<Sort>("name");
  const sorted = [...props.items].sort((a, b) => compare(a, b, sort));
  return (
    <ul>
      {sorted.map((item) => (
        <Row key={item.name} item={item} />
      ))}
      <Footer.Total count={sorted.length} />
    </ul>
  );
}

export const compare = (a: Item, b: Item, sort: Sort): number =>
  sort === "name" ? a.name.localeCompare(b.name) : a.price - b.price;

export class Footer extends React.Component<{ count: number }> {
  static Total = ({ count }: { count: number }) => <span>{count}</span>;

  render() {
    return <footer>{this.props.count} items</footer>;
  }
}
