import { InvalidArgumentError } from "commander";
import { parseMemoryMb } from "../compiler/ts/memory-size.js";
import { parseVarValue, type VarValue } from "../compiler/vars.js";

/** `--var name=value`, repeatable: accumulates into a record. */
export function parseVarOption(value: string, previous: Record<string, VarValue>): Record<string, VarValue> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  // read as a YAML scalar: --var full_refresh=false is the boolean false, as in bp_project.yml
  return { ...previous, [value.slice(0, eq).trim()]: parseVarValue(value.slice(eq + 1)) };
}

/** `--memory MODEL=SIZE`, repeatable: a TS model's heap limit for one run, in MiB (sizes as a model's `memory` reads them). */
export function parseMemoryOption(value: string, previous: Record<string, number>): Record<string, number> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`expected MODEL=SIZE such as etl=8GB, got "${value}"`);
  const mb = parseMemoryMb(value.slice(eq + 1));
  if (mb === null) throw new InvalidArgumentError(`"${value.slice(eq + 1)}" is not a size: use a number with MB, MiB, GB or GiB, e.g. 512MB or 8GB`);
  return { ...previous, [value.slice(0, eq).trim()]: mb };
}
