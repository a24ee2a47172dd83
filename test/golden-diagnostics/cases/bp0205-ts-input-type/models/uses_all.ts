import { model, input } from "bauplan-ts";

// Reads every column of orders, including a LIST and a STRUCT, which cannot cross to TS yet.
export default model({
  inputs: { o: input("orders") },
  run({ o }) {
    return o;
  },
});
