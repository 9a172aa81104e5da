import type { LoadTarget, MiscOperation } from '../../isa/index.js';
import type { LoadInstruction, MatrixInstruction, MiscInstruction, StoreInstruction } from '../instructions.js';

/*
 * Instruction constructors with the defaults generators share, so each call
 * names only what differs.
 */

type LoadFields = Partial<LoadInstruction> & Pick<LoadInstruction, 'target' | 'lengthBytes' | 'parallelChannels'>;

export function load(fields: LoadFields): LoadInstruction {
  return {
    wait: 0,
    release: 0,
    hbmAddress: 0,
    bankAddress: 0,
    hbmChannel: 0,
    zeroFill: false,
    crossChannel: false,
    bandwidthRatio: 1,
    ...fields,
  };
}

type StoreFields = Partial<StoreInstruction> & Pick<StoreInstruction, 'lengthBytes' | 'parallelChannels'>;

export function store(fields: StoreFields): StoreInstruction {
  return { wait: 0, release: 0, hbmAddress: 0, bankAddress: 0, hbmChannel: 0, crossChannel: false, ...fields };
}

type MatrixFields = Partial<MatrixInstruction> & Pick<MatrixInstruction, 'kBlocks'>;

export function matrix(fields: MatrixFields): MatrixInstruction {
  return {
    wait: 0,
    release: 0,
    aAddress: 0,
    bAddress: 0,
    outAddress: 0,
    biasAddress: 0,
    metaAddress: 0,
    fsbAddress: 0,
    bias: false,
    relu: false,
    sparse: false,
    output: true,
    sparseRatio: 1,
    ...fields,
  };
}

export function misc(operation: MiscOperation, fields: Partial<MiscInstruction> & Pick<MiscInstruction, 'kBlocks'>): MiscInstruction {
  return { wait: 0, release: 0, inAAddress: 0, inBAddress: 0, outAddress: 0, operation, ...fields };
}

export type { LoadTarget };
