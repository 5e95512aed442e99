export { peakFma, peakCopy } from './peak.js';
