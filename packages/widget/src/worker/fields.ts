import { parseFieldSpec, type FieldSpec } from '@cx-anomaly/engine';

/** Record fields a detector config reads: its metrics, then the time and segment fields. */
export function fieldsOf(config: { readonly fields: string | FieldSpec; readonly timeField?: string | undefined; readonly segmentField?: string | undefined }): string[] {
  const spec = typeof config.fields === 'string' ? parseFieldSpec(config.fields) : config.fields;
  const out = spec.fields.map((f) => f.name);
  if (config.timeField !== undefined && !out.includes(config.timeField)) out.push(config.timeField);
  if (config.segmentField !== undefined && !out.includes(config.segmentField)) out.push(config.segmentField);
  return out;
}
