import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { dump } from 'js-yaml';
import { main } from '../../src/cli/program.js';
import { ROOT, runMain, temporaryDirectory, tinyDecodeIr, tinyModelFile, VHK158 } from '../helpers.js';

/* main(args, io): the CLI as a function, run in this process. */

const work = temporaryDirectory();
const COMMANDS = ['profile', 'compare', 'boards', 'figures', 'sensitivity', 'compile', 'simulate', 'conformance'];

describe('help and usage errors', () => {
  test('--help lists every command with its options marker, on stdout', async () => {
    const result = await runMain(['--help']);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    for (const name of COMMANDS) assert.match(result.stdout, new RegExp(`\\n  ${name} \\[options\\] +\\S`), name);
  });

  test("a command's help lists its options, as `<command> --help` and as `help <command>`", async () => {
    const [flag, word] = await Promise.all([runMain(['simulate', '--help']), runMain(['help', 'simulate'])]);
    assert.equal(flag.code, 0);
    assert.match(flag.stdout, /^Usage: fpga-llm-sim simulate \[options\]\n/);
    assert.match(flag.stdout, /--trace-window <start:end>/);
    assert.equal(word.stdout, flag.stdout);
  });

  test("no command's help prints a default as JSON (null, a list in brackets) or twice", async () => {
    const names = [...(await runMain(['--help'])).stdout.matchAll(/\n {2}([a-z-]+) \[options\]/g)].map((match) => match[1]!);
    assert.ok(names.includes('serve') && names.includes('fetch-reference'), names.join(' '));
    for (const name of names) {
      // Commander wraps descriptions: join the lines of each option before reading its defaults.
      const help = (await runMain([name, '--help'], { tty: { columns: 10_000 } })).stdout;
      assert.doesNotMatch(help, /\(default: null\)|\(default: \[|\(default[;)][^\n]*\(default: /, `${name} --help:\n${help}`);
    }
  });

  test("help wraps at the terminal's width, and at 80 columns elsewhere", async () => {
    const longest = (text: string) => Math.max(...text.split('\n').map((line) => line.length));
    const [terminal, pipe] = await Promise.all([runMain(['simulate', '--help'], { tty: { columns: 120 } }), runMain(['simulate', '--help'])]);
    assert.ok(longest(terminal.stdout) > 80 && longest(terminal.stdout) <= 120, terminal.stdout);
    assert.ok(longest(pipe.stdout) <= 80, pipe.stdout);
  });

  test('an unknown command: exit 2, the nearest command suggested, on stderr', async () => {
    const result = await runMain(['simulat']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, "fpga-llm-sim: error: unknown command 'simulat'\n(Did you mean simulate?)\n(run with --help for usage)\n");
  });

  test("an unknown option: exit 2, commander's message and the hint on stderr", async () => {
    const result = await runMain(['simulate', '--hardware', VHK158, '--ir', 'x.yaml', '--frobnicate']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "fpga-llm-sim: error: unknown option '--frobnicate'\n(run with --help for usage)\n");
  });
});

describe('errors that are ours', () => {
  test('an error that is not the user\'s exits 1 with "please report it" and its stack', async () => {
    const ir = join(work, 'tiny-ir.yaml');
    writeFileSync(ir, dump(tinyDecodeIr()));
    let stderr = '';
    const broken = {
      stdout: {
        write: () => {
          throw new Error('stdout is gone');
        },
      },
      stderr: { write: (text: string) => (stderr += text) },
      env: { FPGA_LLM_SIM_CACHE: join(work, 'cache') },
    };
    assert.equal(await main(['simulate', '--hardware', VHK158, '--ir', ir], broken), 1);
    assert.match(stderr, /^fpga-llm-sim: internal error \(please report it\): Error: stdout is gone\n\s+at /);
  });
});

describe('progress', () => {
  const args = ['profile', '--model', tinyModelFile(work), '--cases', '1x16x2', '--out-dir', join(work, 'out'), '--force', '--jobs', '1', '--json'];

  test('on a terminal the progress line is redrawn in place, then replaced by the summary', async () => {
    const result = await runMain(args, { tty: { columns: 80 } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^\rprofile \[[#.]{24}\] 1\/\d+ token lengths simulated/);
    assert.match(result.stderr, /\r *\rprofile: \d+ token lengths simulated, 0 reused, in \d+\.\d\d s\n/);
  });

  test('elsewhere only the summary is written', async () => {
    const result = await runMain(args);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^profile: \d+ token lengths simulated, 0 reused, in \d+\.\d\d s\n/);
    assert.doesNotMatch(result.stderr, /\r/);
  });
});

describe('the process', () => {
  /** Every TypeScript file below a folder. */
  const sources = (folder: string): string[] =>
    readdirSync(folder, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(folder, name));

  test('only src/cli/main.ts touches the process; nothing in src/ prints to the console', () => {
    const touching = sources(join(ROOT, 'src')).filter((file) => /\bprocess\.(stdout|stderr|exit|exitCode|argv)\b|\bconsole\./.test(readFileSync(file, 'utf8')));
    assert.deepEqual(touching.map((file) => relative(ROOT, file)), [join('src', 'cli', 'main.ts')]);
  });
});
