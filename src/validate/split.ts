import type { Measurement } from './measurements.js';

/*
 * Which measurements the shipped parameters were fitted on. Every fitted
 * number in hardware/ and hardware/stacks/ names the rows it was fitted to;
 * they are these, chosen by the rules below before fitting, and never one
 * by one. `validate` reports the error on every row, and on the held-out
 * rows (those no rule picks) separately.
 */

export interface SplitRule {
  /** What the rule picks, as the report prints it. */
  readonly description: string;
  readonly picks: (row: Measurement) => boolean;
}

export const FIT_RULES: readonly SplitRule[] = [
  {
    description: 'Argonne latency: LLaMA-2-7B at 1024/1024, batch 1 to 64 (the vLLM 0.5 and TensorRT-LLM stacks); other lengths and Llama-3-8B are held out',
    picks: (row) => row.group === 'argonne' && row.metric === 'e2e_latency_s' && row.model === 'llama2-7b' && row.input_len === 1024 && row.output_len === 1024,
  },
  {
    description: "Argonne, vLLM power: batch 1 and 64 of both models (the A100's and H100's energy per byte and per MAC); batch 16 and 32 are held out",
    picks: (row) => row.group === 'argonne' && row.software === 'vllm' && row.metric === 'power_w' && (row.batch === 1 || row.batch === 64),
  },
  {
    description: "FlightLLM's GPU-opt figures (vLLM 0.1.7): a100-80gb-sxm-vllm's calibration, which the vllm-0.1-eager stack carries",
    picks: (row) => row.group === 'flightllm' && row.software === 'vllm',
  },
  {
    description: "FlightLLM's GPU-naive figures (Hugging Face transformers) at the 128-token prompt; the 512-token prompt is held out",
    picks: (row) => row.group === 'flightllm' && row.software === 'hf-transformers' && row.input_len === 128,
  },
  {
    description: 'gpt-fast: LLaMA-2-7B (BF16 sets the stack, INT8 and INT4 the dequantisation); Llama-3.1-8B is held out',
    picks: (row) => row.group === 'gpt-fast' && row.model === 'llama2-7b',
  },
  {
    description: "TensorRT-LLM 0.14's throughput table; its 0.17 and 0.9 tables, online serving and Argonne's runs are held out",
    picks: (row) => row.group === 'trtllm-0.14',
  },
];

/** Whether a row was fitted on, and the rule that says so (or that none does). */
export function splitOf(row: Measurement): { fit: boolean; rule: string } {
  const rule = FIT_RULES.find((r) => r.picks(row));
  return rule === undefined ? { fit: false, rule: 'held out' } : { fit: true, rule: rule.description };
}
