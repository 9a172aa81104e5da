import { join } from 'node:path';
import { dump } from 'js-yaml';
import { dump as dumpNpy } from 'npyjs';
import type { Ir } from '../ir/index.js';
import { modelDims, type Model } from '../model/index.js';
import { writeFileAtomic } from '../util/files.js';
import { generateMask } from './masks.js';
import type { CompileTarget } from './target.js';

/** IR as YAML in the style of FlightLLM's files (PyYAML block style, sequences not indented). */
export function irToYaml(ir: Ir): string {
  return dump(ir, { seqNoIndent: true, lineWidth: -1, noRefs: true });
}

export function writeIr(path: string, ir: Ir): void {
  writeFileAtomic(path, irToYaml(ir));
}

/** Writes `attention_mask_<layer>.mask.npy` for every layer into a directory; returns the paths. */
export function writeMasks(directory: string, model: Model, target: CompileTarget): string[] {
  const files = maskFiles(directory, model, target);
  for (const file of files) writeFileAtomic(file.path, file.data);
  return files.map((file) => file.path);
}

/** The mask files `writeMasks` writes, with their bytes, for a caller that writes them with others. */
export function maskFiles(directory: string, model: Model, target: CompileTarget): Array<{ readonly path: string; readonly data: Uint8Array }> {
  return Array.from({ length: modelDims(model).layers }, (_, layer) => {
    const mask = generateMask(model, target, layer);
    return { path: join(directory, `attention_mask_${layer}.mask.npy`), data: new Uint8Array(dumpNpy(mask.cells, [mask.heads, mask.rows, mask.cols], { dtype: 'b1' })) };
  });
}
