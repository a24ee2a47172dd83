import { model, input } from "bauplan-ts";

export default model({
  inputs: {
    tx: input("transactions", { filter: "usd > 0; DROP TABLE transactions" }),
  },
  run({ tx }) {
    return [];
  },
});
