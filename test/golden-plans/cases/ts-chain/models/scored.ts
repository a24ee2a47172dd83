import { model, input } from "bauplan-ts";
export default model({
  inputs: { e: input("events", { columns: ["id", "value"], filter: "kind < 5" }) },
  columns: { id: "BIGINT", score: "DOUBLE" },
  memory: "512MB",
  run({ e }) {
    return Array.from({ length: e.numRows }, (_, i) => ({ id: e.getChild("id")!.get(i), score: (e.getChild("value")!.get(i) as number) * 2 }));
  },
});
