import type { LayerOf } from '../../../../ir/index.js';
import type { InstructionSink } from '../instructions.js';
import { load, store } from './builders.js';
import { ceilDiv, formatShape, LayerIssues, planSignature, type StepPlanner } from './common.js';
import { tensorRatio } from './precision.js';

/*
 * KV-cache append (decode, or a prompt chunk after its context). FlightLLM
 * models it as reading the whole past cache once, spread over the A
 * channels, followed by an empty store: its key cache is stored transposed,
 * so appending tokens rewrites it. The new entries are not counted.
 */

export const planConcat: StepPlanner = (step, { hw }) => {
  const layer = step.layer as LayerOf<'concat'>;
  const issues = new LayerIssues(step);
  const [past, fresh] = layer.input;
  issues.require(layer.input.length === 2 && layer.output.length === 1, 'input', () => `expected two inputs (the cache, the new entry) and one output, got ${layer.input.length} and ${layer.output.length}`);
  issues.require(layer.structure.dim === 1, 'structure.dim', () => `the cache grows along the token axis (dim 1), got ${layer.structure.dim}`);
  issues.require(fresh !== undefined && fresh.shape.length === 3 && past !== undefined && fresh.shape[0] === past.shape[0] && fresh.shape[2] === past.shape[2], 'input[1].shape', () => `the new entries must have the cache's heads and width, [${past?.shape[0]}, tokens, ${past?.shape[2]}], got ${formatShape(fresh?.shape)}`);
  if (issues.list.length > 0 || past === undefined) return issues.list;
  const channels = hw.buffers.a.hbmChannels.count;
  const bytesPerChannel = ceilDiv(past.shape.reduce((product, size) => product * size, 1), channels);
  const bandwidthRatio = tensorRatio(past);
  return {
    emit(sink: InstructionSink) {
      for (let channel = 0; channel < channels; channel++) {
        sink.load(load({ target: 'global', lengthBytes: bytesPerChannel, hbmChannel: channel, parallelChannels: channels, bandwidthRatio }));
      }
      sink.store(store({ lengthBytes: 0, parallelChannels: 1 }));
    },
    signature: planSignature({ channels, bytesPerChannel, bandwidthRatio }),
  };
};
