import { model, input } from "bauplan-ts";

export default model({
  inputs: {
    tx: input("transactions", { columns: ["id", "ammount"], filter: "usd > 0 ORDER BY id" }),
  },
  memory: "a lot",
  columns: { id: "BIGINT", score: "DOUBLE" },
  run({ tx }) {
    return [];
  },
});
