import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dump, load as parseYamlText } from 'js-yaml';
import { ConfigError } from '../../src/errors.js';
import { loadHardware, parseHardware, type DpuHostHardware, type Hardware, type RooflineHardware } from '../../src/backends/index.js';
import { ContentCache } from '../../src/util/cache.js';
import { flightllm, ROOT, temporaryDirectory, thrown, VHK158, vhk158Hardware } from '../helpers.js';

const board = (name: string) => join(ROOT, 'hardware', `${name}.yaml`);
const U250 = board('u250');

function dpuHost(hw: Hardware): DpuHostHardware {
  if (hw.kind !== 'dpu-host') throw new Error(`expected dpu-host hardware, got ${hw.kind}`);
  return hw;
}


/** The shipped VHK158 file as a plain object, to edit in tests. */
function vhk158Tree(): Record<string, any> {
  return parseYamlText(readFileSync(VHK158, 'utf8')) as Record<string, any>;
}

describe('the shipped boards', () => {
  const kinds: Array<[string, Hardware['kind']]> = [
    ['vhk158', 'flightllm'],
    ['u280', 'flightllm'],
    ['v80', 'flightllm'],
    ['u250', 'dpu-host'],
  ];
  for (const [name, kind] of kinds) {
    test(`${name}.yaml loads as ${kind} hardware named ${name}`, () => {
      const hw = loadHardware(board(name));
      assert.equal(hw.kind, kind);
      assert.equal(hw.name, name);
    });
  }

  for (const name of ['u280', 'v80']) {
    test(`${name} inherits vhk158's engines, buffers and sparsity layout unchanged`, () => {
      const hw = flightllm(loadHardware(board(name)));
      const base = vhk158Hardware();
      assert.deepEqual(hw.mpe, base.mpe);
      assert.deepEqual(hw.vpe, base.vpe);
      assert.deepEqual(hw.buffers, base.buffers);
      assert.deepEqual(hw.sparsity, base.sparsity);
      assert.deepEqual(hw.hbm.efficiency, base.hbm.efficiency);
      assert.deepEqual(hw.calibration.weightStreamBits, base.calibration.weightStreamBits);
      assert.equal(hw.clock.frequencyMHz, base.clock.frequencyMHz);
    });
  }

  test('u280 overrides the SLR count, HBM bandwidth and time divisor, and keeps the int8 rates beside its own fp16 ones', () => {
    const hw = flightllm(loadHardware(board('u280')));
    assert.equal(hw.slrCount, 3);
    // 460 GB/s (decimal) held in GiB/s.
    assert.equal(hw.hbm.bandwidthGiBps, 460e9 / 2 ** 30);
    assert.equal(hw.hbm.totalSizeGiB, (32 * 256) / 1024);
    // FlightLLM's 3.2 read as 4 SLRs × 0.8, scaled to 3 SLRs.
    assert.equal(hw.calibration.timeDivisor, hw.slrCount * 0.8);
    // deepmerge merges the precision mapping key by key: vhk158's int8 row survives.
    assert.deepEqual(hw.precision.matrixRate.int8, vhk158Hardware().precision.matrixRate.int8);
    assert.deepEqual(hw.precision.matrixRate.fp16, { fp16: 0.5, int8: 0.5, int4: 0.5 });
  });

  test('v80 overrides the SLR count, HBM size and bandwidth, and time divisor', () => {
    const hw = flightllm(loadHardware(board('v80')));
    assert.equal(hw.slrCount, 3);
    // AMD PG313: two HBM2e stacks of eight 128-bit channels at 3200 MT/s = 819.2 GB/s.
    assert.equal(hw.hbm.bandwidthGiBps, (2 * 8 * 128 * 3200e6) / 8 / 2 ** 30);
    assert.equal(hw.hbm.totalSizeGiB, (32 * 1024) / 1024);
    assert.equal(hw.hbm.totalSizeGiB, 32);
    assert.equal(hw.calibration.timeDivisor, hw.slrCount * 0.8);
  });

  test("u250's DDR total is its channels times their size: 4 × 16 = 64 GiB", () => {
    const hw = dpuHost(loadHardware(U250));
    assert.equal(hw.card.ddr.totalSizeGiB, hw.card.ddr.channels * hw.card.ddr.channelSizeGiB);
    assert.equal(hw.card.ddr.totalSizeGiB, 64);
  });
});

