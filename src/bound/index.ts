export { physicalBound, workOn, boundOfWork, type Bound, type BoundOptions } from './bound.js';
export { irWork, type IrWork, type Product } from './layers.js';
