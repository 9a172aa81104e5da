import { loadHardware, loadModel, createStepCostModel } from '../src/index.js';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
const { model } = loadModel('/work/main/ir/llama2-7b.yaml');
const hw = loadHardware(`/work/main/hardware/${process.argv[2]}.yaml`);
const costs = createStepCostModel({ hardware: hw, model });
const rng = xoroshiro128plus(7);
const int = (a: number, b: number) => uniformInt(rng, a, b);
const batches = Array.from({ length: 200 }, () => {
  const B = int(1, 64);
  const seqs = Array.from({ length: B }, () => int(0, 9) === 0 ? { newTokens: int(2, 256), context: int(0, 1024) } : { newTokens: 1, context: int(1, 2047) });
  // KV capacity: keep total tokens under ~18k
  let total = seqs.reduce((s, q) => s + q.context + q.newTokens, 0);
  while (total > 18000 && seqs.length > 1) { const q = seqs.pop()!; total -= q.context + q.newTokens; }
  return { sequences: seqs };
});
let t0 = performance.now();
for (const b of batches) costs.fast(b);
console.log('cold fast', (performance.now() - t0).toFixed(0), 'ms');
t0 = performance.now();
let n = 0;
while (performance.now() - t0 < 2000) { for (const b of batches) { costs.fast(b); n++; } }
console.log('warm fast', (n / ((performance.now() - t0) / 1000)).toFixed(0), 'per s');
