/*
 * The rules src/ keeps (npm run depcheck; CI runs it): no import cycle,
 * type-only imports included, and each stage imports only the stages below
 * it. The order, lowest first:
 *   base (dtype, errors, version, batch, util) → figures (the figure style
 *   and renderer), model, ir, hardware files →
 *   compiler → backends (each kind in its own folder, the registry above
 *   them) → bound → energy → cost → parallel (many cards) → profiler,
 *   serving → calibrate, sweep, compare, validate → display (notebook
 *   tables and figures) → cli (and src/index.ts, the library's front door).
 */
const stage = (name, below) => ({
  name: `${name}-imports-only-below`,
  comment: `${name} may import only ${below.join(', ')}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/${name}/`, ...below.map((b) => `^src/${b}`)] },
});
const BASE = ['dtype\\.ts', 'errors\\.ts', 'version\\.ts', 'batch\\.ts', 'util/'];
const INPUTS = [...BASE, 'model/', 'ir/', 'hardware/'];
const BACKENDS = [...INPUTS, 'compiler/', 'backends/'];
/** The figure style and renderer: below every stage that draws figures. */
const FIGURES = 'figures/';
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycle in src/, type-only imports included',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'base-imports-only-base',
      severity: 'error',
      from: { path: '^src/(dtype|errors|version|batch)\\.ts$|^src/util/' },
      to: { path: '^src/', pathNot: BASE.map((b) => `^src/${b}`) },
    },
    stage('figures', BASE),
    stage('model', BASE),
    stage('ir', BASE),
    stage('hardware', BASE),
    stage('compiler', INPUTS),
    stage('backends', [...INPUTS, 'compiler/']),
    stage('bound', BACKENDS),
    stage('energy', [...BACKENDS, 'bound/']),
    stage('cost', [...BACKENDS, 'bound/', 'energy/']),
    stage('parallel', [...BACKENDS, 'bound/', 'energy/', 'cost/', FIGURES]),
    stage('profiler', [...BACKENDS, 'bound/', 'energy/', 'cost/', FIGURES, 'parallel/']),
    stage('serving', [...BACKENDS, 'bound/', 'energy/', 'cost/', FIGURES, 'parallel/']),
    stage('calibrate', [...BACKENDS, 'bound/', 'energy/', 'cost/', FIGURES, 'parallel/', 'profiler/', 'serving/']),
    stage('sweep', [...BACKENDS, 'bound/', 'energy/', 'cost/', FIGURES, 'parallel/', 'profiler/', 'serving/', 'calibrate/']),
    stage('compare', [...BACKENDS, 'bound/', 'energy/', 'cost/', FIGURES, 'parallel/', 'profiler/', 'serving/', 'calibrate/']),
    stage('validate', [...BACKENDS, 'bound/', 'energy/', 'cost/', FIGURES, 'parallel/', 'profiler/', 'serving/', 'calibrate/', 'compare/']),
    stage('display', [...BACKENDS, 'bound/', 'energy/', 'cost/', FIGURES, 'parallel/', 'profiler/', 'serving/', 'calibrate/', 'sweep/', 'compare/', 'validate/']),
    {
      name: 'backend-kinds-stay-apart',
      comment: 'a kind of hardware imports neither another kind nor the registry above it',
      severity: 'error',
      from: { path: '^src/backends/([^/]+)/' },
      to: { path: '^src/backends/(?!$1/)[^/]+/|^src/backends/(index|load|kinds)\\.ts$' },
    },
    {
      name: 'kinds-only-through-the-backends-folder',
      comment: 'outside src/backends, a kind of hardware is reached through src/backends/index.ts, never its own folder',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/backends/' },
      to: { path: '^src/backends/[^/]+/' },
    },
    {
      name: 'only-the-cli-touches-the-cli',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
