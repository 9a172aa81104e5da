/*
 * Device memory: every tensor the IR names gets a real address. Weights come
 * first, in IR order, so they sit at the same addresses whatever the step;
 * then the KV cache, one key and one value region per layer for each
 * sequence; then activations, one slot per role (the q projection output,
 * the attention scores, ...) shared by every layer, since layers run one
 * after another. A layer that reads part of an activation (one sequence's
 * rows) gets the slot's address plus the part's offset. Slots a fused kernel
 * keeps on chip (a GPU's attention scores) still get addresses, after the
 * others, but take no device memory: they are left out of the totals.
 */

export { bytesOf, dtypeBits } from '../dtype.js';

/** Allocation granularity: one HBM burst. */
const ALIGN_BYTES = 64;
const align = (bytes: number) => Math.ceil(bytes / ALIGN_BYTES) * ALIGN_BYTES;

export type Placement =
  | { readonly region: 'weight'; readonly bytes: number }
  | { readonly region: 'kv'; readonly kind: 'key' | 'value'; readonly layer: number; readonly sequence: number }
  | { readonly region: 'activation'; readonly role: string; readonly bytes: number; readonly offsetBytes: number; readonly onChip?: boolean | undefined };

export interface MemoryPlan {
  readonly weightBytes: number;
  readonly kvCacheBytes: number;
  /** Activation slots in device memory (on-chip slots left out). */
  readonly activationBytes: number;
  readonly totalBytes: number;
}

/** The KV cache's layout: per sequence, the bytes of one layer's key (or value) region. */
export interface KvLayout {
  readonly layers: number;
  readonly regionBytes: readonly number[];
  /** Regions per layer: a key and a value (2), or latent attention's one compressed vector (1). */
  readonly regionsPerLayer: 1 | 2;
}

/** Collects where each tensor goes while the IR is built, then assigns every address at once. */
export class AddressPlanner {
  private readonly requests: Array<{ target: { addr: number }; placement: Placement }> = [];

  place(target: { addr: number }, placement: Placement): void {
    this.requests.push({ target, placement });
  }

  /** Sets every requested tensor's `addr` and returns the totals. */
  assign(kv: KvLayout): MemoryPlan {
    const weightBytes = this.requests.reduce((sum, { placement }) => sum + (placement.region === 'weight' ? align(placement.bytes) : 0), 0);
    const slots = this.activationSlots();
    const regions = kv.regionBytes.map(align);
    const sequenceBase: number[] = [];
    let kvCacheBytes = 0;
    for (const region of regions) {
      sequenceBase.push(weightBytes + kvCacheBytes);
      kvCacheBytes += kv.layers * kv.regionsPerLayer * region;
    }
    const activationBase = weightBytes + kvCacheBytes;
    let nextWeight = 0;
    for (const { target, placement } of this.requests) {
      if (placement.region === 'weight') {
        target.addr = nextWeight;
        nextWeight += align(placement.bytes);
      } else if (placement.region === 'kv') {
        target.addr = sequenceBase[placement.sequence]! + (kv.regionsPerLayer * placement.layer + (placement.kind === 'key' ? 0 : 1)) * regions[placement.sequence]!;
      } else {
        target.addr = activationBase + slots.offsets.get(placement.role)! + placement.offsetBytes;
      }
    }
    return { weightBytes, kvCacheBytes, activationBytes: slots.totalBytes, totalBytes: weightBytes + kvCacheBytes + slots.totalBytes };
  }

  /**
   * One slot per role, in order of first use, as large as its largest use;
   * on-chip slots after the others. The total counts the device-memory slots.
   */
  private activationSlots(): { offsets: Map<string, number>; totalBytes: number } {
    const sizes = new Map<string, number>();
    const onChip = new Set<string>();
    for (const { placement } of this.requests) {
      if (placement.region !== 'activation') continue;
      sizes.set(placement.role, Math.max(sizes.get(placement.role) ?? 0, placement.offsetBytes + placement.bytes));
      if (placement.onChip === true) onChip.add(placement.role);
    }
    const offsets = new Map<string, number>();
    let endBytes = 0;
    const lay = (role: string, bytes: number) => {
      offsets.set(role, endBytes);
      endBytes += align(bytes);
    };
    for (const [role, bytes] of sizes) if (!onChip.has(role)) lay(role, bytes);
    const totalBytes = endBytes;
    for (const [role, bytes] of sizes) if (onChip.has(role)) lay(role, bytes);
    return { offsets, totalBytes };
  }
}
