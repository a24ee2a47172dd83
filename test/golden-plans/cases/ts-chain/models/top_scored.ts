import { model, input } from "bauplan-ts";
export default model({
  inputs: {
    all: input("scored"),
    high: input("scored", { columns: ["id"], filter: "score > 40" }),
  },
  columns: { n_all: "BIGINT", n_high: "BIGINT" },
  materialize: true,
  run({ all, high }) {
    return [{ n_all: BigInt(all.numRows), n_high: BigInt(high.numRows) }];
  },
});
