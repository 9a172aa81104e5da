import { fitPower } from './src/validate/index.js';
import { ContentCache, defaultCacheDirectory } from './src/util/cache.js';
const cache = new ContentCache(defaultCacheDirectory(process.env));
for (const board of ['h100-sxm', 'a100-40gb-sxm']) {
  const f = fitPower({ files: ['validation/measurements.csv'], board, cache });
  console.log(board, f.memoryPjPerByte, f.macPj);
  for (const r of f.rows) console.log(r.id.padEnd(46), r.measuredW.toFixed(0), 'TB/s', r.terms.perPjPerByte.toFixed(2), 'macW@k1', r.terms.perMacPj.toFixed(1), 'fit', r.afterW.toFixed(0));
}
