/**
 * `npm run bench:start -- <revision>[,<node option>…] … [--rounds 5]`: the embedded first start
 * (an empty PGlite data folder to the first answered request, built JS, as `npm run bench`
 * measures it) of several builds side by side, rounds alternating which goes first. `.` is this
 * checkout (built first); other revisions are built once in their own worktree (bench/builds.ts).
 * Prints each build's median, fastest and slowest start, and its median's ratio to the first's.
 */
import { execFileSync } from 'node:child_process';
import { buildOf, commitOf } from './builds.js';
import { required, timeEmbeddedStart } from './harness.js';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt < 0 ? 5 : Number(args.splice(roundsAt, 2)[1]);
if (args.length < 1) throw new Error('usage: npm run bench:start -- <revision>[,<node option>…] … [--rounds 5]');

const contenders = args.map((entry) => {
  const [revision = '.', ...nodeOptions] = entry.split(',');
  if (revision === '.') execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  return { label: entry, directory: revision === '.' ? '.' : buildOf(commitOf(revision)), nodeOptions, times: [] as number[] };
});
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [...contenders].reverse() : contenders;
  for (const c of order) c.times.push(await timeEmbeddedStart(c.directory, c.nodeOptions));
}

const median = (values: number[]) => required([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)], 'a start');
const first = median(required(contenders[0], 'a build').times);
console.log(`\nembedded first start, ${rounds} rounds, alternating (${new Date().toISOString()}):`);
for (const c of contenders) {
  const m = median(c.times);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `  ${c.label.padEnd(40)} median ${s(m)}  fastest ${s(Math.min(...c.times))}  slowest ${s(Math.max(...c.times))}  → ${(m / first).toFixed(2)} × the first's time`,
  );
}
