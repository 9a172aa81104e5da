import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dump, load } from 'js-yaml';
import { shippedHardwareNames } from '../../src/backends/index.js';
import { aliasBomb, ROOT, runMain, temporaryDirectory, tinyDecodeIr, tinyModelFile, tinySweepSpec, VHK158 } from '../helpers.js';

/*
 * Every mistake a user can make on the command line gets one clear paragraph
 * on stderr naming the file and the field, exit code 2, no stack trace and no
 * output file. Each case runs the CLI in this process, main(args, io);
 * test/cli/main.test.ts checks that the real binary exits and writes alike.
 */

const work = temporaryDirectory();
const file = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

const hardwareTree = () => load(readFileSync(VHK158, 'utf8')) as Record<string, any>;
const hardwareWith = (name: string, edit: (tree: Record<string, any>) => void) => {
  const tree = hardwareTree();
  edit(tree);
  return file(name, dump(tree));
};

const goodIr = file('good.yaml', dump(tinyDecodeIr()));
const tinyModel = tinyModelFile(work);
const attentionIr = file(
  'attention.yaml',
  dump([
    { name: 'in', type: 'input', input: [], output: [{ name: 'q', shape: [2, 128, 128], dtype: 'int8', addr: 0 }], structure: {} },
    {
      name: 'qkt',
      type: 'attention_mm',
      input: [
        { name: 'q', shape: [2, 128, 128], dtype: 'int8', addr: 0 },
        { name: 'k', shape: [2, 128, 128], dtype: 'int8', addr: 0 },
      ],
      output: [{ name: 's', shape: [2, 128, 128], dtype: 'int8', addr: 0 }],
      param: [{ name: 'attention_mask_0.mask', shape: [2, 2, 2], dtype: 'bool', addr: 0 }],
      structure: { bias_flag: false, mask_mode: 'qkt', relu_flag: false },
    },
    { name: 'out', type: 'output', input: [{ name: 's', shape: [2, 128, 128], dtype: 'int8', addr: 0 }], output: [], structure: {} },
  ]),
);

const modelFile = (name: string, architecture: Record<string, unknown>, mapping: Record<string, unknown> = {}) =>
  file(name, dump({ name: 'm', architecture: { hidden_size: 1024, intermediate_size: 2048, num_attention_heads: 16, num_hidden_layers: 2, vocab_size: 4096, max_position_embeddings: 2048, ...architecture }, mapping }));

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  /** The message must match this; it must also name this file when given. */
  readonly message: RegExp;
  readonly names?: string;
  /** An output file that must not exist afterwards. */
  readonly output?: string;
  /** Environment variables beside the parse cache's. */
  readonly env?: Readonly<Record<string, string>>;
}

