import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/test-gateway.js';

/**
 * The README's "First requests" walkthrough, as a reader pastes it: extracted from README.md and
 * run against a gateway of its own (a fresh database each time) by bash, by zsh, and by an
 * interactive zsh reading it as pasted lines (macOS's default shell, where `#` is no comment
 * unless the block's first line says so). Every request's answer is checked against what the
 * README says of it: no `errors`, except where its comment names the refusal (`# FORBIDDEN: …`);
 * a comment naming a reason (`# MODEL_NOT_AUTHORIZED`) or `# allowed` must be in the answer; and
 * every value the walkthrough captures with `$(gql … | sed …)` must be an ID or a token, not an
 * answer that sed failed to take apart.
 */

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
/** Error codes a step's comment may name as the expected refusal. */
const REFUSALS = new Set(['FORBIDDEN', 'UNAUTHENTICATED', 'NOT_FOUND', 'RATE_LIMITED', 'BAD_USER_INPUT']);
const has = (shell: string) => spawnSync(shell, ['-c', 'true']).status === 0;
const home = mkdtempSync(join(tmpdir(), 'readme-snippets-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function firstRequestsBlock(): string {
  const section = README.split(/^### First requests.*$/m)[1];
  const block = section?.match(/^```sh\n([\s\S]*?)^```$/m)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "### First requests"');
  return block;
}

interface Step {
  line: string;
  /** What the line's trailing comment says of its answer, if anything. */
  comment: string | null;
}

/**
 * The block, pointed at `url`, with a marker printed before each request whose answer is shown
 * (a line that starts with `gql`, or `NAME=value gql`) and the captured values printed at the end.
 */
function instrument(block: string, url: string) {
  const lines = block.split('\n');
  const apiLine = lines.findIndex((line) => /^API=\S+$/.test(line));
  expect(apiLine, 'the block sets API=… on a line of its own').toBeGreaterThanOrEqual(0);
  lines[apiLine] = `API=${url}`;
  const steps: Step[] = [];
  const script: string[] = [];
  for (const line of lines) {
    if (/^(?:[A-Z]+=\S*\s+)?gql\s/.test(line)) {
      script.push(`printf '\\n@@step ${steps.length}\\n'`);
      steps.push({ line, comment: line.match(/\s{2,}#\s+(.+)$/)?.[1] ?? null });
    }
    script.push(line);
  }
  const captured = [...block.matchAll(/^([A-Z]+)=\$\(gql\b/gm)].map((match) => match[1] as string);
  script.push(`printf '\\n@@vars\\n'`);
  for (const name of captured) script.push(`printf '%s=%s\\n' ${name} "$${name}"`);
  return { script: `${script.join('\n')}\n`, steps, captured };
}

function run(command: string, args: string[], input: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // No rc files, no TOKEN or API of the caller's: the reader's fresh terminal.
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, PS1: '', PS2: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const shells = [
  { name: 'bash', available: has('bash'), command: 'bash', args: ['--noprofile', '--norc', '-s'] },
  { name: 'zsh', available: has('zsh'), command: 'zsh', args: ['-f', '-s'] },
  {
    name: 'zsh, pasted into an interactive shell',
    available: has('zsh'),
    command: 'zsh',
    args: ['-f', '-i', '+o', 'promptsp', '+o', 'promptcr'],
  },
];

describe('README: First requests (curl)', () => {
  it('has a block whose requests say what they expect', () => {
    const { steps, captured } = instrument(firstRequestsBlock(), 'http://127.0.0.1:1/graphql');
    expect(steps.length).toBeGreaterThan(10);
    expect(steps.some((step) => step.comment?.startsWith('FORBIDDEN'))).toBe(true);
    expect(captured).toEqual(expect.arrayContaining(['TOKEN', 'ALICE', 'W', 'KEY', 'PAIR']));
  });

  for (const { name, available, command, args } of shells) {
    // bash is everywhere the suite runs; zsh only where it is installed (`apt-get install zsh`).
    it.skipIf(!available)(
      `runs as it is with ${name}`,
      async () => {
        const gateway = await startTestGateway();
        try {
          const { script, steps, captured } = instrument(firstRequestsBlock(), gateway.url);
          const { code, stdout, stderr } = await run(command, args, script);
          expect(stderr.trim(), 'nothing on stderr: no shell error, no curl error').toBe('');
          expect(code).toBe(0);

          const [answers, vars = ''] = stdout.split('\n@@vars\n');
          const outputs = (answers ?? '').split(/\n@@step \d+\n/).slice(1);
          expect(outputs).toHaveLength(steps.length);
          steps.forEach((step, i) => {
            const output = (outputs[i] ?? '').trim();
            const where = `${step.line}\n→ ${output}`;
            expect(() => JSON.parse(output), where).not.toThrow();
            const code = step.comment?.match(/^([A-Z_]+)\b/)?.[1];
            if (code && REFUSALS.has(code)) {
              expect(output, where).toContain('"errors"');
              expect(output, where).toContain(`"code":"${code}"`);
            } else {
              expect(output, where).not.toContain('"errors"');
              if (code) expect(output, where).toContain(`"${code}"`);
              if (step.comment === 'allowed') expect(output, where).toContain('"allowed":true');
            }
          });

          const values = Object.fromEntries(
            vars
              .trim()
              .split('\n')
              .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
          );
          for (const name of captured) expect(values[name], name).toMatch(/^[\w.:-]+$/);
        } finally {
          await gateway.close();
        }
      },
      120_000,
    );
  }
});
