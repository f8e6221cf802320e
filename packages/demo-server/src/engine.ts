/**
 * Everything the server takes from the engine, in one place (the server never reaches
 * into engine internals: only the package's public API).
 */
export {
  AnomalyDetector,
  generateCxData,
  parseCsv,
  CsvError,
  parseTime,
  formatTime,
  parseFieldSpec,
  formatFieldSpec,
} from '@cx-anomaly/engine';
export type { CxRecord, DetectorConfig, DetectorResult, Result } from '@cx-anomaly/engine';