const CASES: readonly Case[] = [
  { name: 'an unknown option', args: ['simulate', '--hardware', VHK158, '--ir', goodIr, '--frobnicate'], message: /unknown option '--frobnicate'/ },
  { name: 'an unknown command', args: ['simulat'], message: /unknown command 'simulat'/ },
  { name: 'a missing required option', args: ['simulate', '--ir', goodIr], message: /required option '--hardware <file>' not specified/ },
  { name: 'a non-numeric --jobs', args: ['simulate', '--hardware', VHK158, '--ir', goodIr, goodIr, '--jobs', 'many'], message: /option '--jobs <n>' argument 'many' is invalid\. expected a positive integer, got "many"/ },
  {
    name: 'a hardware name that is neither a file nor shipped',
    args: ['simulate', '--hardware', 'u290', '--ir', goodIr],
    message: new RegExp(`no hardware configuration "u290": it is neither a file nor a shipped name; shipped: ${shippedHardwareNames().join(', ')}\\.`),
  },
  { name: 'a model name that is neither a file nor shipped', args: ['compile', '--model', 'llama9-7b', '--stage', 'decode', '--tokens', '64', '--out', join(work, 'llama9')], message: /no model description "llama9-7b": it is neither a file nor a shipped name; shipped: .*llama2-7b/, output: join(work, 'llama9') },
  { name: 'a missing hardware file', args: ['simulate', '--hardware', join(work, 'none.yaml'), '--ir', goodIr], message: /cannot read hardware configuration: no such file/, names: 'none.yaml' },
  { name: 'malformed hardware YAML', args: ['simulate', '--hardware', file('hw-broken.yaml', 'clock: {frequencyMHz: 225\n'), '--ir', goodIr], message: /malformed YAML in hardware configuration: .* at line \d+, column \d+/, names: 'hw-broken.yaml' },
  {
    name: 'a hardware field missing',
    args: ['simulate', '--hardware', hardwareWith('hw-missing.yaml', (t) => delete t['hbm'].efficiency.crossChannel), '--ir', goodIr],
    message: /invalid hardware configuration: hbm\.efficiency\.crossChannel: expected a number, got nothing \(the field is missing\)/,
    names: 'hw-missing.yaml',
  },
  {
    name: 'a negative hardware field',
    args: ['simulate', '--hardware', hardwareWith('hw-negative.yaml', (t) => (t['buffers'].bias.depthWords = -4)), '--ir', goodIr],
    message: /invalid hardware configuration: buffers\.bias\.depthWords: expected a value > 0, got -4/,
    names: 'hw-negative.yaml',
  },
  {
    name: 'a non-numeric hardware field',
    args: ['simulate', '--hardware', hardwareWith('hw-text.yaml', (t) => (t['hbm'].channels = 'thirty-two')), '--ir', goodIr],
    message: /hbm\.channels: expected a number, got "thirty-two" \(used by hbm\.totalSizeGiB\)/,
    names: 'hw-text.yaml',
  },
  { name: 'a missing IR file', args: ['simulate', '--hardware', VHK158, '--ir', join(work, 'absent.yaml')], message: /cannot read IR file: no such file/, names: 'absent.yaml' },
  { name: 'malformed IR YAML', args: ['simulate', '--hardware', VHK158, '--ir', file('ir-broken.yaml', '- name: a\n  type: [input\n')], message: /malformed YAML in IR file: .* at line \d+, column \d+/, names: 'ir-broken.yaml' },
  {
    name: 'an unknown layer type',
    args: ['simulate', '--hardware', VHK158, '--ir', file('ir-type.yaml', dump(tinyDecodeIr()).replace('type: silu', 'type: gelu'))],
    message: /invalid IR: layer 3 "act"\.type: unknown type "gelu", expected one of input, output, linear_mm/,
    names: 'ir-type.yaml',
  },
  {
    name: 'a shape that breaks a layer rule',
    args: ['simulate', '--hardware', VHK158, '--ir', file('ir-shape.yaml', dump(tinyDecodeIr({ ffn: 2040 })))],
    message: /the IR cannot run on this hardware: layer 2 "gate"\.param\[0\]\.shape: N = 2040 must be a multiple of the block size 16/,
    names: 'ir-shape.yaml',
  },
  {
    name: 'a missing mask file',
    args: ['simulate', '--hardware', VHK158, '--ir', attentionIr, '--masks', join(work, 'masks'), '--csv', join(work, 'attention.csv')],
    message: /attention_mask_0\.mask\.npy: cannot read attention mask for layer "qkt": no such file\. Point --masks at the directory holding the masks\./,
    names: 'masks',
    output: join(work, 'attention.csv'),
  },
  { name: '--csv with several IR files', args: ['simulate', '--hardware', VHK158, '--ir', goodIr, goodIr, '--csv', join(work, 'x.csv')], message: /--csv takes one IR file; with several, use --out-dir/, output: join(work, 'x.csv') },
  {
    name: 'heads that do not divide the hidden size',
    args: ['compile', '--model', modelFile('model-heads.yaml', { num_attention_heads: 12 }), '--stage', 'decode', '--tokens', '64', '--out', join(work, 'heads')],
    message: /invalid model description: architecture\.num_attention_heads: 12 heads must divide hidden_size 1024/,
    names: 'model-heads.yaml',
    output: join(work, 'heads'),
  },
  {
    name: 'key/value heads that do not divide the heads',
    args: ['compile', '--model', modelFile('model-kv.yaml', { num_key_value_heads: 5 }), '--stage', 'decode', '--tokens', '64', '--out', join(work, 'kv')],
    message: /architecture\.num_key_value_heads: 5 key\/value heads must divide num_attention_heads 16/,
    names: 'model-kv.yaml',
    output: join(work, 'kv'),
  },
  {
    name: 'an unknown mask pattern',
    args: ['compile', '--model', modelFile('model-pattern.yaml', {}, { attentionMasks: { pattern: 'strided' } }), '--stage', 'prefill', '--tokens', '128', '--out', join(work, 'pattern')],
    message: /mapping\.attentionMasks\.pattern: unknown pattern "strided", expected one of dense, local\+sink, density/,
    names: 'model-pattern.yaml',
    output: join(work, 'pattern'),
  },
  {
    name: 'a dimension that is not a multiple of the block size',
    args: ['compile', '--model', modelFile('model-block.yaml', { intermediate_size: 2050 }), '--stage', 'decode', '--tokens', '64', '--out', join(work, 'block')],
    message: /architecture\.intermediate_size: 2050 is not a multiple of the accelerator's block size 16/,
    output: join(work, 'block'),
  },
  {
    name: 'a length above the maximum',
    args: ['compile', '--model', join(ROOT, 'ir', 'llama2-7b.yaml'), '--stage', 'prefill', '--tokens', '4096', '--out', join(work, 'long')],
    message: /invalid length: tokens: 4096 tokens exceed vhk158's limit of 2048 tokens \(sparsity\.maxTokens\)/,
    output: join(work, 'long'),
  },
  {
    name: 'a model that does not fit in the memory of the board',
    args: ['compile', '--model', join(ROOT, 'ir', 'qwen2.5-32b.yaml'), '--stage', 'decode', '--tokens', '2048', '--out', join(work, 'big')],
    message: /Qwen2\.5-32B does not fit in HBM of vhk158: it needs \d+\.\d\d GiB of weights \+ .* and vhk158 has 8\.00 GiB/,
    output: join(work, 'big'),
  },
  { name: 'an unknown stage', args: ['compile', '--model', join(ROOT, 'ir', 'llama2-7b.yaml'), '--stage', 'train', '--tokens', '4', '--out', work], message: /option '--stage <stage>' argument 'train' is invalid\. expected prefill or decode/ },
  {
    name: 'a malformed GPU profile',
    args: ['profile', '--model', tinyModel, '--cases', '1x100x20', '--out-dir', join(work, 'gpu-out'), '--gpu', file('gpu.csv', 'device,backend,batch,prompt,generated,prefill_ms,decode_ms,total_ms,source\nA100,vllm,1,100,twenty,1,2,3,x\n')],
    message: /gpu\.csv: invalid GPU profile: line 2, generated: expected a number, got "twenty"/,
  },
  {
    name: 'a malformed case list',
    args: ['profile', '--model', tinyModel, '--cases', '1x128x512,1x128', '--out-dir', join(work, 'cases-out')],
    message: /invalid case "1x128" in --cases: expected batch x prompt x generated/,
  },
  {
    name: 'a malformed case file',
    args: ['profile', '--model', tinyModel, '--out-dir', join(work, 'cases-out'), '--cases', file('cases.yaml', 'cases:\n  - { batch: 1, prompt: 128 }\n')],
    message: /cases\.yaml: invalid case list: cases\[0\]\.generated: expected a number, got nothing/,
  },
  {
    name: 'a case longer than the model allows',
    args: ['profile', '--model', tinyModel, '--cases', '1x1024x1500', '--out-dir', join(work, 'long-out')],
    message: /case 1x1024x1500: prompt \+ generated = 2524 tokens exceeds vhk158's limit of 2048 tokens \(sparsity\.maxTokens\)/,
  },
  { name: 'a trace window that is not start:end', args: ['simulate', '--hardware', VHK158, '--ir', goodIr, '--trace', join(work, 't.json'), '--trace-window', '5'], message: /option '--trace-window <start:end>' argument '5' is invalid/, output: join(work, 't.json') },
  { name: 'a saved FPGA profile of the wrong shape', args: ['compare', '--gpu', join(ROOT, 'compiler_output', 'gpu_profile', 'a100-vllm.csv'), '--fpga', file('fpga.json', '{"hardware":"vhk158","cases":[]}')], message: /fpga\.json: invalid FPGA profile \(expected the output of profile --json\): model: expected a string, got nothing/ },
  {
    name: 'a design that does not fit its FPGA device (step)',
    args: ['step', '--hardware', 'u280', '--model', tinyModel, '--seq', '1@64', '--set', 'mpe.matrixVector.parallelism.n=512'],
    message: /u280's design does not fit its device XCU280 \(xcu280-fsvh2892-2L-e\): DSP slices: 12,480 \+ 4 the platform keeps of 9,024 \(138\.3 %\)\./,
  },
  {
    name: 'HBM bandwidth above the device data sheet (serve)',
    args: ['serve', '--hardware', 'vhk158', '--model', tinyModel, '--num-prompts', '1', '--set', 'hbm.bandwidthGiBps=1228.8'],
    message: /vhk158's design does not fit its device XCVH1582 .*: HBM bandwidth, GB\/s: 1,228\.8 of 819\.2 \(150\.0 %\)\./,
  },
  {
    name: 'a clock above the DSP slices\' maximum (profile)',
    args: ['profile', '--hardware', 'u280', '--model', tinyModel, '--cases', '1x128x16', '--set', 'clock.frequencyMHz=700', '--out-dir', join(work, 'fit-profile')],
    message: /u280's design does not fit its device XCU280 .*: clock, MHz \(DSP48E2 maximum\): 700 of 644 \(108\.7 %\)\./,
    output: join(work, 'fit-profile'),
  },
  {
    name: 'a board naming an FPGA device that is not shipped',
    args: ['simulate', '--hardware', hardwareWith('hw-device.yaml', (t) => (t['device'] = 'xcvu9p')), '--ir', goodIr],
    message: /no FPGA device "xcvu9p": it is neither a file nor a shipped name; shipped: xcu250, xcu280, xcv80, xcvh1582\./,
  },
  {
    name: 'an FPGA device file with a mistake',
    args: ['simulate', '--hardware', hardwareWith('hw-bad-device.yaml', (t) => (t['device'] = file('bad-device.yaml', readFileSync(join(ROOT, 'hardware', 'devices', 'xcu280.yaml'), 'utf8').replace('int8MacsPerSlice: 2', 'int8MacsPerSlice: two')))), '--ir', goodIr],
    message: /invalid FPGA device: dsp\.int8MacsPerSlice: expected a number, got "two"/,
    names: 'bad-device.yaml',
  },
  ...issue19Cases(),
  { name: 'a conformance directory without reference data', args: ['conformance', '--reference', work], message: /no reference cases in .*: expected ir_output\/<name>\.yaml files with matching profiler_output\/<name>\.csv files; `npm run fetch-reference` fetches them\./ },
  ...expertCases(),
  ...sweepCases(),
];

