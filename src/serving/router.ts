/*
 * Data parallelism: several replicas of the model, each with its own
 * queues, KV cache and steps, behind a router that sends every arriving
 * request to one of them (vLLM's --data-parallel-size behind its API
 * server). A router sees how many requests each replica holds.
 */

/** What a router knows of a replica when a request arrives. */
export interface ReplicaLoad {
  readonly replica: number;
  /** Requests queued at the replica, not yet running. */
  readonly waiting: number;
  /** Requests the replica is running. */
  readonly running: number;
}

/** Chooses the replica an arriving request goes to. */
export interface ReplicaRouter {
  readonly name: string;
  /** The index of the replica for this request, among `replicas`. */
  route(request: { readonly id: number; readonly promptTokens: number }, replicas: readonly ReplicaLoad[]): number;
}

export const ROUTER_NAMES = ['round-robin', 'least-loaded'] as const;
export type RouterName = (typeof ROUTER_NAMES)[number];

/** A router by name: `round-robin` takes replicas in turn; `least-loaded` the one holding the fewest requests (the lowest index on a tie). */
export function createRouter(name: RouterName): ReplicaRouter {
  if (name === 'round-robin') {
    let next = 0;
    return {
      name,
      route: (_request, replicas) => {
        const chosen = next % replicas.length;
        next++;
        return chosen;
      },
    };
  }
  return {
    name,
    route: (_request, replicas) => replicas.reduce((best, r) => (r.waiting + r.running < best.waiting + best.running ? r : best)).replica,
  };
}
