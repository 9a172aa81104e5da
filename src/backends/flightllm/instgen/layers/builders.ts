import type { MiscOperation } from '../../isa/index.js';
import type { LoadInstruction, MatrixInstruction, MiscInstruction, StoreInstruction } from '../instructions.js';

/*
 * Instruction constructors with the defaults generators share, so each call
 * names only what differs. Every instruction of a kind gets the same fields
 * in the same order (no object spread): the simulator's hot loop then reads
 * them through monomorphic property accesses.
 */

type LoadFields = Partial<LoadInstruction> & Pick<LoadInstruction, 'target' | 'lengthBytes' | 'parallelChannels'>;

export function load(f: LoadFields): LoadInstruction {
  return {
    wait: f.wait ?? 0,
    release: f.release ?? 0,
    target: f.target,
    lengthBytes: f.lengthBytes,
    hbmAddress: f.hbmAddress ?? 0,
    bankAddress: f.bankAddress ?? 0,
    hbmChannel: f.hbmChannel ?? 0,
    zeroFill: f.zeroFill ?? false,
    crossChannel: f.crossChannel ?? false,
    parallelChannels: f.parallelChannels,
    bandwidthRatio: f.bandwidthRatio ?? 1,
  };
}

type StoreFields = Partial<StoreInstruction> & Pick<StoreInstruction, 'lengthBytes' | 'parallelChannels'>;

export function store(f: StoreFields): StoreInstruction {
  return {
    wait: f.wait ?? 0,
    release: f.release ?? 0,
    lengthBytes: f.lengthBytes,
    hbmAddress: f.hbmAddress ?? 0,
    bankAddress: f.bankAddress ?? 0,
    hbmChannel: f.hbmChannel ?? 0,
    crossChannel: f.crossChannel ?? false,
    parallelChannels: f.parallelChannels,
    bandwidthRatio: f.bandwidthRatio ?? 1,
  };
}

type MatrixFields = Partial<MatrixInstruction> & Pick<MatrixInstruction, 'kBlocks'>;

export function matrix(f: MatrixFields): MatrixInstruction {
  return {
    wait: f.wait ?? 0,
    release: f.release ?? 0,
    kBlocks: f.kBlocks,
    aAddress: f.aAddress ?? 0,
    bAddress: f.bAddress ?? 0,
    outAddress: f.outAddress ?? 0,
    biasAddress: f.biasAddress ?? 0,
    metaAddress: f.metaAddress ?? 0,
    fsbAddress: f.fsbAddress ?? 0,
    bias: f.bias ?? false,
    relu: f.relu ?? false,
    sparse: f.sparse ?? false,
    output: f.output ?? true,
    sparseRatio: f.sparseRatio ?? 1,
    rate: f.rate ?? 1,
  };
}

type MiscFields = Partial<MiscInstruction> & Pick<MiscInstruction, 'kBlocks'>;

export function misc(operation: MiscOperation, f: MiscFields): MiscInstruction {
  return {
    wait: f.wait ?? 0,
    release: f.release ?? 0,
    operation,
    kBlocks: f.kBlocks,
    inAAddress: f.inAAddress ?? 0,
    inBAddress: f.inBAddress ?? 0,
    outAddress: f.outAddress ?? 0,
    rate: f.rate ?? 1,
  };
}