/** Mixtures of experts and latent attention. */
function expertCases(): Case[] {
  return [
    { name: 'an expert load of no known shape', args: ['step', '--model', 'mixtral-8x7b', '--hardware', 'v80', '--seq', '1@64', '--expert-load', 'zipf:-1'], message: /option '--expert-load <load>' argument 'zipf:-1' is invalid\. expected uniform or zipf:<exponent> with a positive exponent, e\.g\. zipf:1\.2, got "zipf:-1"/ },
    { name: 'latent attention on a FlightLLM board', args: ['step', '--model', 'deepseek-v2-lite', '--hardware', 'v80', '--seq', '1@64'], message: /architecture\.kv_lora_rank: multi-head latent attention is not lowered for v80's kind of hardware/ },
    { name: 'a mixture of experts described in part', args: ['step', '--model', modelFile('moe-part.yaml', { n_routed_experts: 8 }), '--hardware', 'a100-80gb-sxm', '--seq', '1@64'], message: /moe-part\.yaml: invalid model description: architecture\.num_experts_per_tok: a mixture of experts \(n_routed_experts\) needs it/ },
    { name: 'a mixture of experts too large for the board', args: ['step', '--model', 'mixtral-8x7b', '--hardware', 'vhk158', '--seq', '1@64'], message: /Mixtral-8x7B does not fit in HBM of vhk158: it needs \d+\.\d\d GiB of weights \(all 8 routed experts of each sparse layer\)/ },
  ];
}

/** Inputs that once crashed, hung, ran out of memory or were silently wrong (issue 19). */
function issue19Cases(): Case[] {
  const A100_VLLM = join(ROOT, 'compiler_output', 'gpu_profile', 'a100-vllm.csv');
  const aFile = file('a-file', 'not a directory');
  const aDirectory = join(work, 'a-directory');
  mkdirSync(aDirectory, { recursive: true });
  const spec = file('sweep19.yaml', dump(tinySweepSpec(work)));
  return [
    { name: 'a --set key through __proto__', args: ['simulate', '--hardware', VHK158, '--ir', goodIr, '--set', '__proto__.polluted=1'], message: /invalid hardware override: __proto__\.polluted: "__proto__" is not a key a hardware file can have/ },
    {
      name: 'an expression that assigns another key',
      args: ['simulate', '--hardware', VHK158, '--ir', goodIr, '--set', 'hbm.bandwidthGiBps== (clock.frequencyMHz = 1000) + 460'],
      message: /invalid expression in hardware configuration: hbm\.bandwidthGiBps: expression " \(clock\.frequencyMHz = 1000\) \+ 460" uses an assignment, which expressions may not/,
    },
    { name: 'an expression that would build a huge matrix', args: ['simulate', '--hardware', VHK158, '--ir', goodIr, '--set', 'hbm.bandwidthGiBps== size(zeros(100000, 100000))'], message: /uses the function size/ },
    { name: 'a YAML alias bomb in a hardware file', args: ['simulate', '--hardware', file('bomb.yaml', aliasBomb(9)), '--ir', goodIr], message: /bomb\.yaml: hardware configuration too large: it holds more than 1,000,000 values once its aliases/ },
    { name: 'a sweep --out that is a file', args: ['sweep', spec, '--out', aFile], message: /a-file: cannot write output: it is a file, not a directory\./ },
    { name: 'a sweep --out below a file', args: ['sweep', spec, '--out', join(aFile, 'out')], message: /cannot write output: .*a-file is a file, not a directory\./, output: join(aFile, 'out') },
    { name: 'a sweep named ..', args: ['sweep', file('dots.yaml', dump({ ...tinySweepSpec(work), name: '..' }))], message: /invalid sweep spec: name: expected a name with a letter or digit/ },
    {
      name: 'a sweep grid of 10^9 points',
      args: ['sweep', file('huge.yaml', dump({ name: 'huge', axes: { set: Object.fromEntries(Array.from({ length: 9 }, (_, at) => [`k${at}`, { min: 1, max: 10, steps: 10 }])) } }))],
      message: /axes: the grid has 1,000,000,000 points .*MAX_SWEEP_POINTS/,
    },
    { name: 'a queue name BullMQ cannot keep', args: ['sweep', spec, '--queue', 'redis://127.0.0.1:1', '--queue-name', 'a:b', '--out', join(work, 'q')], message: /invalid --queue-name "a:b"/, output: join(work, 'q') },
    {
      name: 'a --csv that is a directory, beside a --trace',
      args: ['simulate', '--hardware', VHK158, '--ir', goodIr, '--trace', join(work, 'set-trace.json'), '--csv', aDirectory],
      message: /a-directory: cannot write output: it is a directory, not a file\./,
      output: join(work, 'set-trace.json'),
    },
    { name: 'a --trace below a file', args: ['simulate', '--hardware', VHK158, '--ir', goodIr, '--trace', join(aFile, 't.json')], message: /cannot write output: .*a-file is a file, not a directory/ },
    { name: 'a --out-dir that is a file', args: ['simulate', '--hardware', VHK158, '--ir', goodIr, goodIr, '--out-dir', aFile], message: /a-file: cannot write output: it is a file/ },
    { name: 'a calibrate --out that is a directory', args: ['calibrate', '--gpu', A100_VLLM, '--precision', 'FP16', '--out', aDirectory], message: /a-directory: cannot write output: it is a directory, not a file/ },
    { name: 'a figures --out that is a file', args: ['figures', '--model', tinyModel, '--cases', '1x16x8', '--out', aFile, '--out-dir', join(work, 'fig-cache')], message: /a-file: cannot write output: it is a file, not a directory/, output: join(work, 'fig-cache') },
    { name: 'a compile --out below a file', args: ['compile', '--model', tinyModel, '--stage', 'decode', '--tokens', '16', '--out', join(aFile, 'ir')], message: /cannot write output: .*a-file is a file, not a directory/ },
    { name: 'a truncated --fpga JSON', args: ['compare', '--gpu', A100_VLLM, '--fpga', file('cut.json', '{"hardware":"vhk158","cas')], message: /cut\.json: invalid FPGA profile: not JSON/ },
    ...servingCases(aFile),
    {
      name: 'two GPU profiles of the same device and backend',
      args: ['compare', '--gpu', A100_VLLM, file('copy-of-vllm.csv', readFileSync(A100_VLLM, 'utf8')), '--model', tinyModel],
      message: /two GPU profiles of GPU-opt on A100-80GB \(inferred\): .*a100-vllm\.csv and .*copy-of-vllm\.csv both hold it/,
    },
  ];
}

/** Serving runs too large, too slow to resolve, or told nonsense. */
function servingCases(aFile: string): Case[] {
  const serve = ['serve', '--model', tinyModel, '--random-input-len', '32', '--random-output-len', '4'];
  const kept = join(work, 'kept.csv');
  return [
    { name: '--num-prompts 1e9', args: [...serve, '--num-prompts', '1e9'], message: /--num-prompts: 1000000000 requests: at most 100,000 are served in one run \(MAX_REQUESTS_PER_RUN\)/ },
    { name: '--request-rate 1e-15', args: [...serve, '--request-rate', '1e-15'], message: /--request-rate: 1000 requests at 1e-15 per second are sent over 1\.000e\+18 s: a run may last at most 4\.398e\+9 s \(MAX_SERVING_TIME_MS\)/ },
    { name: '--num-gpu-blocks-override 1e12', args: [...serve, '--num-prompts', '2', '--num-gpu-blocks-override', '1e12'], message: /--num-gpu-blocks-override: 1000000000000 blocks: at most 10,000,000 are kept \(MAX_KV_BLOCKS\)/ },
    { name: '--metric-percentiles ,', args: [...serve, '--metric-percentiles', ','], message: /option '--metric-percentiles <list>' argument ',' is invalid\. expected percentiles between 0 and 100/ },
    { name: 'a percentile given twice', args: [...serve, '--metric-percentiles', '50,99,50'], message: /each percentile once, got 50 twice/ },
    { name: 'a step of 10^5 sequences', args: ['step', '--model', tinyModel, '--seq', '1@0x100000'], message: /"1@0x100000": 100000 sequences in one step; at most 16384 are taken \(MAX_BATCH_SEQUENCES\)/ },
    { name: 'a case batch of 10^8 sequences', args: ['profile', '--model', tinyModel, '--cases', '100000000x1x1', '--out-dir', join(work, 'batch-out')], message: /a batch of at most 16384 sequences is taken \(MAX_BATCH_SEQUENCES\)/ },
    { name: '--jobs beyond the threads per core', args: ['simulate', '--hardware', VHK158, '--ir', goodIr, goodIr, '--jobs', '100000'], message: /at most \d+ worker threads on this machine \(4 per core, MAX_THREADS_PER_CORE\), got 100000/ },
    { name: 'bench --max-concurrency 1.5', args: ['bench', '--model', tinyModel, '--max-concurrency', '1.5'], message: /--max-concurrency expects positive whole numbers, comma-separated, got "1\.5"/ },
    {
      name: 'a JSONL trace whose count is text',
      args: [...serve, '--dataset-name', 'trace', '--dataset-path', file('text.jsonl', '{"input_toks": "64", "output_toks": 4, "arrival_time_ns": 0}\n')],
      message: /text\.jsonl: invalid trace: line 1: input_toks: expected a JSON number, got "64"/,
    },
    { name: 'a --result-dir that is a file', args: [...serve, '--num-prompts', '2', '--save-result', '--result-dir', aFile, '--requests-csv', kept], message: /a-file: cannot write output: it is a file, not a directory/, output: kept },
    { name: 'a serve --trace below a file', args: [...serve, '--num-prompts', '2', '--trace', join(aFile, 't.json'), '--requests-csv', kept], message: /cannot write output: .*a-file is a file, not a directory/, output: kept },
    { name: 'a bench --figures that is a file', args: ['bench', '--model', tinyModel, '--max-concurrency', '1', '--num-prompts', '2', '--figures', aFile], message: /a-file: cannot write output: it is a file, not a directory/ },
  ];
}

/** Sweeps: a spec, its shard, merging shards, a queue. */
function sweepCases(): Case[] {
  const spec = file('sweep.yaml', dump(tinySweepSpec(work)));
  const out = join(work, 'sweep-out');
  return [
    { name: 'a sweep constraint with neither bound', args: ['sweep', file('bad-constraint.yaml', 'name: bad\nconstraints: { resourceUtilization: {} }\n')], message: /bad-constraint\.yaml: invalid sweep spec: constraints\.resourceUtilization: expected min, max or both/ },
    { name: 'a sweep spec with an unknown objective', args: ['sweep', file('bad-sweep.yaml', 'name: bad\nobjectives: [tokensPerWatt]\n')], message: /bad-sweep\.yaml: invalid sweep spec: objectives\[0\]: expected one of "decodeTokensPerSecond"/ },
    { name: 'a shard beyond the count', args: ['sweep', spec, '--shard', '2/2', '--out', out], message: /option '--shard <i\/n>' argument '2\/2' is invalid\. expected i\/n with 0 <= i < n/, output: out },
    { name: 'an Indexed Job without --shard-count', args: ['sweep', spec, '--out', out], env: { JOB_COMPLETION_INDEX: '1' }, message: /JOB_COMPLETION_INDEX=1 is set, but not --shard-count: give the Indexed Job's completions as --shard-count/, output: out },
    { name: 'a Slurm array task without its count', args: ['sweep', spec, '--out', out], env: { SLURM_ARRAY_TASK_ID: '3' }, message: /no shard can be read from SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_MIN=\(unset\), SLURM_ARRAY_TASK_COUNT=\(unset\)/, output: out },
    { name: 'sweep merge without shards', args: ['sweep', 'merge', '--out', out], message: /sweep merge needs the output directories of the shards/, output: out },
    { name: 'sweep merge of a directory no sweep wrote', args: ['sweep', 'merge', '--out', out, work], message: /not the output of a sweep: no .*sweep\.json/, output: out },
    { name: 'a queue on another machine', args: ['sweep', spec, '--queue', 'redis://192.168.1.20:6379', '--out', out], message: /--queue redis:\/\/192\.168\.1\.20:6379: 192\.168\.1\.20 is not a loopback address/, output: out },
    { name: 'a worker whose Redis is down', args: ['worker', '--queue', 'redis://127.0.0.1:1', '--jobs', '1'], message: /cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\. Is redis-server running there\?/ },
  ];
}

describe('user errors', () => {
  for (const c of CASES) {
    test(`${c.name}: exit 2, one paragraph, no stack trace, nothing written`, async () => {
      const result = await runMain(c.args, { env: { FPGA_LLM_SIM_CACHE: join(work, 'cache'), ...c.env } });
      assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
      assert.match(result.stderr, c.message);
      assert.match(result.stderr, /^fpga-llm-sim: error: /);
      assert.doesNotMatch(result.stderr, /\n\s+at .*:\d+:\d+/, 'no stack trace');
      assert.ok(!result.stderr.trimEnd().split('\n')[0]!.includes('internal error'));
      if (c.names !== undefined) assert.ok(result.stderr.includes(c.names), `names ${c.names}`);
      assert.equal(result.stdout, '');
      if (c.output !== undefined) assert.equal(existsSync(c.output), false, `${c.output} must not be written`);
    });
  }

  test('no temporary file is left behind by a failed run', () => {
    assert.deepEqual(readdirSync(work).filter((name) => name.endsWith('.tmp')), []);
  });
});
