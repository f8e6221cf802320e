/**
 * The field spec: which record fields are metrics, and which way each one may go
 * wrong. One string format is shared by the CLI, the worker, the server and the
 * widget's `metrics` attribute:
 *
 *     aht_avg:high,csat_avg:low,transfer_rate:high,volume
 *
 * `high`: only values above normal are incidents (AHT, transfers).
 * `low`: only values below normal are incidents (CSAT).
 * `both` (the default when no direction is given): either way.
 */
export type Direction = 'high' | 'low' | 'both';

export interface FieldDef {
  readonly name: string;
  readonly direction: Direction;
}

export interface FieldSpec {
  readonly fields: readonly FieldDef[];
}

const DIRECTIONS: readonly Direction[] = ['high', 'low', 'both'];

export class FieldSpecError extends Error {
  override name = 'FieldSpecError';
}

/** Parses `name[:direction],...`. Whitespace around names is ignored; duplicates are an error. */
export function parseFieldSpec(spec: string): FieldSpec {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new FieldSpecError(`field spec is empty: expected e.g. "aht_avg:high,csat_avg:low,volume"`);
  }
  const seen = new Set<string>();
  const fields: FieldDef[] = [];
  for (const rawPart of spec.split(',')) {
    const part = rawPart.trim();
    if (part === '') throw new FieldSpecError(`field spec "${spec}" has an empty entry`);
    const colon = part.lastIndexOf(':');
    const name = (colon === -1 ? part : part.slice(0, colon)).trim();
    const dirText = colon === -1 ? 'both' : part.slice(colon + 1).trim().toLowerCase();
    if (name === '') throw new FieldSpecError(`field spec "${spec}": entry "${part}" has no field name`);
    if (!DIRECTIONS.includes(dirText as Direction)) {
      throw new FieldSpecError(
        `field spec "${spec}": field "${name}" has direction "${dirText}", expected one of ${DIRECTIONS.join(', ')}`,
      );
    }
    if (seen.has(name)) throw new FieldSpecError(`field spec "${spec}": field "${name}" appears twice`);
    seen.add(name);
    fields.push({ name, direction: dirText as Direction });
  }
  return { fields };
}

/** The canonical text of a spec (directions always written), so equal specs hash equally. */
export function formatFieldSpec(spec: FieldSpec): string {
  return spec.fields.map((f) => `${f.name}:${f.direction}`).join(',');
}

/** Checks that every field of the spec is a column of the data; the error lists the columns present. */
export function checkFieldsPresent(spec: FieldSpec, columns: readonly string[], source = 'input'): void {
  const present = new Set(columns);
  const missing = spec.fields.filter((f) => !present.has(f.name)).map((f) => f.name);
  if (missing.length > 0) {
    throw new FieldSpecError(
      `field${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} not found in ${source}; columns present: ${columns.join(', ')}`,
    );
  }
}
