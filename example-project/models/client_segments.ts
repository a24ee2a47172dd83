import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";

// A TS model downstream of a SQL model: buckets clients by spend.
export default model({
  description: "Clients bucketed by electronics spend",
  inputs: {
    stats: input("client_stats", { columns: ["client_id", "orders", "total_usd"] }),
  },
  columns: {
    client_id: "BIGINT",
    segment: { type: "VARCHAR", description: "gold (>= 2000 USD), silver (>= 500 USD) or bronze" },
    total_usd: "DOUBLE",
    orders: "BIGINT",
  },
  materialize: true,
  memory: "1GB",
  run({ stats }) {
    const ids = stats.getChild("client_id")!.toArray() as BigInt64Array;
    const orders = stats.getChild("orders")!.toArray() as BigInt64Array;
    const total = stats.getChild("total_usd")!.toArray() as Float64Array;
    const segment = Array.from(total, (usd) => (usd >= 2000 ? "gold" : usd >= 500 ? "silver" : "bronze"));
    console.log(`segmented ${stats.numRows} clients`);
    return tableFromArrays({ client_id: ids, segment, total_usd: total, orders });
  },
});
