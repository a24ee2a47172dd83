import { model, input } from "bauplan-ts";

export default model({
  inputs: { e: input("b_enriched") },
  columns: { id: "BIGINT", total: "DOUBLE" },
  run({ e }) {
    return [];
  },
});
