/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and lists where the time went: the functions
 * with the most self time, and self time summed per package or source file.
 *
 *   node --import tsx bench/profile-top.ts FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One line of the summary: a function or a package, its self time and share of all samples. */
export interface ProfileLine {
  name: string;
  selfMs: number;
  share: number;
}

/** Where a profiled process spent its time. */
export interface ProfileSummary {
  totalMs: number;
  /** Share of samples spent idle (waiting for I/O) rather than running JavaScript or GC. */
  idleShare: number;
  /** Self time grouped by what it is for (HTTP, store, signing, …). */
  areas: ProfileLine[];
  functions: ProfileLine[];
  places: ProfileLine[];
}

/** Which part of a delivery a piece of code belongs to, by where it lives. */
const AREAS: [string, RegExp][] = [
  [
    'HTTP client (undici, sockets, streams)',
    /^(undici|writev|writeBuffer|node:internal\/streams|node:net|node:internal\/stream_base|dist\/delivery\/(http-client|guarded-connector)|node:internal\/abort_controller|node:internal\/deps\/undici|node:events|node:buffer|node:internal\/buffer|node:internal\/webstreams|wasm:|node:internal\/event_target|node:internal\/url|utf8Slice)/,
  ],
  [
    'store (SQLite/PostgreSQL driver, SQL, queue code)',
    /^(better-sqlite3|pg|pg-protocol|pg-pool|kysely|dist\/store)/,
  ],
  ['signing (HMAC)', /^(node:internal\/crypto\/hash|dist\/signing|dist\/verify)/],
  ['delivery engine (dispatcher, attempts, outcomes)', /^dist\/delivery/],
  ['ids (random bytes)', /^(node:internal\/crypto\/random|dist\/core)/],
  ['metrics and logging', /^(prom-client|pino|dist\/observability)/],
  ['garbage collection', /^\(garbage collector\)$/],
  [
    'start-up (module loading)',
    /^(node:internal\/modules|node:internal\/deps\/cjs-module-lexer|openFileHandle)/,
  ],
  ['idle (waiting on I/O)', /^\(idle\)$/],
];

function area(where: string): string {
  for (const [name, pattern] of AREAS) if (pattern.test(where)) return name;
  return 'other (runtime, timers, microtasks, JSON)';
}

/** Where a script lives, short: `undici/lib/…`, `src/delivery/…`, `node:internal/…`. */
function place(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (pkg) return pkg[1]!;
  const own = /\/(dist|src|bench)\/(.*)$/.exec(path);
  if (own) return `${own[1]}/${own[2]}`;
  return path;
}

/** Sums self time per function, per package or file, and per area; keeps the `top` of each. */
export function summarizeProfile(profile: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  const areas = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') idle += us;
    const where = place(frame.url);
    const name =
      `${frame.functionName || '(anonymous)'} ${frame.url ? `${where}:${frame.lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us);
    const key = frame.url ? where : frame.functionName;
    places.set(key, (places.get(key) ?? 0) + us);
    areas.set(area(key), (areas.get(area(key)) ?? 0) + us);
  }
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        selfMs: Math.round(us / 1000),
        share: Math.round((us / total) * 1000) / 10,
      }));
  return {
    totalMs: Math.round(total / 1000),
    idleShare: Math.round((idle / total) * 1000) / 10,
    areas: lines(areas),
    functions: lines(functions),
    places: lines(places),
  };
}

/** The summary as text: three ranked lists. */
export function formatSummary(title: string, s: ProfileSummary): string {
  const rows = (lines: ProfileLine[]) =>
    lines
      .map((l) => `  ${String(l.share).padStart(5)}%  ${String(l.selfMs).padStart(6)} ms  ${l.name}`)
      .join('\n');
  return (
    `${title}: ${s.totalMs} ms sampled, ${s.idleShare}% idle\n self time by area:\n${rows(s.areas)}\n` +
    ` self time by function:\n${rows(s.functions)}\n self time by package / file:\n${rows(s.places)}\n`
  );
}

/** {@link summarizeProfile} of a `.cpuprofile` file. */
export function summarizeFile(file: string, top = 20): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/profile-top.ts FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  process.stdout.write(formatSummary(file, summarizeFile(file, Number(top ?? 20))));
}
