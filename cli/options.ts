import { InvalidArgumentError } from "commander";
import { parseVarValue, type VarValue } from "../compiler/vars.js";

/** `--var name=value`, repeatable: accumulates into a record. */
export function parseVarOption(value: string, previous: Record<string, VarValue>): Record<string, VarValue> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  // read as a YAML scalar: --var full_refresh=false is the boolean false, as in bp_project.yml
  return { ...previous, [value.slice(0, eq).trim()]: parseVarValue(value.slice(eq + 1)) };
}
