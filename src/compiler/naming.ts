import type { StepForm } from '../batch.js';

/*
 * How layers and tensors are named. FlightLLM's compiler numbers "rounds"
 * (round 0 the prefill, round 1 a decode step) and names the KV cache by the
 * round that wrote it, off by one for values; its IR files and ours compare
 * layer for layer only if we name exactly as it does. That scheme lives here
 * and nowhere else: the lowering asks for names by meaning (a role, a
 * transformer layer, a sequence), never builds or parses them.
 *
 * Batched steps have no FlightLLM name; they use a plain scheme of ours with
 * a sequence suffix where a tensor or layer belongs to one sequence.
 */

export interface Naming {
  /** A layer of the step, `base` naming its kind and transformer layer (`q_proj_layer_3`). */
  layer(base: string, sequence?: number): string;
  /** An activation with a memory role (`q_proj_out_t`), of a transformer layer or of the whole step. */
  activation(role: string, layer?: number, sequence?: number): string;
  /** A sequence's KV cache in a transformer layer: as the step finds it, or after the step appended to it. */
  kvCache(which: 'key' | 'value', version: 'before' | 'after', layer: number, sequence: number): string;
}

/** Parameter names carry no round: weights are the same tensors in every step. */
export function parameterName(layerBase: string, part: 'weight' | 'bias' | 'meta' | 'fsb'): string {
  return `${layerBase}.${part}`;
}

/** The attention mask parameter of a transformer layer, named as FlightLLM's mask files are. */
export function maskParameterName(layer: number): string {
  return `attention_mask_${layer}.mask`;
}

const MASK_PARAMETER = /^attention_mask_(\d+)\.mask$/;

/** The transformer layer a mask parameter belongs to, or undefined for a name not of this scheme. */
export function layerOfMaskParameter(name: string): number | undefined {
  const match = MASK_PARAMETER.exec(name);
  return match === null ? undefined : Number(match[1]);
}

const suffix = (value: number | undefined) => (value === undefined ? '' : `_${value}`);

/** FlightLLM's scheme, for its prefill (round 0) and decode (round 1) forms. */
function flightllmNaming(round: 0 | 1): Naming {
  return {
    layer: (base) => `round_${round}_${base}`,
    activation: (role, layer) => `round_${round}_${role}${suffix(layer)}`,
    // Keys are named by the round that wrote them; values by that round plus one.
    kvCache: (which, version, layer) => {
      const written = version === 'before' ? round - 1 : round;
      return which === 'key' ? `round_${written}_key_t_${layer}` : `round_${written + 1}_past_values_${layer}`;
    },
  };
}

/** Ours, for batched steps. */
const BATCHED_NAMING: Naming = {
  layer: (base, sequence) => `step_${base}${sequence === undefined ? '' : `_seq${sequence}`}`,
  activation: (role, layer, sequence) => `step_${role}${suffix(layer)}${sequence === undefined ? '' : `_seq${sequence}`}`,
  kvCache: (which, version, layer, sequence) => `step_seq${sequence}_${version === 'before' ? 'past_' : ''}${which === 'key' ? 'keys' : 'values'}_${layer}`,
};

export function namingFor(form: StepForm): Naming {
  if (form.kind === 'prefill') return flightllmNaming(0);
  if (form.kind === 'decode') return flightllmNaming(1);
  return BATCHED_NAMING;
}

/** FlightLLM's IR file stem: `<model>_<stage>_token_<N>`; a batched step is named by its shape. */
export function stepFileName(model: string, form: StepForm, batchLabel: string): string {
  return form.kind === 'batched' ? `${model}_step_${batchLabel}` : `${model}_${form.kind}_token_${form.tokens}`;
}
