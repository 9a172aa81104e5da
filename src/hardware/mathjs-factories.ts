/*
 * mathjs's factories alone, for an instance whose functions are made on first
 * use. Importing `mathjs` itself builds every function of its default
 * instance at once (about 0.5 s on this project's machines); `npm run build`
 * bundles this module into dist/bundle/mathjs.cjs, which loads in some 40 ms
 * because the bundler keeps only what `create` and `all` need.
 */
export { create, all } from 'mathjs';
