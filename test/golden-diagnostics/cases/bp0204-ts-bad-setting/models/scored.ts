import { model, input } from "bauplan-ts";

export default model({
  inputs: { tx: input("transactions", { columns: ["id", "usd"] }) },
  memory: "lots",
  run({ tx }) {
    return [];
  },
});
