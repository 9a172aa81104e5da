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

/**
 * The boards whose Argonne latencies fitted the vLLM 0.5 and TensorRT-LLM
 * stacks; Argonne's GH200 rows, added later, were never fitted on.
 */
const ARGONNE_FITTED_NVIDIA_BOARDS: ReadonlySet<string> = new Set(['a100-40gb-sxm', 'h100-sxm']);

export const FIT_RULES: readonly SplitRule[] = [
  {
    description: 'Argonne latency on the A100-40GB and H100: LLaMA-2-7B at 1024/1024, batch 1 to 64 (the vLLM 0.5 and TensorRT-LLM stacks); other lengths, Llama-3-8B and the other boards are held out',
    picks: (row) => row.group === 'argonne' && ARGONNE_FITTED_NVIDIA_BOARDS.has(row.hardware) && row.metric === 'e2e_latency_s' && row.model === 'llama2-7b' && row.input_len === 1024 && row.output_len === 1024,
  },
  {
    description: "Argonne latency, vLLM 0.5 on four A100-40GBs: LLaMA-2-70B at batch 16, 512/512 and 2048/2048, whose KV cache bounds the batch (the stack's memory reserved per card); 1024/1024 and the other batches are held out",
    picks: (row) => row.group === 'argonne' && row.hardware === 'a100-40gb-sxm' && row.model === 'llama2-70b' && row.batch === 16 && (row.input_len === 512 || row.input_len === 2048),
  },
  {
    description: 'Argonne latency, vLLM 0.6.1 ROCm on the MI250 and MI300X: LLaMA-2-7B at 1024/1024, batch 1 to 64, and its batch-16 run with one output token (the vllm-0.6-rocm stacks); 128/128 and 2048/2048 are held out',
    picks: (row) => row.group === 'argonne' && row.software === 'vllm' && row.software_version.startsWith('0.6.1 (ROCm') && row.metric === 'e2e_latency_s' && row.model === 'llama2-7b' && row.input_len === 1024 && (row.output_len === 1024 || row.output_len === 1),
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
    description: 'gpt-fast on the A100: LLaMA-2-7B (BF16 sets the stack, INT8 and INT4 the dequantisation); Llama-3.1-8B and the MI250X are held out',
    picks: (row) => row.group === 'gpt-fast' && row.hardware === 'a100-80gb-sxm' && row.model === 'llama2-7b',
  },
  {
    description: "TensorRT-LLM 0.14's throughput table; its 0.17 and 0.9 tables, online serving and Argonne's runs are held out",
    picks: (row) => row.group === 'trtllm-0.14',
  },
  {
    description: "TensorRT-LLM 0.17's Llama-3.1-70B FP8 on one H100, whose KV cache bounds the batch (the stack's memory reserved per card); every other 0.17 row, the A100 TP 2 rows that the same bound limits among them, is held out",
    picks: (row) => row.group === 'trtllm-0.17' && row.hardware === 'h100-sxm' && row.model === 'llama3.1-70b' && row.cards === 1,
  },
  {
    description: "TensorRT-LLM 0.17's Llama-3.1-70B FP8 on one H200, whose large batches make the FP8 GEMMs the bound (the stack's FP8 compute efficiency); its two- to eight-card rows, the 405B, the other boards and the 8B are held out",
    picks: (row) => row.group === 'trtllm-0.17' && row.hardware === 'h200-sxm' && row.model === 'llama3.1-70b' && row.cards === 1,
  },
  {
    description: "TensorRT-LLM 0.17's Mixtral-8x7B FP8 on the H100, every length and layout (the stack's expert compute efficiency); the other boards, Mixtral-8x22B and the 0.14 rows are held out",
    picks: (row) => row.group === 'trtllm-0.17' && row.hardware === 'h100-sxm' && row.model === 'mixtral-8x7b',
  },
];

/** Whether a row was fitted on, and the rule that says so (or that none does). */
export function splitOf(row: Measurement): { fit: boolean; rule: string } {
  const rule = FIT_RULES.find((r) => r.picks(row));
  return rule === undefined ? { fit: false, rule: 'held out' } : { fit: true, rule: rule.description };
}