describe('extends', () => {
  test('two files extending each other are a ConfigError at `extends` that names the cycle', () => {
    const directory = temporaryDirectory();
    const a = join(directory, 'a.yaml');
    const b = join(directory, 'b.yaml');
    writeFileSync(a, 'extends: b.yaml\nname: a\n');
    writeFileSync(b, 'extends: a.yaml\nname: b\n');
    const error = thrown(ConfigError, () => loadHardware(a));
    assert.equal(error.issues.length, 1);
    assert.equal(error.issues[0]!.path, 'extends');
    assert.match(error.issues[0]!.message, /cycle/);
    assert.ok(error.message.includes(`${a} → ${b} → ${a}`), error.message);
  });

  test('a file extending itself is a cycle too', () => {
    const file = join(temporaryDirectory(), 'self.yaml');
    writeFileSync(file, 'extends: self.yaml\n');
    assert.match(thrown(ConfigError, () => loadHardware(file)).message, /extends: files extend each other in a cycle/);
  });

  test('a missing parent is reported with its path', () => {
    const directory = temporaryDirectory();
    const child = join(directory, 'child.yaml');
    writeFileSync(child, 'extends: absent-parent.yaml\nname: child\n');
    const error = thrown(ConfigError, () => loadHardware(child));
    assert.ok(error.message.includes(join(directory, 'absent-parent.yaml')), error.message);
    assert.match(error.message, /cannot read hardware configuration: no such file/);
  });

  test("a child's keys replace the parent's; nested mappings merge key by key and lists are replaced whole", () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'parent.yaml'), readFileSync(U250, 'utf8'));
    const child = join(directory, 'child.yaml');
    writeFileSync(child, dump({ extends: 'parent.yaml', name: 'child', dpu: { precision: { weights: ['int8', 'int4'] } }, card: { ddr: { efficiency: 0.5 } } }));
    const hw = dpuHost(loadHardware(child));
    const parent = dpuHost(loadHardware(U250));
    assert.equal(hw.name, 'child');
    assert.deepEqual(hw.dpu.precision, { weights: ['int8', 'int4'], activations: parent.dpu.precision.activations });
    assert.deepEqual(hw.card.ddr, { ...parent.card.ddr, efficiency: 0.5 });
  });

  test('a cached load notices an edited parent', () => {
    const directory = temporaryDirectory();
    const cache = new ContentCache(join(directory, 'cache'));
    const parent = join(directory, 'parent.yaml');
    const child = join(directory, 'child.yaml');
    writeFileSync(parent, readFileSync(VHK158, 'utf8'));
    writeFileSync(child, 'extends: parent.yaml\nname: child\n');
    assert.equal(flightllm(loadHardware(child, { cache })).clock.frequencyMHz, 225);
    const edited = vhk158Tree();
    edited['clock'].frequencyMHz = 300;
    writeFileSync(parent, dump(edited));
    assert.equal(flightllm(loadHardware(child, { cache })).clock.frequencyMHz, 300);
  });
});

describe('kinds', () => {
  test('a file without `kind` describes FlightLLM hardware', () => {
    const tree = vhk158Tree();
    delete tree['kind'];
    const file = join(temporaryDirectory(), 'nokind.yaml');
    writeFileSync(file, dump(tree));
    const hw = loadHardware(file);
    assert.equal(hw.kind, 'flightllm');
    assert.deepEqual({ ...hw, kind: undefined }, { ...vhk158Hardware(), kind: undefined });
  });

  test('an unknown kind is refused, listing the kinds there are', () => {
    const error = thrown(ConfigError, () => parseHardware({ ...vhk158Tree(), kind: 'tpu' }, { file: 'x.yaml' }));
    assert.deepEqual(error.issues.map((issue) => issue.path), ['kind']);
    assert.match(error.message, /kind: unknown kind "tpu", expected one of flightllm, dpu-host/);
  });
});

describe('overrides', () => {
  test('a dotted key replaces a value, and expressions that use it follow', () => {
    const channels = 16;
    const hw = flightllm(loadHardware(VHK158, { overrides: { 'hbm.channels': channels } }));
    assert.equal(hw.hbm.channels, channels);
    // totalSizeGiB is "= hbm.channels * hbm.channelSizeMiB / 1024" in the file.
    assert.equal(hw.hbm.totalSizeGiB, (channels * hw.hbm.channelSizeMiB) / 1024);
    assert.notEqual(hw.hbm.totalSizeGiB, vhk158Hardware().hbm.totalSizeGiB);
  });

  test('an override may be an expression itself, and applies to a file that extends another', () => {
    const hw = flightllm(loadHardware(board('u280'), { overrides: { slrCount: 4, 'hbm.bandwidthGiBps': '= 2 * 100' } }));
    assert.equal(hw.calibration.timeDivisor, 4 * 0.8);
    assert.equal(hw.hbm.bandwidthGiBps, 200);
  });

  test('overrides do not change the file or a later load without them', () => {
    loadHardware(VHK158, { overrides: { 'clock.frequencyMHz': 100 } });
    assert.equal(flightllm(loadHardware(VHK158)).clock.frequencyMHz, 225);
  });

  for (const key of ['hbm.nonsense.deep', 'hbm.channels.deep']) {
    test(`an override under a path that is not a mapping (${key}) is a ConfigError naming the key`, () => {
      const error = thrown(ConfigError, () => loadHardware(VHK158, { overrides: { [key]: 3 } }));
      assert.deepEqual(error.issues.map((issue) => issue.path), [key]);
      const parent = key.split('.').slice(0, -1).join('.');
      assert.match(error.message, new RegExp(`invalid hardware override: ${key.replace(/\./g, '\\.')}: ${parent.replace(/\./g, '\\.')} is not a mapping`));
    });
  }

  for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'hbm.__proto__.polluted']) {
    test(`an override through what every object inherits (${key}) is refused, and pollutes nothing`, () => {
      const error = thrown(ConfigError, () => loadHardware(VHK158, { overrides: { [key]: 1 } }));
      assert.deepEqual(error.issues.map((issue) => issue.path), [key]);
      assert.match(error.message, /is not a key a hardware file can have/);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    });
  }

  test('a new key inside an existing mapping is judged by the schema', () => {
    const error = thrown(ConfigError, () => loadHardware(VHK158, { overrides: { 'hbm.bandwithGiBps': 1 } }));
    assert.deepEqual(error.issues, [{ path: 'hbm', message: 'unknown key "bandwithGiBps", got a mapping' }]);
  });
});

