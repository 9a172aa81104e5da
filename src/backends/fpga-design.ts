import { capacityValue, FPGA_RESOURCES, RESOURCE_LABELS, type FpgaDevice, type FpgaResource } from './fpga-device.js';

/*
 * What an FPGA design asks of its device, and whether the device has it.
 * A kind of FPGA hardware describes its design as parts (an engine, its
 * buffers), each with the resources it is estimated to use and the modules
 * of the simulation that keep it busy, plus the clock, memory bandwidth,
 * memory and channels it needs. The check compares every one of them with
 * the device's data-sheet capacity and says, line by line, how much of it
 * the design uses; a line above 100 % means the design does not fit.
 */

export type ResourceCounts = Readonly<Record<FpgaResource, number>>;

/** One part of a design: what it uses, and the simulated modules whose busy time is its activity. */
export interface DesignPart {
  readonly name: string;
  readonly resources: ResourceCounts;
  readonly modules: readonly string[];
}

/** What a board's design asks of its device. */
export interface FpgaDesign {
  readonly device: FpgaDevice;
  /** Parts with their estimated resources; empty where the kind publishes no estimate (`resourcesNote` says why). */
  readonly parts: readonly DesignPart[];
  readonly resourcesNote?: string | undefined;
  readonly clockMHz: number;
  readonly slrCount: number;
  /** Bandwidth the design draws from the device's memory, decimal GB/s. */
  readonly memoryBandwidthGBps: number;
  readonly memoryGiB: number;
  readonly memoryChannels: number;
}

/** What a check line is about: a resource, or the clock, memory or SLRs. */
export type FitItem = FpgaResource | 'clock' | 'memoryBandwidth' | 'memory' | 'memoryChannels' | 'slrs';
export const FIT_ITEMS: readonly FitItem[] = [...FPGA_RESOURCES, 'clock', 'memoryBandwidth', 'memory', 'memoryChannels', 'slrs'];

/** One line of the check: what the design uses of one item against the device's capacity. */
export interface FitLine {
  readonly item: FitItem;
  /** What the line counts, with its unit. */
  readonly label: string;
  /** What the design uses (resources: its estimate). */
  readonly used: number;
  /** What the board's platform keeps for itself (resources only; 0 elsewhere). */
  readonly reserved: number;
  /** What the device has, or undefined where no source gave it. */
  readonly capacity: number | undefined;
  /** (used + reserved) / capacity; null where the capacity is unknown or nothing was estimated. */
  readonly utilization: number | null;
  /** Why the line could not be checked, where it could not. */
  readonly unchecked?: string | undefined;
}

/** The check of a design against its device. */
export interface DesignFit {
  readonly device: string;
  readonly part: string;
  readonly lines: readonly FitLine[];
  /** Every checked line at or under 100 %. */
  readonly fits: boolean;
  /** The highest utilisation of the five logic resources (LUT, FF, DSP, BRAM, URAM), or null where none could be checked. */
  readonly maxResourceUtilization: number | null;
  /** The lines over 100 %, worst first. */
  readonly overflows: readonly FitLine[];
}

/** Allowance for rounding when a design uses exactly what the device has (819.2 of 819.2 GB/s). */
const TOLERANCE = 1e-9;

/** The resources of every part added up. */
export function totalResources(parts: readonly DesignPart[]): ResourceCounts {
  const total = { lut: 0, ff: 0, dsp: 0, bram36: 0, uram: 0 };
  for (const part of parts) for (const resource of FPGA_RESOURCES) total[resource] += part.resources[resource];
  return total;
}

/** Checks a design line by line against its device's data-sheet figures. */
export function checkDesign(design: FpgaDesign): DesignFit {
  const lines = [...resourceLines(design), ...otherLines(design)];
  const checked = lines.filter((line) => line.utilization !== null);
  const overflows = checked.filter((line) => line.utilization! > 1 + TOLERANCE).sort((a, b) => b.utilization! - a.utilization!);
  const resources = checked.filter((line) => (FPGA_RESOURCES as readonly string[]).includes(line.item));
  const maxResourceUtilization = resources.length === 0 ? null : Math.max(...resources.map((line) => line.utilization!));
  return { device: design.device.name, part: design.device.part, lines, fits: overflows.length === 0, maxResourceUtilization, overflows };
}

function resourceLines(design: FpgaDesign): FitLine[] {
  const { device } = design;
  const total = totalResources(design.parts);
  return FPGA_RESOURCES.map((resource) => {
    const capacity = capacityValue(device.capacity[resource]);
    const reserved = device.reserved[resource] ?? 0;
    const base = { item: resource, label: RESOURCE_LABELS[resource], used: total[resource], reserved, capacity };
    if (design.parts.length === 0) return { ...base, utilization: null, unchecked: design.resourcesNote ?? 'no resource estimate for this design' };
    if (capacity === undefined) return { ...base, utilization: null, unchecked: `capacity not found: ${(device.capacity[resource] as { missing: string }).missing}` };
    return { ...base, utilization: (total[resource] + reserved) / capacity };
  });
}

function otherLines(design: FpgaDesign): FitLine[] {
  const { device } = design;
  const line = (item: FitItem, label: string, used: number, capacity: number | undefined, missing?: string): FitLine => ({
    item,
    label,
    used,
    reserved: 0,
    capacity,
    utilization: capacity === undefined ? null : used / capacity,
    ...(capacity === undefined ? { unchecked: `capacity not found: ${missing ?? 'no source'}` } : {}),
  });
  const bandwidth = device.memory.peakBandwidthGBps;
  const slrs = device.slrCount;
  return [
    line('clock', `clock, MHz (${device.dsp.kind} maximum)`, design.clockMHz, device.dsp.fmaxMHz),
    line('memoryBandwidth', `${device.memory.kind.toUpperCase()} bandwidth, GB/s`, design.memoryBandwidthGBps, capacityValue(bandwidth), typeof bandwidth === 'number' ? undefined : bandwidth.missing),
    line('memory', `${device.memory.kind.toUpperCase()} capacity, GiB`, design.memoryGiB, device.memory.capacityGiB),
    line('memoryChannels', `${device.memory.kind.toUpperCase()} channels`, design.memoryChannels, device.memory.channels),
    line('slrs', 'super logic regions', design.slrCount, typeof slrs === 'number' ? slrs : undefined, typeof slrs === 'number' ? undefined : slrs.missing),
  ];
}

/** `DSP slices: 10,240 of 9,024 (113 %)`: a line as a refusal names it. */
export function describeFitLine(line: FitLine): string {
  const reserved = line.reserved > 0 ? ` + ${formatCount(line.reserved)} the platform keeps` : '';
  const capacity = line.capacity === undefined ? 'an unknown capacity' : formatCount(line.capacity);
  const share = line.utilization === null ? '' : ` (${(line.utilization * 100).toFixed(1)} %)`;
  return `${line.label}: ${formatCount(line.used)}${reserved} of ${capacity}${share}`;
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
