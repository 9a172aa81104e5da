import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { deepFreeze } from '../../util/freeze.js';
import { resolveShipped, shippedNames, type ShippedFolder } from '../../util/shipped.js';
import { parseYaml, readTextFile } from '../../util/yaml.js';
import { zodIssues } from '../../util/zod-issues.js';
import { StackServingSchema } from './stack-schema.js';

/*
 * Software stacks as data (hardware/stacks/<name>.yaml): what a serving
 * stack costs beyond the hardware's peaks, whatever GPU it runs on — the
 * launch cost of each kernel, the host's time per step and per sequence,
 * the efficiency of its kernels where they differ from the board's, the
 * price of its weight-only kernels, and its scheduler's defaults. A stack
 * is applied to a board as overrides of the board's values before the
 * board is validated (`loadHardware(board, { stack })`), so every result
 * and cache follows from the board and the stack together.
 */

const nonNegative = z.number().nonnegative();
const fraction = z.number().positive().max(1);

export const StackFileSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().min(1),
  /**
   * The published measurements (validation/*.csv) the stack describes: their
   * `software`, `software_version` prefixes and, where one build runs other
   * kernels on other chips (ROCm's per-architecture kernels), the boards
   * (`hardware`) it describes; absent: every board.
   */
  measurements: z.strictObject({ software: z.array(z.string().min(1)).min(1), versions: z.array(z.string()).min(1), boards: z.array(z.string().min(1)).min(1).optional() }),
  /** Fixed cost of one kernel, µs; replaces the board's kernelLaunchUs. */
  kernelLaunchUs: nonNegative,
  /** Host time beyond the kernels: per step, and per sequence of a step, µs. */
  host: z.strictObject({ stepUs: nonNegative, sequenceUs: nonNegative }),
  /** The stack's kernels where they sustain other fractions of the peaks than the board's defaults. */
  efficiency: z
    .strictObject({
      linear: z.strictObject({ memory: fraction.optional(), compute: fraction.optional(), fp8Compute: fraction.optional() }).optional(),
      attention: z.strictObject({ memory: fraction.optional(), compute: fraction.optional() }).optional(),
      vector: z.strictObject({ memory: fraction.optional() }).optional(),
      experts: z.strictObject({ memory: fraction.optional(), compute: fraction.optional() }).optional(),
    })
    .optional(),
  /** Its weight-only kernels' widening work (the board's `dequantization`). */
  dequantization: z.strictObject({ opsPerElement: nonNegative, opsPerGroup: nonNegative }).optional(),
  serving: StackServingSchema,
  /** Share of device memory the stack takes for weights, activations and KV cache (the board's memory.usableFraction). */
  usableMemoryFraction: z.number().positive().max(1).optional(),
  /** Share of what weights and activations leave that the KV cache takes (the board's memory.kvCacheFreeFraction). */
  kvCacheFreeMemoryFraction: z.number().positive().max(1).optional(),
  /** Memory the runtime keeps on each card beyond weights, KV cache and activations, GiB (the board's memory.reservedGiB). */
  reservedMemoryGiB: z.number().nonnegative().optional(),
});

export type Stack = z.infer<typeof StackFileSchema> & { readonly file: string };

const SHIPPED_STACKS: ShippedFolder = { folder: 'hardware/stacks', what: 'software stack' };

/** The stacks shipped in hardware/stacks/. */
export function shippedStackNames(): string[] {
  return shippedNames(SHIPPED_STACKS);
}

/** Reads a stack by path or shipped name; every problem in one ConfigError naming the file. */
export function loadStack(pathOrName: string): Stack {
  const file = resolveShipped(pathOrName, SHIPPED_STACKS, ConfigError);
  const raw = parseYaml(readTextFile(file, ConfigError, 'software stack'), file, ConfigError, 'software stack');
  const parsed = StackFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError({ what: 'invalid software stack', file, issues: zodIssues(parsed.error) });
  return deepFreeze({ ...parsed.data, file });
}

/** The board values a stack replaces, by dotted key (as `--set` gives them). */
export function stackOverrides(stack: Stack): Record<string, unknown> {
  const overrides: Record<string, unknown> = {
    kernelLaunchUs: stack.kernelLaunchUs,
    stack: { name: stack.name, stepUs: stack.host.stepUs, sequenceUs: stack.host.sequenceUs, serving: { ...stack.serving } },
  };
  for (const [group, values] of Object.entries(stack.efficiency ?? {})) {
    // Boards need not state their experts' efficiencies: the stack's are set whole (what it leaves out stays the linear one).
    if (group === 'experts') overrides['efficiency.experts'] = { ...values };
    else for (const [key, value] of Object.entries(values ?? {})) if (value !== undefined) overrides[`efficiency.${group}.${key}`] = value;
  }
  if (stack.dequantization !== undefined) overrides['dequantization'] = { ...stack.dequantization };
  if (stack.usableMemoryFraction !== undefined) overrides['memory.usableFraction'] = stack.usableMemoryFraction;
  if (stack.kvCacheFreeMemoryFraction !== undefined) overrides['memory.kvCacheFreeFraction'] = stack.kvCacheFreeMemoryFraction;
  if (stack.reservedMemoryGiB !== undefined) overrides['memory.reservedGiB'] = stack.reservedMemoryGiB;
  return overrides;
}
