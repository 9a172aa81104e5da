
/*
 * Device memory: every tensor the IR names gets a real HBM address. Weights
 * come first, in IR order, so they sit at the same addresses whatever the
 * stage or length; then the KV cache, one key and one value region per layer
 * sized for the longest sequence; then activations, one slot per role (the
 * q projection output, the attention scores, ...) shared by every layer,
 * since layers run one after another.
 */

export { bytesOf, dtypeBits } from '../dtype.js';

/** Allocation granularity: one HBM burst. */
const ALIGN_BYTES = 64;
const align = (bytes: number) => Math.ceil(bytes / ALIGN_BYTES) * ALIGN_BYTES;

export type Placement =
  | { readonly region: 'weight'; readonly bytes: number }
  | { readonly region: 'kv'; readonly kind: 'key' | 'value'; readonly layer: number }
  | { readonly region: 'activation'; readonly role: string; readonly bytes: number }
  | { readonly region: 'none' };

export interface MemoryPlan {
  readonly weightBytes: number;
  readonly kvCacheBytes: number;
  readonly activationBytes: number;
  readonly totalBytes: number;
}

/** Collects where each tensor goes while the IR is built, then assigns every address at once. */
export class AddressPlanner {
  private readonly requests: Array<{ target: { addr: number }; placement: Placement }> = [];

  place(target: { addr: number }, placement: Placement): void {
    this.requests.push({ target, placement });
  }

  /** Sets every requested tensor's `addr` and returns the totals. */
  assign(layout: { layers: number; kvRegionBytes: number }): MemoryPlan {
    let weightBytes = 0;
    const activationSlots = new Map<string, number>();
    let activationBytes = 0;
    for (const { placement } of this.requests) {
      if (placement.region === 'weight') weightBytes += align(placement.bytes);
      if (placement.region === 'activation' && !activationSlots.has(placement.role)) {
        activationSlots.set(placement.role, activationBytes);
        activationBytes += align(placement.bytes);
      }
    }
    const kvRegion = align(layout.kvRegionBytes);
    const kvBase = weightBytes;
    const activationBase = kvBase + layout.layers * 2 * kvRegion;
    let nextWeight = 0;
    for (const { target, placement } of this.requests) {
      target.addr = addressOf(placement, { nextWeight, kvBase, kvRegion, activationBase, activationSlots });
      if (placement.region === 'weight') nextWeight += align(placement.bytes);
    }
    const kvCacheBytes = layout.layers * 2 * kvRegion;
    return { weightBytes, kvCacheBytes, activationBytes, totalBytes: weightBytes + kvCacheBytes + activationBytes };
  }
}

function addressOf(
  placement: Placement,
  at: { nextWeight: number; kvBase: number; kvRegion: number; activationBase: number; activationSlots: ReadonlyMap<string, number> },
): number {
  switch (placement.region) {
    case 'weight':
      return at.nextWeight;
    case 'kv':
      return at.kvBase + (2 * placement.layer + (placement.kind === 'key' ? 0 : 1)) * at.kvRegion;
    case 'activation':
      return at.activationBase + (at.activationSlots.get(placement.role) ?? 0);
    case 'none':
      return 0;
  }
}
