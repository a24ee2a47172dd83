import { model, input } from "bauplan-ts";

export const scored = model({
  inputs: { tx: input("transactions") },
  run({ tx }) {
    return [];
  },
});
