/** `cx-anomaly generate`: writes the synthetic CX data set to a folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCxData, cxDataFiles } from '../../generate/cx-data.ts';
import { intOpt, parseCommandArgs, required, str } from '../args.ts';
import { CliError } from '../errors.ts';
import { writeOut } from '../io.ts';

export const GENERATE_HELP = `Usage: cx-anomaly generate --out DIR [--days 28] [--seed 1] [--start 2026-01-05]

Writes synthetic contact-centre data with labelled incidents to DIR:
  interactions.csv        one row per interaction (timestamp, queue, channel, agent, AHT, transfers, CSAT ~25% answered)
  intervals.csv           15-minute aggregates per queue (volume, aht_avg, transfer_rate, csat_avg, csat_responses, aht_max)
  interval_labels.csv     label 0/1 per interval and queue, with incident id and kind
  interaction_labels.csv  label 0/1 per interaction
  incidents.json          each incident: id, kind, queue, start, end, description
Incidents (none in the first 2 days): outage, csat_drop, transfer_surge, aht_spike,
volume_collapse, level_shift, single_interaction. Same seed, same files.

Options:
  --out DIR      folder to write (created if needed)
  --days N       days of data (default 28: about 145k interactions, 10.8k intervals)
  --seed N       random seed (default 1)
  --start DATE   first midnight, UTC (default 2026-01-05, a Monday)
  -h, --help     this help`;

export async function runGenerate(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('generate', argv, {
    out: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string' },
  });
  if (values['help']) {
    writeOut(GENERATE_HELP + '\n');
    return 0;
  }
  const out = required(values, 'out', 'generate');
  const days = intOpt(values, 'days', 1, 3660) ?? 28;
  const seed = intOpt(values, 'seed', 0, 0xffffffff) ?? 1;
  const start = str(values, 'start');
  const t0 = performance.now();
  let data;
  try {
    data = generateCxData({ days, seed, ...(start !== undefined ? { start } : {}) });
  } catch (e) {
    if ((e as Error).name === 'TimeParseError') throw new CliError(`--start: ${(e as Error).message}`);
    throw e;
  }
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create folder ${out}: ${(e as Error).message}`);
  }
  for (const [name, text] of Object.entries(cxDataFiles(data))) writeFileSync(join(out, name), text);
  const secs = ((performance.now() - t0) / 1000).toFixed(2);
  writeOut(
    `wrote ${out}: ${data.interactions.rows.length} interactions, ${data.intervals.rows.length} intervals, ${data.incidents.length} incidents (${days} days, seed ${seed}, ${secs} s)\n`,
  );
  return 0;
}
