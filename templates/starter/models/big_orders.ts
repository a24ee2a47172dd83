import { model, input } from "bauplan-ts";

// A TS model: runs in its own process and receives its input as an apache-arrow Table.
export default model({
  description: "Orders of at least 20 USD, with a size label",
  inputs: {
    orders: input("orders", { columns: ["order_id", "customer", "amount", "ordered_at"], filter: "amount >= 20" }),
  },
  columns: { order_id: "BIGINT", customer: "VARCHAR", amount: "DOUBLE", size: "VARCHAR" },
  run({ orders }) {
    const rows = [];
    for (const o of orders) {
      rows.push({ order_id: o.order_id, customer: o.customer, amount: o.amount, size: o.amount >= 100 ? "large" : "medium" });
    }
    console.log(`labelled ${rows.length} orders`);
    return rows;
  },
});
