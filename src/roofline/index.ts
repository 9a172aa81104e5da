export { physicalBound, type Bound, type BoundOptions } from './bound.js';
export { irWork, type IrWork, type Product } from './layers.js';
