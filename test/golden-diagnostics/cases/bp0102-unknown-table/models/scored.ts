import { model, input } from "bauplan-ts";

export default model({
  inputs: { tx: input("transaction", { columns: ["id"] }) },
  run({ tx }) {
    return [];
  },
});
