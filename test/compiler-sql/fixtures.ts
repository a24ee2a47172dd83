import type { ColumnSchema } from "../../compiler/plan-types.js";
import type { ScratchCatalog } from "../../compiler/sql/index.js";

const cols = (spec: [string, string][]): ColumnSchema[] => spec.map(([name, type]) => ({ name, type }));

export const ORDERS = cols([
  ["id", "BIGINT"],
  ["customer_id", "BIGINT"],
  ["amount", "DECIMAL(18,3)"],
  ["status", "VARCHAR"],
  ["ts", "TIMESTAMP"],
  ["tags", "VARCHAR[]"],
  ["info", "STRUCT(country VARCHAR, zip VARCHAR)"],
]);
export const CUSTOMERS = cols([
  ["id", "BIGINT"],
  ["name", "VARCHAR"],
  ["country", "VARCHAR"],
  ["Signup Date", "DATE"],
]);
/** A model's output: `x` is also a lambda parameter name in the tests. */
export const EVENTS = cols([
  ["k", "BIGINT"],
  ["xs", "INTEGER[]"],
  ["payload", "STRUCT(a INTEGER, b VARCHAR)"],
  ["x", "INTEGER"],
]);

export async function addFixtureTables(scratch: ScratchCatalog): Promise<void> {
  await scratch.addTable("orders", ORDERS);
  await scratch.addTable("customers", CUSTOMERS);
  await scratch.addTable("events", EVENTS);
}
