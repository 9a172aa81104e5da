import { z } from 'zod';

/*
 * How cards of one kind are linked to each other, common to every kind:
 * what one card can send while it receives as much, what a collective
 * call and each of its steps cost in latency, how the cards are wired,
 * how many the links join, and what the links consume and cost. The
 * parallel stage (src/parallel/) costs collectives over it; a board
 * without this section runs on one card only.
 */

const nonNegative = z.number().nonnegative();

/**
 * `switch`: every card reaches every other at its full rate through a
 * switch (NVSwitch, a PCIe switch or root complex); `ring`: each card is
 * cabled to two neighbours (board-to-board links such as QSFP28), half of
 * its rate to each; `mesh`: each card has a link of its own to every other
 * of the `maxCards` (AMD's eight-MI300X platform), its rate split evenly
 * over those maxCards − 1 links, so a group of n cards uses n − 1 of them.
 */
export const TOPOLOGIES = ['switch', 'ring', 'mesh'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** Ring: every card sends a share to its neighbour in turn (bandwidth-optimal); tree: a double binary tree (fewer steps, more bytes per card). */
export const COLLECTIVE_ALGORITHMS = ['ring', 'tree'] as const;
export type CollectiveAlgorithm = (typeof COLLECTIVE_ALGORITHMS)[number];

export const InterconnectSchema = z.strictObject({
  /** What links the cards, in words (informational): `NVLink 3 through NVSwitch`. */
  link: z.string().min(1),
  topology: z.enum(TOPOLOGIES),
  /** What one card sends at most while it receives as much, over all its links, GB/s (10^9 bytes). */
  bandwidthGBps: z.number().positive(),
  /** Fixed cost of one collective call (software launch and synchronisation), µs. */
  collectiveLatencyUs: nonNegative,
  /** Latency of one step of a collective: one hop from a card to the next, µs. */
  hopLatencyUs: nonNegative,
  /** The most cards the links join. */
  maxCards: z.number().int().min(2),
  /** The algorithm all-reduces use (NCCL chooses by message size; ring is the bandwidth-optimal one). */
  algorithm: z.enum(COLLECTIVE_ALGORITHMS).default('ring'),
  /** Energy of one bit over a link, both ends, pJ; 0: not counted. */
  energyPjPerBit: nonNegative.default(0),
  /** What the links and switches add per card per hour, US dollars (0: the card's price includes them). */
  dollarsPerHourPerCard: nonNegative.default(0),
});

export type Interconnect = z.infer<typeof InterconnectSchema>;
