import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadHardware } from '../../../../src/backends/index.js';
import { loadIr, maskDirectory } from '../../../../src/ir/index.js';
import { simulateIr } from '../../../../src/backends/flightllm/engine/index.js';
import { profileToCsv } from '../../../../src/profiler/csv.js';
import { flightllm, NO_REFERENCE, REFERENCE_DIR, vhk158Hardware } from '../../../helpers.js';

/*
 * Parity with FlightLLM's own profiler: simulating its IR files must give its
 * CSVs byte for byte. A fast subset runs here; `npm run conformance` runs
 * every IR file that has a reference CSV.
 */
const CASES = ['llama2_decode_token_144', 'llama2_decode_token_512', 'llama2_decode_token_1024', 'llama2_prefill_token_128'];

function simulateReference(name: string, hardware = vhk158Hardware()): string {
  const ir = loadIr(join(REFERENCE_DIR, 'ir_output', `${name}.yaml`));
  return profileToCsv(simulateIr(ir, hardware, { masks: maskDirectory(join(REFERENCE_DIR, 'ir_output', 'attention_mask')) }));
}

describe('parity with FlightLLM', { skip: NO_REFERENCE }, () => {
  for (const name of CASES) {
    test(`${name} gives FlightLLM's CSV byte for byte`, () => {
      assert.equal(simulateReference(name), readFileSync(join(REFERENCE_DIR, 'profiler_output', `${name}.csv`), 'utf8'));
    });
  }

  test("FlightLLM's own config.yaml gives the same CSV as hardware/vhk158.yaml", () => {
    const name = 'llama2_decode_token_512';
    assert.equal(simulateReference(name, flightllm(loadHardware(join(REFERENCE_DIR, 'config.yaml')))), readFileSync(join(REFERENCE_DIR, 'profiler_output', `${name}.csv`), 'utf8'));
  });
});
