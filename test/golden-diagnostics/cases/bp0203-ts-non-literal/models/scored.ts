import { model, input } from "bauplan-ts";

const MEMORY = "2GB";

export default model({
  inputs: { tx: input("transactions", { columns: ["id", "usd"] }) },
  memory: MEMORY,
  run({ tx }) {
    return [];
  },
});
