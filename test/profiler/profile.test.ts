import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compileModel, generatedMasks } from '../../src/compiler/index.js';
import { loadIr, maskDirectory } from '../../src/ir/index.js';
import { loadModel } from '../../src/model/index.js';
import { compareWithGpu, formatCaseTable, loadCases, loadGpuProfile, profileCases } from '../../src/profiler/index.js';
import { simulateIr } from '../../src/backends/flightllm/engine/index.js';
import { NO_REFERENCE, REFERENCE_DIR, ROOT, vhk158Hardware } from '../helpers.js';
import { compileTarget } from '../../src/backends/index.js';

// FlightLLM's README as `npm run fetch-reference` fetches it, else the team's seed copy of it.
const SEED = [join(REFERENCE_DIR, 'flightllm-README.md'), join(REFERENCE_DIR, '..', '..', 'seeds', '004_a453d3813fbac32e.txt')].find((path) => existsSync(path)) ?? join(REFERENCE_DIR, 'flightllm-README.md');
const NO_SEED = NO_REFERENCE !== false ? NO_REFERENCE : existsSync(SEED) ? false : `seed document not found at ${SEED}`;

/** The six-case table printed in FlightLLM's README (the seed). */
function seedTable(): string {
  const text = readFileSync(SEED, 'utf8');
  const start = text.indexOf('+--------Case');
  return `${text.slice(start, text.indexOf('```', start)).trimEnd()}\n`;
}

describe('the six-case table', { skip: NO_SEED }, () => {
  test("compiled from ir/llama2-7b.yaml with FlightLLM's masks, it is the seed's table character for character", async () => {
    const { model } = loadModel(join(ROOT, 'ir', 'llama2-7b.yaml'));
    const gpus = readdirSync(join(ROOT, 'compiler_output', 'gpu_profile'))
      .sort()
      .map((file) => loadGpuProfile(join(ROOT, 'compiler_output', 'gpu_profile', file)));
    const result = await profileCases({
      hardware: vhk158Hardware(),
      cases: loadCases(join(ROOT, 'ir', 'cases', 'figure12.yaml')),
      source: { kind: 'model', model, masksDir: join(REFERENCE_DIR, 'ir_output', 'attention_mask') },
      // In this thread: the test runner already runs another file on the other core, and worker threads start slowly under tsx.
      threads: 1,
    });
    const comparison = compareWithGpu(result.cases, gpus);
    const table = formatCaseTable({
      model: model.displayName!,
      deviceLabel: 'VHK158 FPGA',
      rows: comparison.cases.map((row) => ({ case: row.case, device: row.device, gpus: comparison.backends.map((label) => ({ label, figures: row.gpu[label] })) })),
    });
    assert.equal(table, seedTable());
  });
});

describe('our own masks', { skip: NO_REFERENCE }, () => {
  test("prefill at 128 tokens gives FlightLLM's latency: its first two mask blocks are causal in both", () => {
    const { model } = loadModel(join(ROOT, 'ir', 'llama2-7b.yaml'));
    const ir = compileModel(model, { stage: 'prefill', tokens: 128, target: compileTarget(vhk158Hardware()) }).ir;
    const ours = simulateIr(ir, vhk158Hardware(), { masks: generatedMasks(model, compileTarget(vhk158Hardware())) }).totalMs;
    const theirs = simulateIr(loadIr(join(REFERENCE_DIR, 'ir_output', 'llama2_prefill_token_128.yaml')), vhk158Hardware(), { masks: maskDirectory(join(REFERENCE_DIR, 'ir_output', 'attention_mask')) }).totalMs;
    assert.equal(ours, theirs);
  });
});
