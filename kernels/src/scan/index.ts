// Public exports of the scan kernel family (re-exported by src/index.ts): recurrences run as one dispatch.
export {
  observeScan,
  observeScanBackward,
  observeScanSupported,
  type ObserveScanGrads,
  type ObserveScanInputs,
  type ObserveScanOptions,
  type ObserveScanSaved,
} from './observe-scan.js';
export type { ScanAct } from './scan-kernel.js';
