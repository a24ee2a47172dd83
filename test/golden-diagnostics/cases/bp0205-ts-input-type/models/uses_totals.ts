import { model, input } from "bauplan-ts";

// SUM(BIGINT) is HUGEINT: it crosses to TS as BIGINT, so this compiles.
export default model({
  inputs: { t: input("totals", { columns: ["bucket", "total"] }) },
  run({ t }) {
    return t;
  },
});
