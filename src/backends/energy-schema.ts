import { z } from 'zod';
import { DTYPES } from '../dtype.js';

/*
 * What a board consumes and costs, common to every kind: idle power, and
 * the energy beyond it either from the work a step does (bytes moved
 * through device memory, multiply-accumulates by the type they run in,
 * bits over PCIe) or, where only a maximum power is known, in proportion to
 * how close the step runs to the board's peak (its bound over its time).
 * A host that runs operators has its own idle and busy power. An FPGA's
 * dynamic power can follow its design instead: its resources, clock and the
 * busy time of the modules that drive them (src/energy/fpga.ts).
 */

const nonNegative = z.number().nonnegative();

export const EnergySchema = z.strictObject({
  /** Power the board draws when it computes nothing (static power, idle clocks), W. */
  idleWatts: nonNegative,
  dynamic: z.discriminatedUnion('model', [
    z.strictObject({
      model: z.literal('work'),
      /** Device-memory traffic, pJ per byte (the array and the path to it). */
      memoryPjPerByte: nonNegative,
      /**
       * The KV cache a step reads, pJ per byte, where it costs other than
       * weights (a GPU's attention gathers it block by block on its vector
       * cores); default memoryPjPerByte.
       */
      kvCachePjPerByte: nonNegative.optional(),
      /** One multiply-accumulate in the type the engine multiplies in, pJ. */
      macPj: z.partialRecord(z.enum(DTYPES), nonNegative),
      /** Host link traffic, pJ per bit (where the board moves tensors to a host). */
      interconnectPjPerBit: nonNegative.default(0),
      /** The board's maximum power (TDP), W: the average never exceeds it. */
      maxWatts: z.number().positive().optional(),
    }),
    z.strictObject({
      /**
       * An FPGA whose power follows its design: the device's resources the
       * design uses switch at `toggleRate` while the modules that drive them
       * are busy, at the design's clock, with the device's energy per
       * resource and cycle; the clock network runs always; the memory costs
       * `memoryPjPerByte` for every byte moved. The board must name its
       * device and estimate its design's resources.
       */
      model: z.literal('fpga'),
      /** Device-memory traffic (the HBM itself), pJ per byte. */
      memoryPjPerByte: nonNegative,
      /** Share of cycles a busy part's signals toggle (XPE's default is 12.5 %). */
      toggleRate: z.number().positive().max(1),
      /** The board's maximum power (TDP), W: the average never exceeds it. */
      maxWatts: z.number().positive().optional(),
    }),
    z.strictObject({
      model: z.literal('utilization'),
      /** Power at full utilisation (the board's TDP), W; idle to maximum in proportion to bound / time. */
      maxWatts: z.number().positive(),
    }),
  ]),
  /** A host CPU that runs operators (a DPU card's host): idle, and while it computes. */
  host: z.strictObject({ idleWatts: nonNegative, busyWatts: nonNegative }).optional(),
}).superRefine((energy, context) => {
  // Dynamic power is what lies between the two; a board at its limit slows to it (src/energy, powerLimitedMs).
  const maxWatts = energy.dynamic.maxWatts;
  if (maxWatts !== undefined && maxWatts <= energy.idleWatts) {
    context.addIssue({ code: 'custom', path: ['dynamic', 'maxWatts'], message: `expected a maximum power above idleWatts (${energy.idleWatts} W), got ${maxWatts} W` });
  }
});

export type Energy = z.infer<typeof EnergySchema>;

export const PriceSchema = z.strictObject({
  /** What an hour of the board costs (a cloud price per accelerator, or purchase amortised), US dollars. */
  dollarsPerHour: z.number().positive(),
});

export type Price = z.infer<typeof PriceSchema>;
