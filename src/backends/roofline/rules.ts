import { PRECISION_PRESETS, type PrecisionPreset } from '../../model/schema.js';
import type { Rule } from '../rules.js';
import type { RooflineHardware } from './schema.js';

/**
 * A board that lists a precision must have a peak for the type it multiplies
 * in. (Its KV-cache type is checked when a model asks for it: a preset's
 * default cache may be swapped, W8A8 with an fp16 cache, say.)
 */
export const ROOFLINE_RULES: ReadonlyArray<Rule<RooflineHardware>> = [
  {
    path: 'precisions',
    check: (hw) => {
      const missing = hw.precisions.filter((name) => hw.compute.peakTops[PRECISION_PRESETS[name as PrecisionPreset].activations] === undefined);
      return missing.length === 0 ? undefined : `${missing.join(', ')} multiply in a type with no compute.peakTops entry (${[...new Set(missing.map((name) => PRECISION_PRESETS[name as PrecisionPreset].activations))].join(', ')})`;
    },
  },
];
