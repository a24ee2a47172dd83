import { model, input } from "bauplan-ts";

export default model({
  inputs: { tx: input("transactions", { columns: ["id", "usd"] }) },
  columns: { id: "BIGINT", score: "DOUBLE" },
  run({ tx }) {
    return [];
  },
});
