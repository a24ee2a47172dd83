import { model, input } from "bauplan-ts";

export default model({
  inputs: {
    t: input("transactions", { columns: ["id", "usd"], ref: "main@yesterday" }),
  },
  run({ t }) {
    return t;
  },
});
