import { model, input } from "bauplan-ts";

export default model({
  inputs: { rows: input("revenue") },
  columns: {
    country: { type: "VARCHAR", description: "as in revenue" },
    score: { type: "DOUBLE", descripton: "a typo of the key: BP0204" },
    rank: { description: "no type: BP0204" },
    note: { type: "VARCHAR", description: 42 },
    label: 7,
  },
  run({ rows }) {
    return rows;
  },
});
