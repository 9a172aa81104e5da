/*
 * Axis and legend titles a reader understands, with units, for the keys
 * figures plot: sweep objectives (`decodeTokensPerSecond` → "Decode
 * throughput (token/s)") and hardware keys (`hbm.bandwidthGiBps` → "HBM
 * bandwidth (GiB/s)"). Keys the table does not name get a title made from
 * their words and unit suffix.
 */

const TITLES: Readonly<Record<string, string>> = {
  decodeTokensPerSecond: 'Decode throughput (token/s)',
  prefillMs: 'Prefill latency (ms)',
  totalMs: 'End-to-end latency (ms)',
  percentOfBound: 'Decode, share of the bound (%)',
  tokensPerJoule: 'Energy efficiency (token/J)',
  tokensPerDollar: 'Tokens per dollar (token/$)',
  averageWatts: 'Average power (W)',
  p99TtftMs: 'P99 time to first token (ms)',
  p99ItlMs: 'P99 inter-token latency (ms)',
  outputTokensPerSecond: 'Output throughput (token/s)',
  servingTokensPerJoule: 'Serving energy efficiency (token/J)',
  servingTokensPerDollar: 'Serving tokens per dollar (token/$)',
  'hbm.bandwidthGiBps': 'HBM bandwidth (GiB/s)',
  'clock.frequencyMHz': 'Clock frequency (MHz)',
  'mpe.matrixVector.parallelism.n': 'Matrix-vector engine, N parallelism',
  'mpe.matrixMatrix.parallelism.n': 'Matrix-matrix engine, N parallelism',
  'calibration.timeDivisor': 'Time divisor',
  board: 'Board',
  model: 'Model',
  precision: 'Precision',
  case: 'Case (batch x prompt x generated)',
};

/** Unit suffixes of our keys, longest first, and how a title writes them. */
const UNITS: ReadonlyArray<readonly [string, string]> = [
  ['GiBps', 'GiB/s'],
  ['GBps', 'GB/s'],
  ['MHz', 'MHz'],
  ['GHz', 'GHz'],
  ['GiB', 'GiB'],
  ['Watts', 'W'],
  ['Bytes', 'bytes'],
  ['Words', 'words'],
  ['Percent', '%'],
  ['Ms', 'ms'],
  ['Us', 'µs'],
];

/** Words written in capitals (or as their makers write them). */
const ACRONYMS: Readonly<Record<string, string>> = { hbm: 'HBM', ddr: 'DDR', pcie: 'PCIe', mpe: 'MPE', vpe: 'VPE', dpu: 'DPU', kv: 'KV', mm: 'MM', mv: 'MV', sram: 'SRAM', cpu: 'CPU', ttft: 'TTFT', itl: 'ITL', tpot: 'TPOT', e2el: 'E2EL', slr: 'SLR', slrs: 'SLRs' };

/** The title of a key's axis or legend, with its unit (`unit` where the key carries none: an objective's). */
export function axisTitle(key: string, unit?: string): string {
  const known = TITLES[key];
  if (known !== undefined) return known;
  const derived = derivedTitle(key);
  return unit === undefined || unit === '' || derived.endsWith(')') ? derived : `${derived} (${unit})`;
}

function derivedTitle(key: string): string {
  const segments = key.split('.');
  const last = segments.pop() ?? key;
  const unit = UNITS.find(([suffix]) => last.endsWith(suffix) && last.length > suffix.length);
  const stem = unit === undefined ? last : last.slice(0, -unit[0].length);
  const words = [...segments.flatMap(splitWords), ...splitWords(stem)].map((word) => ACRONYMS[word.toLowerCase()] ?? word.toLowerCase());
  const text = words.join(' ');
  const sentence = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  return unit === undefined ? sentence : `${sentence} (${unit[1]})`;
}

/** `matrixVector` → matrix, vector; `kvCache2` → kv, cache, 2. */
function splitWords(name: string): string[] {
  return name.split(/(?<=[a-z0-9])(?=[A-Z])|_|-/).filter((word) => word !== '');
}
