import { model, input } from "bauplan-ts";

export default model({
  inputs: { tx: input("transactions") },
  run({ tx }) {
    return [];
  },
});
