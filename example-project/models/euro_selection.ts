import { model, input, takeRows } from "bauplan-ts";

const EUROPE = new Set(["DE", "FR", "IT", "ES", "NL", "PT", "IE", "AT", "BE", "PL", "SE"]);

export default model({
  description: "European transactions of January 2023",
  inputs: {
    data: input("transactions", {
      columns: ["id", "usd", "country"],
      filter: "eventTime BETWEEN '2023-01-01' AND '2023-02-01'",
    }),
  },
  columns: { id: "BIGINT", usd: "DOUBLE", country: "VARCHAR" },
  materialize: false,
  memory: "2GB",
  run({ data }) {
    const country = data.getChild("country")!;
    // positions of the rows to keep, then one buffer-to-buffer copy per column (takeRows): no JS
    // string or object is built per output row
    const keep = new Uint32Array(data.numRows);
    let kept = 0;
    let i = 0;
    for (const value of country) {
      if (EUROPE.has(value as string)) keep[kept++] = i;
      i++;
    }
    console.log(`kept ${kept} of ${data.numRows} January transactions`);
    return takeRows(data, keep.subarray(0, kept));
  },
});
