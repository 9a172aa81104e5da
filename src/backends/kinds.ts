import { z } from 'zod';
import { DpuHostHardwareSchema, type DpuHostHardware } from './dpu-host/schema.js';
import { FlightLlmHardwareSchema, type FlightLlmHardware } from './flightllm/schema.js';
import { RooflineHardwareSchema, type RooflineHardware } from './roofline/schema.js';

/*
 * Every kind of hardware the simulator models, told apart by `kind`. A file
 * without `kind` describes FlightLLM's architecture.
 */

export const HARDWARE_KINDS = ['flightllm', 'dpu-host', 'roofline'] as const;
export type HardwareKind = (typeof HARDWARE_KINDS)[number];

export const HardwareSchema = z.discriminatedUnion('kind', [FlightLlmHardwareSchema, DpuHostHardwareSchema, RooflineHardwareSchema]);

/** A validated, frozen hardware description of any kind. */
export type Hardware = FlightLlmHardware | DpuHostHardware | RooflineHardware;

/** The kind a raw description declares, defaulting to FlightLLM's architecture. */
export function withDefaultKind(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || 'kind' in raw) return raw;
  return { kind: 'flightllm', ...raw };
}
