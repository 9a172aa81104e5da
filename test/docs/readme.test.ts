import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { FLIGHTLLM_REFERENCE_SOURCE } from '../../src/profiler/index.js';
import { K100_AI_SCENARIOS } from '../../src/serving/index.js';
import { ROOT, runMain } from '../helpers.js';

/*
 * The README's code runs, and the figures the README and docs/ quote are the
 * tool's: each is checked against the command it is quoted from, so neither
 * can drift from the other.
 */

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const doc = (name: string) => readFileSync(join(ROOT, 'docs', name), 'utf8');

/** The fenced blocks of a language, in order. */
function blocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((match) => match[1]!);
}

/** The fenced block right after the line holding `marker`. */
function blockAfter(text: string, marker: string): string {
  const rest = text.slice(text.indexOf(marker));
  return /```[a-z]*\n([\s\S]*?)^```$/m.exec(rest)![1]!;
}

describe('the README', () => {
  test('its library code runs as it stands and prints what the README says it prints', async () => {
    const [code] = blocks(README, 'ts');
    assert.ok(code !== undefined && code.split('\n').filter((line) => line.trim() !== '').length <= 10, 'the library in ten lines');
    // Inside the package, so that 'fpga-llm-sim' resolves to it as it does for a user (the built dist/, as npm test builds it).
    const directory = join(ROOT, '.cache', 'readme-test');
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, 'library.ts'), code);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(directory, 'library.ts')], { cwd: ROOT });
    assert.equal(stdout, blockAfter(README, 'It prints:'));
  });

  test("its profile table is profile's output for the case", async () => {
    const quoted = blockAfter(README, 'prints FlightLLM\'s table with the physical bound');
    const result = await runMain(['profile', '--cases', '1x128x512']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, quoted);
  });

  test("its serve excerpt is serve's report for the command above it", async () => {
    const command = /^npx fpga-llm-sim (serve .*)$/m.exec(README)![1]!.split(' ');
    const result = await runMain(command);
    assert.equal(result.code, 0, result.stderr);
    for (const line of blockAfter(README, "then what only a simulator\nsees:").trimEnd().split('\n')) assert.ok(result.stdout.includes(`${line}\n`), `not in serve's report: ${line}`);
  });

  test("the number of bench points quoted is the K100-AI scenarios' concurrencies", () => {
    const points = K100_AI_SCENARIOS.reduce((sum, scenario) => sum + (scenario.concurrencies?.length ?? 0), 0);
    assert.match(README, new RegExp(`the K100-AI report's four scenarios, ${points} points`));
    assert.match(doc('serving.md'), new RegExp(`\\(four K100-AI scenarios, ${points} points\\)`));
  });

  test('is under 300 lines and links every page of docs/', () => {
    assert.ok(README.split('\n').length <= 300, `${README.split('\n').length} lines`);
    for (const page of ['commands', 'models', 'hardware', 'reproducing-flightllm', 'serving', 'energy', 'validation', 'sweeps', 'performance', 'architecture']) {
      assert.match(README, new RegExp(`\\(docs/${page}\\.md[#)]`), page);
      assert.ok(doc(`${page}.md`).startsWith('# '), page);
    }
  });
});

describe('docs/reproducing-flightllm.md', () => {
  test('quotes the commit and content hash fetch-reference pins', () => {
    const text = doc('reproducing-flightllm.md');
    assert.ok(text.includes(FLIGHTLLM_REFERENCE_SOURCE.commit), 'commit');
    assert.ok(text.includes(FLIGHTLLM_REFERENCE_SOURCE.contentHash), 'content hash');
    assert.ok(text.includes(`flightllm-${FLIGHTLLM_REFERENCE_SOURCE.commit.slice(0, 12)}`), 'directory');
  });
});
