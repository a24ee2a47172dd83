import { model, input } from "bauplan-ts";
// No declared columns: the output schema is known only at run time.
export default model({
  inputs: { items: input("items", { columns: ["id", "label"] }) },
  run({ items }) {
    return items;
  },
});
