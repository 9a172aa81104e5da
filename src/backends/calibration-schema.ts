import { z } from 'zod';

/*
 * What calibrated a board: for each fitted part of it (latency, power), the
 * published measurements it was fitted to, the command that fits it, and
 * its error on them, so that a board's trustworthiness is in its file and
 * in `boards`. Common to every kind; `validate` reports every row's error.
 */

const fraction = z.number().nonnegative();

export const CalibrationSchema = z.array(
  z.strictObject({
    /** What the fit sets: `power`, `latency`, `dequantization`… */
    what: z.string().min(1),
    /** The measurements, named so that a reader finds them (file, rows, source). */
    measurements: z.string().min(1),
    /** The command that fits it again. */
    command: z.string().min(1),
    /** Measurements fitted on. */
    points: z.number().int().positive(),
    /** Median and worst absolute relative error on them after the fit. */
    medianAbsError: fraction,
    worstAbsError: fraction,
  }),
);

export type Calibration = z.infer<typeof CalibrationSchema>;
