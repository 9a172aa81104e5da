import type { CollectiveAlgorithm, Interconnect } from '../backends/index.js';

/*
 * What a collective costs over a board's interconnect, by algorithm: a fixed
 * cost per call, a hop latency per step, and the bytes each card must send
 * over its links at their rate. `bandwidthGBps` is what a card sends while
 * it receives as much; on a `ring` topology half of it goes to each
 * neighbour, so a collective that uses both directions of the ring keeps
 * the full rate, and a transfer to one neighbour has half of it. On a
 * `mesh` each of a card's maxCards − 1 links carries an even share of it:
 * a collective among n cards runs over the n − 1 links between them (rings
 * laid over distinct links, as RCCL does), a transfer to one card over one.
 *
 *   all-reduce, ring: 2 (n − 1) steps, each card sends 2 (n − 1) / n of the
 *     tensor (reduce-scatter then all-gather; the bandwidth-optimal one);
 *   all-reduce, tree: a double binary tree, 2 ⌈log2 n⌉ steps, each card
 *     sends twice its half-tensors up and down: 2 × the tensor;
 *   all-gather and reduce-scatter (ring): n − 1 steps, (n − 1) / n of the
 *     whole tensor;
 *   all-to-all: n − 1 exchanges, (n − 1) / n of what a card holds; on a ring
 *     each share travels as many hops as its destination is away;
 *   send/recv: one hop, the whole tensor.
 */

export const COLLECTIVES = ['all-reduce', 'all-gather', 'reduce-scatter', 'all-to-all', 'send-recv'] as const;
export type Collective = (typeof COLLECTIVES)[number];

export interface CollectiveRequest {
  readonly collective: Collective;
  /**
   * The tensor, bytes: the one each card holds and all sum (all-reduce), the
   * whole one gathered or scattered (all-gather, reduce-scatter), what each
   * card holds and redistributes (all-to-all), or the one sent (send/recv).
   */
  readonly bytes: number;
  readonly cards: number;
  /** The all-reduce algorithm; default the interconnect's. */
  readonly algorithm?: CollectiveAlgorithm | undefined;
}

export interface CollectiveCost {
  readonly ms: number;
  /** Of which latency: the call and its steps. */
  readonly latencyMs: number;
  /** Bytes each card sends over its links (its own data and what it forwards). */
  readonly bytesPerCard: number;
  /** Bytes over all links together, every card's (what the links' energy counts). */
  readonly linkBytes: number;
  readonly steps: number;
}

const US_PER_MS = 1000;
const BYTES_PER_GB = 1e9;
const MS_PER_S = 1000;

/** The cost of one collective among `cards` cards; nothing with one card. */
export function collectiveCost(link: Interconnect, request: CollectiveRequest): CollectiveCost {
  const n = request.cards;
  if (n <= 1 || request.bytes === 0) return { ms: 0, latencyMs: 0, bytesPerCard: 0, linkBytes: 0, steps: 0 };
  const shape = trafficOf(link, request);
  const latencyMs = (link.collectiveLatencyUs + shape.steps * link.hopLatencyUs) / US_PER_MS;
  const transferMs = (shape.bytesPerCard / (shape.rateGBps * BYTES_PER_GB)) * MS_PER_S;
  return { ms: latencyMs + transferMs, latencyMs, bytesPerCard: shape.bytesPerCard, linkBytes: shape.bytesPerCard * shape.sendingCards, steps: shape.steps };
}

interface Traffic {
  readonly steps: number;
  readonly bytesPerCard: number;
  /** The rate those bytes leave a card at, GB/s. */
  readonly rateGBps: number;
  readonly sendingCards: number;
}

function trafficOf(link: Interconnect, r: CollectiveRequest): Traffic {
  const n = r.cards;
  const full = groupRateGBps(link, n);
  switch (r.collective) {
    case 'all-reduce':
      return (r.algorithm ?? link.algorithm) === 'tree' ? { steps: 2 * Math.ceil(Math.log2(n)), bytesPerCard: 2 * r.bytes, rateGBps: full, sendingCards: n } : { steps: 2 * (n - 1), bytesPerCard: (2 * (n - 1) * r.bytes) / n, rateGBps: full, sendingCards: n };
    case 'all-gather':
    case 'reduce-scatter':
      return { steps: n - 1, bytesPerCard: ((n - 1) * r.bytes) / n, rateGBps: full, sendingCards: n };
    case 'all-to-all':
      return { steps: n - 1, bytesPerCard: (r.bytes / n) * (link.topology === 'ring' ? ringHops(n) : n - 1), rateGBps: full, sendingCards: n };
    case 'send-recv':
      return { steps: 1, bytesPerCard: r.bytes, rateGBps: peerRateGBps(link), sendingCards: 1 };
  }
}

/** What a card of a group of n sends at, over the links that reach the group's others, GB/s. */
function groupRateGBps(link: Interconnect, n: number): number {
  return link.topology === 'mesh' ? meshLinkGBps(link) * Math.min(n - 1, link.maxCards - 1) : link.bandwidthGBps;
}

/** What a card sends to one peer at, GB/s: one neighbour's half on a ring, one link on a mesh. */
function peerRateGBps(link: Interconnect): number {
  switch (link.topology) {
    case 'switch':
      return link.bandwidthGBps;
    case 'ring':
      return link.bandwidthGBps / 2;
    case 'mesh':
      return meshLinkGBps(link);
  }
}

/** One of a mesh card's maxCards − 1 links, GB/s. */
function meshLinkGBps(link: Interconnect): number {
  return link.bandwidthGBps / (link.maxCards - 1);
}

/** Hops all of a card's shares travel on a bidirectional ring: each goes the shorter way. */
function ringHops(n: number): number {
  let hops = 0;
  for (let k = 1; k < n; k++) hops += Math.min(k, n - k);
  return hops;
}
