/**
 * Parsing of record times to epoch milliseconds.
 *
 * Accepted:
 * - numbers and numeric text: epoch time. Values below 1e11 are taken as
 *   seconds (1e11 s is the year 5138, 1e11 ms is March 1973: no CX data sits
 *   before 1973, so the two ranges do not collide), larger ones as milliseconds.
 * - ISO 8601 / RFC 3339 text: `2026-01-05`, `2026-01-05T08:15`, `2026-01-05T08:15:30`,
 *   `2026-01-05 08:15:30.250`, with an optional zone `Z`, `+01:00`, `+0100` or `+01`.
 *   Text WITHOUT a zone is read as UTC, not local time, so that the same file
 *   gives the same times on every machine (Date.parse would use the local zone).
 * - `Date` objects.
 * Anything else is a {@link TimeParseError} that quotes the value.
 */

export class TimeParseError extends Error {
  override name = 'TimeParseError';
  readonly value: unknown;
  constructor(value: unknown, why: string) {
    super(`cannot read time ${JSON.stringify(typeof value === 'string' ? value : String(value))}: ${why}`);
    this.value = value;
  }
}

/** Epoch values below this are seconds, above it milliseconds. */
export const EPOCH_SECONDS_LIMIT = 1e11;

export function parseTime(value: unknown): number {
  if (typeof value === 'number') return fromEpoch(value, value);
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw new TimeParseError(value, 'invalid Date');
    return t;
  }
  if (typeof value !== 'string') throw new TimeParseError(value, `expected ISO 8601 text or epoch number, got ${typeof value}`);
  const s = value.trim();
  if (s === '') throw new TimeParseError(value, 'empty');
  const first = s.charCodeAt(0);
  // Epoch as text: digits only (optional sign / decimals). ISO dates always have '-' after 4 digits.
  if (s.length < 4 || s.charCodeAt(4) !== 45 /* - */) {
    if ((first >= 48 && first <= 57) || first === 45 || first === 43) {
      const num = Number(s);
      if (Number.isFinite(num)) return fromEpoch(num, value);
    }
    throw new TimeParseError(value, 'expected ISO 8601 (e.g. 2026-01-05T08:15:00Z) or epoch seconds/milliseconds');
  }
  return parseIso(s, value);
}

function fromEpoch(num: number, original: unknown): number {
  if (!Number.isFinite(num)) throw new TimeParseError(original, 'not a finite number');
  return Math.abs(num) < EPOCH_SECONDS_LIMIT ? Math.round(num * 1000) : num;
}

function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let k = 0; k < count; k++) {
    const c = s.charCodeAt(at + k) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

function parseIso(s: string, original: string): number {
  const bad = (why: string): never => {
    throw new TimeParseError(original, why);
  };
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = s.charCodeAt(7) === 45 ? digits(s, 8, 2) : -1;
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) bad('expected a date YYYY-MM-DD');
  let pos = 10;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  let offsetMin = 0;
  if (pos < s.length) {
    const sep = s[pos];
    if (sep !== 'T' && sep !== 't' && sep !== ' ') bad(`unexpected ${JSON.stringify(sep)} after the date`);
    pos++;
    hour = digits(s, pos, 2);
    if (hour < 0 || hour > 24 || s[pos + 2] !== ':') bad('expected a time hh:mm');
    minute = digits(s, pos + 3, 2);
    if (minute < 0 || minute > 59) bad('minutes out of range');
    pos += 5;
    if (s[pos] === ':') {
      second = digits(s, pos + 1, 2);
      if (second < 0 || second > 60) bad('seconds out of range');
      pos += 3;
      if (s[pos] === '.' || s[pos] === ',') {
        pos++;
        let frac = 0;
        let scale = 1;
        while (pos < s.length) {
          const c = s.charCodeAt(pos) - 48;
          if (!(c >= 0 && c <= 9)) break;
          if (scale < 1e9) {
            frac = frac * 10 + c;
            scale *= 10;
          }
          pos++;
        }
        if (scale === 1) bad('empty fraction of a second');
        ms = Math.round((frac / scale) * 1000);
      }
    }
    if (pos < s.length) {
      const z = s[pos];
      if (z === 'Z' || z === 'z') {
        pos++;
      } else if (z === '+' || z === '-') {
        const sign = z === '+' ? 1 : -1;
        const oh = digits(s, pos + 1, 2);
        let om = 0;
        let len = 3;
        if (s[pos + 3] === ':') {
          om = digits(s, pos + 4, 2);
          len = 6;
        } else if (pos + 3 < s.length) {
          om = digits(s, pos + 3, 2);
          len = 5;
        }
        if (oh < 0 || oh > 23 || om < 0 || om > 59) bad('bad zone offset');
        offsetMin = sign * (oh * 60 + om);
        pos += len;
      }
      if (pos !== s.length) bad(`unexpected text ${JSON.stringify(s.slice(pos))}`);
    }
  }
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60000;
  // Date.UTC rolls over (Feb 30 -> Mar 2): reject dates that do not exist.
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) bad('no such date');
  return t;
}

/** ISO 8601 UTC text without milliseconds when they are zero: `2026-01-05T08:15:00Z`. */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso;
}
