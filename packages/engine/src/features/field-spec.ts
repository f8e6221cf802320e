/**
 * The field spec: which record fields are metrics, and which way each one may go
 * wrong. One string format is shared by the CLI, the worker, the server and the
 * widget's `metrics` attribute:
 *
 *     aht_avg:high,csat_avg:low,transfer_rate:high,volume,aht_max:high:log
 *
 * `high`: only values above normal are incidents (AHT, transfers).
 * `low`: only values below normal are incidents (CSAT).
 * `both` (the default when no direction is given): either way.
 *
 * An optional last token names a transform: `log` models the metric as ln(1 + value)
 * (values must be >= 0). For metrics whose noise grows with their level, such as the
 * longest handle time of an interval (`aht_max`: handle times are roughly lognormal, so
 * the max of a busy interval swings by hundreds of seconds while a stuck call is hours
 * out): on the raw scale that noise sets the calibrated bar for every other metric.
 * Results stay in the metric's own units (`expected` is transformed back).
 */
export type Direction = 'high' | 'low' | 'both';

export type Transform = 'log';

export interface FieldDef {
  readonly name: string;
  readonly direction: Direction;
  /** How the metric is modelled (absent: as it is). */
  readonly transform?: Transform;
}

export interface FieldSpec {
  readonly fields: readonly FieldDef[];
}

const DIRECTIONS: readonly Direction[] = ['high', 'low', 'both'];
const TRANSFORMS: readonly Transform[] = ['log'];

export class FieldSpecError extends Error {
  override name = 'FieldSpecError';
}

/** Parses `name[:direction][:transform],...`. Whitespace around names is ignored; duplicates are an error. */
export function parseFieldSpec(spec: string): FieldSpec {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new FieldSpecError(`field spec is empty: expected e.g. "aht_avg:high,csat_avg:low,volume"`);
  }
  const seen = new Set<string>();
  const fields: FieldDef[] = [];
  for (const rawPart of spec.split(',')) {
    let part = rawPart.trim();
    if (part === '') throw new FieldSpecError(`field spec "${spec}" has an empty entry`);
    // A trailing transform token comes off first; what is left is name[:direction] as before.
    let transform: Transform | undefined;
    const last = part.lastIndexOf(':');
    if (last !== -1 && TRANSFORMS.includes(part.slice(last + 1).trim().toLowerCase() as Transform)) {
      transform = part.slice(last + 1).trim().toLowerCase() as Transform;
      part = part.slice(0, last).trim();
    }
    const colon = part.lastIndexOf(':');
    const name = (colon === -1 ? part : part.slice(0, colon)).trim();
    const dirText = colon === -1 ? 'both' : part.slice(colon + 1).trim().toLowerCase();
    if (name === '') throw new FieldSpecError(`field spec "${spec}": entry "${part}" has no field name`);
    if (!DIRECTIONS.includes(dirText as Direction)) {
      // `name:direction:other`: the third token is a transform we do not know.
      const inner = name.lastIndexOf(':');
      if (transform === undefined && inner !== -1 && DIRECTIONS.includes(name.slice(inner + 1).trim().toLowerCase() as Direction)) {
        throw new FieldSpecError(`field spec "${spec}": field "${name.slice(0, inner).trim()}" has transform "${dirText}", expected one of ${TRANSFORMS.join(', ')}`);
      }
      throw new FieldSpecError(
        `field spec "${spec}": field "${name}" has direction "${dirText}", expected one of ${DIRECTIONS.join(', ')} (then optionally a transform: ${TRANSFORMS.join(', ')})`,
      );
    }
    if (seen.has(name)) throw new FieldSpecError(`field spec "${spec}": field "${name}" appears twice`);
    seen.add(name);
    fields.push(transform ? { name, direction: dirText as Direction, transform } : { name, direction: dirText as Direction });
  }
  return { fields };
}

/** The canonical text of a spec (directions always written, a transform when there is one), so equal specs hash equally. */
export function formatFieldSpec(spec: FieldSpec): string {
  return spec.fields.map((f) => `${f.name}:${f.direction}${f.transform ? `:${f.transform}` : ''}`).join(',');
}

/** A metric's value as the detectors model it (`transform`); NaN (missing) stays NaN. Negative values on a log scale are the caller's to reject. */
export function toModelScale(transform: Transform | undefined, v: number): number {
  return transform === 'log' ? Math.log1p(v) : v;
}

/** The inverse of toModelScale: a modelled value back in the metric's own units. */
export function fromModelScale(transform: Transform | undefined, v: number): number {
  return transform === 'log' ? Math.expm1(v) : v;
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
