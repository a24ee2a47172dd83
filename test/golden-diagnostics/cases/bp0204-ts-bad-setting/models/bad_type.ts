import { model } from "bauplan-ts";

export default model({
  inputs: {},
  columns: { id: "BIGINT", amount: "BIGNUMX" },
  run() {
    return [];
  },
});