describe('the GPU boards of the validation set, as their data sheets give them', () => {
  const roofline = (name: string): RooflineHardware => {
    const hw = loadHardware(board(name));
    if (hw.kind !== 'roofline') throw new Error(`expected roofline hardware, got ${hw.kind}`);
    return hw;
  };
  // [memory GiB, GB/s, dense fp16 TOPS, TDP W]: the figures each file quotes from its sources.
  const sheets: Array<[string, number, number, number, number]> = [
    ['gh200-480gb', 96, 4000, 989.4, 900],
    ['gh200-144gb', 144, 4900, 989.4, 900],
    ['gh200', 96, 4000, 989.4, 900],
    ['l40s', 48, 864, 362.05, 350],
    ['mi300x', 192, 5300, 1307.4, 750],
    // One GCD: half of the module's 128 GB, 3,276.8 GB/s, 362.1 or 383.0 TFLOPS, 560 W.
    ['mi250-gcd', 64, 1638.4, 181.05, 280],
    ['mi250x-gcd', 64, 1638.4, 191.5, 280],
  ];
  for (const [name, capacityGiB, bandwidthGBps, fp16, maxWatts] of sheets) {
    test(`${name} loads with ${capacityGiB} GiB at ${bandwidthGBps} GB/s, ${fp16} fp16 TOPS, ${maxWatts} W, and says it is not calibrated`, () => {
      const hw = roofline(name);
      assert.equal(hw.name, name);
      assert.deepEqual([hw.memory.capacityGiB, hw.memory.bandwidthGBps, hw.compute.peakTops.fp16, hw.energy?.dynamic.model === 'work' ? hw.energy.dynamic.maxWatts : undefined], [capacityGiB, bandwidthGBps, fp16, maxWatts]);
      assert.deepEqual(hw.calibratedOn, []);
    });
  }

  test('the GH200 and MI250X boards that extend another change only what their sources say differs', () => {
    const [base, hbm3e, jlse] = [roofline('gh200-480gb'), roofline('gh200-144gb'), roofline('gh200')];
    assert.deepEqual({ ...hbm3e, name: base.name, displayName: base.displayName, description: base.description, memory: base.memory }, base);
    assert.deepEqual({ ...jlse, name: base.name, displayName: base.displayName, description: base.description }, base);
    const [gcd, x] = [roofline('mi250-gcd'), roofline('mi250x-gcd')];
    assert.deepEqual(x.memory, gcd.memory);
    assert.equal(x.compute.peakTops.fp16! / gcd.compute.peakTops.fp16!, 383.0 / 362.1);
  });
});

describe('dpu-host consistency rules', () => {
  test('more kernels × DDR channels per kernel than the card has channels is reported at dpu.kernels', () => {
    const base = dpuHost(loadHardware(U250));
    const kernels = base.card.ddr.channels + 1;
    const error = thrown(ConfigError, () => loadHardware(U250, { overrides: { 'dpu.kernels': kernels } }));
    const needed = kernels * base.dpu.ddrChannelsPerKernel;
    assert.deepEqual(error.issues, [
      { path: 'dpu.kernels', message: `${kernels} kernels of ${base.dpu.ddrChannelsPerKernel} DDR channels each need ${needed} channels, but card.ddr.channels is ${base.card.ddr.channels}` },
    ]);
  });

  test('two channels per kernel for three kernels on four channels is refused; for two kernels it is not', () => {
    assert.deepEqual(thrown(ConfigError, () => loadHardware(U250, { overrides: { 'dpu.ddrChannelsPerKernel': 2 } })).issues.map((issue) => issue.path), ['dpu.kernels']);
    const hw = dpuHost(loadHardware(U250, { overrides: { 'dpu.ddrChannelsPerKernel': 2, 'dpu.kernels': 2 } }));
    assert.equal(hw.dpu.kernels * hw.dpu.ddrChannelsPerKernel, hw.card.ddr.channels);
  });

  test('a DDR total that is not channels × channel size is reported at card.ddr.totalSizeGiB', () => {
    const error = thrown(ConfigError, () => loadHardware(U250, { overrides: { 'card.ddr.totalSizeGiB': 48 } }));
    assert.deepEqual(error.issues, [{ path: 'card.ddr.totalSizeGiB', message: 'must equal card.ddr.channels × card.ddr.channelSizeGiB (64), got 48' }]);
  });
});
