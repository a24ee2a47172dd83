import { model, input } from "bauplan-ts";
import { tableFromArrays } from "apache-arrow";

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
    const ids = data.getChild("id")!.toArray() as BigInt64Array;
    const usd = data.getChild("usd")!.toArray() as Float64Array;
    const country = data.getChild("country")!;
    const keep: number[] = [];
    for (let i = 0; i < data.numRows; i++) if (EUROPE.has(country.get(i) as string)) keep.push(i);
    console.log(`kept ${keep.length} of ${data.numRows} January transactions`);
    return tableFromArrays({
      id: BigInt64Array.from(keep, (i) => ids[i]!),
      usd: Float64Array.from(keep, (i) => usd[i]!),
      country: keep.map((i) => country.get(i) as string),
    });
  },
});
