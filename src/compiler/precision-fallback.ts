import { PrecisionSchema, type Model, type Precision } from '../model/index.js';
import type { CompileTarget } from './target.js';

/*
 * The one rule, shared by the CLI, sweeps and the library, for the precision
 * a model runs at on a board when nobody asked for one.
 */

/** The precision a model runs at on a board, and why when it is not the model's own. */
export interface PrecisionOnBoard {
  readonly precision: Precision;
  /** Undefined when the model runs at its own precision. */
  readonly reason: 'checkpoint quantised' | 'board refuses the model’s precision' | undefined;
}

/**
 * A checkpoint's precision (a Hugging Face config's `torch_dtype`) on a
 * board whose flow quantises every model (FlightLLM's boards, the DPU)
 * becomes the board's default; any model whose precision the board refuses
 * runs at the board's default where it names one (a GPU given FlightLLM's
 * int8 mapping runs FP16); otherwise the model's own precision stands, and
 * compiling refuses it where the board cannot run it.
 */
export function precisionOnBoard(model: Model, target: CompileTarget): PrecisionOnBoard {
  const own = model.mapping.precision;
  const preset = target.defaultPrecision;
  if (preset === undefined) return { precision: own, reason: undefined };
  if (model.checkpoint !== undefined && target.quantizesCheckpoints) return changed(own, preset, 'checkpoint quantised');
  if (target.refusePrecision(own) === undefined) return { precision: own, reason: undefined };
  return changed(own, preset, 'board refuses the model’s precision');
}

function changed(own: Precision, preset: string, reason: NonNullable<PrecisionOnBoard['reason']>): PrecisionOnBoard {
  const precision = PrecisionSchema.parse(preset);
  // The same preset as the model's own is no change (FlightLLM's preset on a FlightLLM board).
  return JSON.stringify(precision) === JSON.stringify(own) ? { precision: own, reason: undefined } : { precision, reason };
}
