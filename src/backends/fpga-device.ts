import { z } from 'zod';

/*
 * An FPGA device as its data sheets describe it (hardware/devices/*.yaml):
 * what it holds (LUTs, flip-flops, DSP slices, block RAM, UltraRAM), how
 * fast its DSP slices may be clocked, its memory, and the power figures the
 * FPGA power model multiplies by a design's resources. A board of an FPGA
 * kind names its device (`device: xcu280`); the design in the board file is
 * checked against it and powered by it. Every number carries its source in
 * the file; a capacity no source gave is written as `{ missing: why }`, and
 * the check then says it could not check that resource.
 */

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();

/** A capacity from a data sheet, or the reason none was found. */
const Capacity = z.union([positive, z.strictObject({ missing: z.string().min(1) })]);
export type DeviceCapacity = z.infer<typeof Capacity>;

/** The resources a design is estimated in and a device is checked for. */
export const FPGA_RESOURCES = ['lut', 'ff', 'dsp', 'bram36', 'uram'] as const;
export type FpgaResource = (typeof FPGA_RESOURCES)[number];

/** What each resource is called in messages and tables. */
export const RESOURCE_LABELS: Readonly<Record<FpgaResource, string>> = {
  lut: 'LUTs',
  ff: 'flip-flops',
  dsp: 'DSP slices',
  bram36: '36 Kb block RAMs',
  uram: 'UltraRAMs',
};

const PerResource = <T extends z.ZodType>(value: T) => z.strictObject({ lut: value, ff: value, dsp: value, bram36: value, uram: value });

export const FpgaDeviceSchema = z.strictObject({
  /** The device's name, e.g. `XCU280`. */
  name: z.string().min(1),
  /** The part the board carries (package and speed grade), e.g. `xcu280-fsvh2892-2L-e`. */
  part: z.string().min(1),
  description: z.string().optional(),
  /** Super logic regions of the device. */
  slrCount: z.union([z.number().int().positive(), z.strictObject({ missing: z.string().min(1) })]),
  /** What the device holds. */
  capacity: PerResource(Capacity),
  /** What the board's platform (its shell) keeps for itself; a design gets the rest. */
  reserved: PerResource(nonNegative).partial().default({}),
  dsp: z.strictObject({
    /** The DSP slice's kind, e.g. DSP48E2 or DSP58. */
    kind: z.string().min(1),
    /** int8 multiply-accumulates one slice does per cycle (two packed in a DSP48E2, a three-element dot product in a DSP58). */
    int8MacsPerSlice: z.number().int().positive(),
    /** Data-sheet maximum clock of the slice at the part's speed grade and voltage, MHz: the clock check's limit. */
    fmaxMHz: positive,
  }),
  /** Shapes (depth × width in bits) a block RAM and an UltraRAM can take: what a buffer bank is built from. */
  ram: z.strictObject({
    bram36Shapes: z.array(z.tuple([z.number().int().positive(), z.number().int().positive()])).min(1),
    uramShapes: z.array(z.tuple([z.number().int().positive(), z.number().int().positive()])).min(1),
  }),
  memory: z.strictObject({
    kind: z.enum(['hbm', 'ddr']),
    /** Data-sheet peak bandwidth, decimal GB/s, or why none was found. */
    peakBandwidthGBps: Capacity,
    /** Capacity, GiB. */
    capacityGiB: positive,
    /** Independently addressed channels (HBM pseudo-channels, DDR channels). */
    channels: z.number().int().positive(),
  }),
  power: z.strictObject({
    /** Power the card draws with a design loaded and nothing switching (leakage, memory refresh, board), W. */
    staticWatts: nonNegative,
    /** Energy one resource switches per clock cycle at a 100 % toggle rate, pJ (routing included). */
    pjPerCycle: PerResource(nonNegative),
    /** Clock-network energy per flip-flop per cycle, pJ: drawn whenever the design is clocked. */
    clockPjPerFfCycle: nonNegative,
  }),
});

/** A validated FPGA device description. */
export type FpgaDevice = z.infer<typeof FpgaDeviceSchema>;

/** The number a capacity holds, or undefined where the data sheet was not found. */
export function capacityValue(capacity: DeviceCapacity): number | undefined {
  return typeof capacity === 'number' ? capacity : undefined;
}
