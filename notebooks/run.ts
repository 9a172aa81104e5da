/*
 * `npm run notebooks`: executes every notebook in notebooks/ headless on
 * Deno's Jupyter kernel and fails if a cell fails. Checking writes the
 * executed copies to a temporary directory and leaves the committed
 * notebooks as they are; `npm run notebooks -- --update` executes them in
 * place to refresh their committed outputs. Names given after the options
 * (`-- --update 02-decode-step.ipynb`) run only those notebooks.
 *
 * It installs what it needs where missing, without touching the user's own
 * Python or Jupyter set-up: nbclient (the Jupyter client that runs the
 * notebooks) with pip into .cache/notebooks/python<version>/, and a "deno"
 * kernelspec pointing at this checkout's Deno (the `deno` devDependency)
 * into .cache/notebooks/jupyter/, found through JUPYTER_PATH.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const NOTEBOOKS = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(NOTEBOOKS);
const STATE = join(ROOT, '.cache', 'notebooks');
const PYTHON = process.env['PYTHON'] ?? 'python3';
/** execute.py overrides a private method of nbclient 0.11. */
const NBCLIENT = 'nbclient~=0.11.0';
/** The kernelspec name the notebooks' metadata asks for: what `deno jupyter --install` registers. */
const KERNEL = 'deno';

class NotebookSetupError extends Error {}

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): { status: number | null; stdout: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error !== undefined) throw new NotebookSetupError(`could not run ${command}: ${result.error.message}`);
  return { status: result.status, stdout: typeof result.stdout === 'string' ? result.stdout : '' };
}

/** The Deno executable of the `deno` devDependency; its own installer finds the platform's binary if its postinstall did not run. */
function denoExecutable(): string {
  const require = createRequire(import.meta.url);
  let installer: { runInstall(): string };
  try {
    installer = require('deno/install_api.cjs') as typeof installer;
  } catch {
    throw new NotebookSetupError('the deno package is not installed: run `npm install` in the repository first');
  }
  return installer.runInstall();
}

/** A directory holding nbclient and its dependencies for this Python, installed there once. */
function pythonPackages(): string {
  const version = run(PYTHON, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  if (version.status !== 0) throw new NotebookSetupError(`${PYTHON} does not run; set PYTHON to a Python 3 interpreter`);
  const site = join(STATE, `python${version.stdout.trim()}`);
  const env = { ...process.env, PYTHONPATH: site };
  if (run(PYTHON, ['-c', 'import nbclient'], { env }).status === 0) return site;
  process.stderr.write(`notebooks: installing ${NBCLIENT} into ${site} (once)\n`);
  // --target keeps the user's environments untouched and works where a system
  // Python refuses plain installs (PEP 668). A registry that cannot be reached
  // is retried with back-off for minutes by default: once is enough here.
  const retries = process.env['PIP_RETRIES'] === undefined ? ['--retries', '0'] : [];
  const pip = run(PYTHON, ['-m', 'pip', 'install', '-qq', '--disable-pip-version-check', '--no-warn-conflicts', ...retries, '--target', site, NBCLIENT], { stdio: 'inherit' });
  if (pip.status !== 0) throw new NotebookSetupError(`pip could not install ${NBCLIENT} (exit ${pip.status}); install it yourself and set PYTHONPATH, or set PYTHON`);
  return site;
}

/** A Jupyter data directory whose only kernelspec is "deno", run by `deno`. */
function kernelDirectory(deno: string): string {
  const directory = join(STATE, 'jupyter');
  const spec = join(directory, 'kernels', KERNEL);
  mkdirSync(spec, { recursive: true });
  const kernel = { argv: [deno, 'jupyter', '--quiet', '--kernel', '--conn', '{connection_file}'], display_name: 'Deno', language: 'typescript' };
  writeFileSync(join(spec, 'kernel.json'), `${JSON.stringify(kernel, null, 2)}\n`);
  return directory;
}

function notebooksToRun(names: readonly string[]): string[] {
  const all = readdirSync(NOTEBOOKS).filter((file) => file.endsWith('.ipynb')).sort();
  if (names.length === 0) return all.map((file) => join(NOTEBOOKS, file));
  return names.map((name) => {
    const path = all.includes(basename(name)) ? join(NOTEBOOKS, basename(name)) : resolve(name);
    if (!existsSync(path)) throw new NotebookSetupError(`no notebook ${name}; notebooks/ holds ${all.join(', ')}`);
    return path;
  });
}

function main(argv: readonly string[]): number {
  const update = argv.includes('--update');
  const notebooks = notebooksToRun(argv.filter((arg) => arg !== '--update'));
  const site = pythonPackages();
  const jupyterPath = kernelDirectory(denoExecutable());
  const env = {
    ...process.env,
    PYTHONPATH: [site, process.env['PYTHONPATH']].filter(Boolean).join(':'),
    JUPYTER_PATH: [jupyterPath, process.env['JUPYTER_PATH']].filter(Boolean).join(':'),
    // jupyter_core warns on every start until its platform directories are chosen.
    JUPYTER_PLATFORM_DIRS: '1',
    DENO_NO_UPDATE_CHECK: '1',
  };
  const args = [join(NOTEBOOKS, 'execute.py'), '--kernel', KERNEL, ...(update ? ['--update'] : ['--out', mkdtempSync(join(tmpdir(), 'fpga-llm-sim-notebooks-'))]), ...notebooks];
  return run(PYTHON, args, { env, stdio: 'inherit' }).status ?? 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof NotebookSetupError)) throw error;
  process.stderr.write(`notebooks: error: ${error.message}\n`);
  process.exitCode = 1;
}
