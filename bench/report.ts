/**
 * The results of one run: the JSON written to `bench/results/latest.json`, the targets of
 * issue 9 checked against it, and the Markdown tables printed (and pasted into BENCHMARKS.md).
 */
import type { BaselineResult, BracketedB0 } from './baselines/run.js';
import type { Backend } from './database.js';
import { ingestChecks, ingestRows } from './ingest-report.js';
import type { DrainResult } from './scenarios/drain.js';
import type { FanoutRow } from './scenarios/fanout.js';
import type { FilteredFanoutResult, LiveFilteredResult } from './scenarios/filtered.js';
import type { HistoryResult } from './scenarios/history.js';
import type { HostileReceiversResult } from './scenarios/hostile-receivers.js';
import type { A0Result, BatchRun, ScaleOutResult } from './scenarios/ingest.js';
import type { IsolationResult } from './scenarios/isolation.js';
import type { LatencyResult } from './scenarios/latency.js';
import type { LiveResult } from './scenarios/live.js';
import type { MemoryResult } from './scenarios/memory.js';
import type { NoisyNeighbourResult } from './scenarios/noisy-neighbour.js';
import type { OrderedResult } from './scenarios/ordered.js';

/** Everything measured on one backend (absent: not selected or failed). */
export interface BackendResults {
  skipped?: string;
  error?: string;
  /** Scenarios that threw, by name, with the first line of the error. */
  failures?: Record<string, string>;
  /** The median drain of the rounds (by ratio to B0). */
  drain?: DrainResult;
  /** Every round's ratio to B0, in the order run. */
  drainRounds?: (number | null)[];
  ordered?: OrderedResult;
  live?: LiveResult;
  latency?: LatencyResult;
  fanout?: FanoutRow[];
  fanoutFiltered?: FilteredFanoutResult;
  liveFiltered?: LiveFilteredResult;
  isolation?: IsolationResult;
  noisy?: NoisyNeighbourResult;
  hostile?: HostileReceiversResult;
  /** Peak RSS of the delivering process across Live, Latency, Fan-out and Isolation, MiB. */
  onlinePeakRssMiB?: number | null;
  history?: HistoryResult;
  memory?: MemoryResult;
  batch?: BatchRun[];
  scaleOut?: ScaleOutResult;
}

/** A peer with the B0 measured just before and after it. */
export interface PeerResult extends BaselineResult {
  b0: BracketedB0;
  ratioToB0: number | null;
  /** Every round's ratio to B0, in the order run (this result is the median round). */
  rounds?: (number | null)[];
}

/** The whole run, as written to `bench/results/latest.json`. */
export interface RunResults {
  startedAt: string;
  durationS: number;
  machine: Record<string, unknown>;
  options: Record<string, unknown>;
  peers: PeerResult[];
  /** The API's limit (a bare Fastify server), when Live or A0 ran. */
  a0?: A0Result;
  backends: Partial<Record<Backend, BackendResults>>;
  checks: Check[];
}

/** One target of issue 9 and how this run did (null: no number to judge by). */
export interface Check {
  backend: Backend | 'all';
  target: string;
  value: string;
  pass: boolean | null;
}

const DRAIN_TARGET: Record<Backend, number> = { sqlite: 0.5, postgres: 0.4 };
const LATENCY_TARGET: Record<Backend, [number, number]> = { sqlite: [5, 20], postgres: [10, 30] };

/** The targets of issue 9, each judged on this run's numbers (null: not measured). */
export function checkTargets(r: RunResults): Check[] {
  const checks: Check[] = [];
  const bestPeer = Math.max(0, ...r.peers.map((p) => p.ratioToB0 ?? 0));
  for (const [backend, b] of Object.entries(r.backends) as [Backend, BackendResults][]) {
    if (b.fanoutFiltered)
      checks.push({
        backend,
        target: 'fan-out filtered ≤ 1.1 × unfiltered (publish)',
        value: `${b.fanoutFiltered.publishRatio ?? '—'} × unfiltered`,
        pass: b.fanoutFiltered.publishRatio !== null && b.fanoutFiltered.publishRatio <= 1.1,
      });
    if (b.liveFiltered)
      checks.push({
        backend,
        target: 'live filtered ≥ 0.9 × Live (published/s)',
        value: `${b.liveFiltered.publishRatio ?? '—'} × Live`,
        pass: b.liveFiltered.publishRatio !== null && b.liveFiltered.publishRatio >= 0.9,
      });
    if (b.ordered) {
      const o = b.ordered;
      checks.push({
        backend,
        target: `ordered drain (${o.keys} keys) ≥ 0.5 × unordered drain`,
        value: `${o.ratioToUnordered ?? '—'} × unordered`,
        pass: o.ratioToUnordered === null ? false : o.ratioToUnordered >= 0.5,
      });
      checks.push({
        backend,
        target: 'ordered drain batched by 50 ≥ unordered drain (messages/s)',
        value: `${o.batchedRatioToUnordered ?? '—'} × unordered`,
        pass: o.batchedRatioToUnordered === null ? false : o.batchedRatioToUnordered >= 1,
      });
    }
    if (b.drain) {
      const ratio = b.drain.ratioToB0;
      checks.push({
        backend,
        target: `drain ≥ ${DRAIN_TARGET[backend]} × B0`,
        value: `${ratio ?? '—'} × B0`,
        pass: ratio === null ? false : ratio >= DRAIN_TARGET[backend],
      });
      if (r.peers.length)
        checks.push({
          backend,
          target: 'drain above every peer',
          value: `${ratio ?? '—'} vs best peer ${bestPeer} × B0`,
          pass: ratio !== null && ratio > bestPeer,
        });
      checks.push({
        backend,
        target: 'every delivery has its attempt recorded',
        value: `${b.drain.attemptsRecorded} attempts for ${b.drain.delivered} deliveries`,
        pass: b.drain.attemptsRecorded >= b.drain.messages && b.drain.delivered === b.drain.messages,
      });
    }
    if (b.latency) {
      const [p50, p99] = LATENCY_TARGET[backend];
      const u = b.latency.unloaded;
      checks.push({
        backend,
        target: `unloaded latency p50 ≤ ${p50} ms, p99 ≤ ${p99} ms`,
        value: `p50 ${u.p50} ms, p99 ${u.p99} ms`,
        pass: u.p50 !== null && u.p99 !== null && u.p50 <= p50 && u.p99 <= p99,
      });
    }
    if (b.history) {
      checks.push({
        backend,
        target: 'drain with 1M old attempts within 10% of empty',
        value: `${b.history.normalisedRatio ?? '—'} (B0-normalised), ${b.history.rateRatio ?? '—'} raw, CPU per delivery ${b.history.cpuRatio ?? '—'}×`,
        pass: b.history.normalisedRatio === null ? false : b.history.normalisedRatio >= 0.9,
      });
    }
    if (b.memory) {
      checks.push({
        backend,
        target: `peak RSS < 300 MB with a ${b.memory.backlog.toLocaleString('en')} backlog`,
        value: `${b.memory.peakRssMiB} MiB`,
        pass: b.memory.peakRssMiB !== null && b.memory.peakRssMiB * 1.048576 < 300,
      });
    }
    if (b.isolation) {
      checks.push({
        backend,
        target: 'healthy p99 stays near healthy-only (no number given: shown as a ratio)',
        value: `${b.isolation.healthyOnly.latency.p99} → ${b.isolation.mixed.latency.p99} ms (${b.isolation.p99Ratio}×) at ${b.isolation.ratePerSec} messages/s × 17 healthy endpoints`,
        pass: null,
      });
    }
    if (b.noisy) {
      const { alone, withNeighbour, p99Ratio } = b.noisy;
      checks.push({
        backend,
        target: "noisy neighbour: all of B delivered, B's p99 ≤ 2 × alone",
        value: `${withNeighbour.deliveredShare * 100}% delivered, p99 ${alone.latency.p99} → ${withNeighbour.latency.p99} ms (${p99Ratio}×)`,
        pass: withNeighbour.deliveredShare >= 1 && p99Ratio !== null && p99Ratio <= 2,
      });
    }
    if (b.hostile) {
      const { hostile, disabled, publishRatio, p99Ratio } = b.hostile;
      checks.push({
        backend,
        target:
          'hostile receivers at ½ the saturated rate: publish rate ≥ 0.8×, healthy p99 ≤ 2×, event-loop delay p99 ≤ 50 ms',
        value: `${b.hostile.ratePerSec}/s scheduled: ${disabled.publishedPerSec} → ${hostile.publishedPerSec}/s (${publishRatio}×), p99 ${disabled.healthy.p99} → ${hostile.healthy.p99} ms (${p99Ratio}×), loop p99 ${hostile.eventLoopP99Ms} ms; saturated ${b.hostile.saturated.disabled.publishedPerSec} → ${b.hostile.saturated.hostile.publishedPerSec}/s (${b.hostile.saturated.publishRatio}×, not judged)`,
        pass:
          publishRatio !== null &&
          publishRatio >= 0.8 &&
          p99Ratio !== null &&
          p99Ratio <= 2 &&
          hostile.eventLoopP99Ms !== null &&
          hostile.eventLoopP99Ms <= 50,
      });
    }
  }
  return [...checks, ...ingestChecks(r)];
}

const n = (v: number | null | undefined) => (v == null ? '—' : v.toLocaleString('en'));
const mark = (pass: boolean | null | undefined) => (pass === true ? ' ✓' : pass === false ? ' ✗' : '');
const pair = (a: number | null | undefined, b: number | null | undefined) => `${n(a)} / ${n(b)}`;

/** The drain table: Herald on each backend and every peer, each against the B0 run just before it. */
function drainTable(r: RunResults, backends: Backend[]): string[] {
  const out = [
    '| Drain, 1 endpoint, 20,000 queued (median round) | deliveries/s | B0 before / after | **× B0** | × B0, every round | CPU ms per 1k deliveries (B0) |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  const rounds = (list: (number | null)[] | undefined) => (list ?? []).map((x) => x ?? '—').join(' · ');
  for (const b of backends) {
    const d = r.backends[b]!.drain;
    if (!d) continue;
    out.push(
      `| **Herald, ${b}** (every attempt recorded) | ${n(d.rate)} | ${pair(d.b0.before, d.b0.after)} | **${d.ratioToB0 ?? '—'}** | ${rounds(r.backends[b]!.drainRounds)} | ${n(d.cpuMsPer1k)} (${n(d.b0.cpuMsPer1k)}) |`,
    );
  }
  for (const p of r.peers) {
    out.push(
      `| ${p.name}, no delivery log${p.error ? ` (${p.error})` : ''} | ${n(p.rate)} | ${pair(p.b0.before, p.b0.after)} | ${p.ratioToB0 ?? '—'} | ${rounds(p.rounds)} | ${n(p.cpuMsPer1k)} (${n(p.b0.cpuMsPer1k)}) |`,
    );
  }
  return out;
}

/** The baselines' table and Herald's table, in Markdown. */
export function formatTables(r: RunResults): string {
  const backends = (Object.keys(r.backends) as Backend[]).filter((b) => !r.backends[b]!.skipped);
  const out: string[] = [];
  if (r.peers.length || backends.some((b) => r.backends[b]!.drain)) out.push(...drainTable(r, backends), '');
  if (backends.length === 0) return out.join('\n');

  const check = (b: Backend, prefix: string) =>
    r.checks.find((c) => c.backend === b && c.target.startsWith(prefix))?.pass;
  // A scenario left out of the run leaves no empty row behind.
  const row = (label: string, cell: (x: BackendResults, b: Backend) => string, target = '') => {
    const cells = backends.map((b) => cell(r.backends[b]!, b));
    if (cells.some((c) => c !== '—')) out.push(`| ${label} | ${cells.join(' | ')} | ${target} |`);
  };
  out.push(
    `| Scenario | ${backends.join(' | ')} | target |`,
    `|---|${backends.map(() => '---:').join('|')}|---|`,
  );

  row(
    'Drain: deliveries/s (× B0)',
    (x, b) => (x.drain ? `${n(x.drain.rate)} (${x.drain.ratioToB0}×)${mark(check(b, 'drain ≥'))}` : '—'),
    '≥ 0.5× SQLite, ≥ 0.4× PG',
  );
  row('Drain: worker CPU per delivery (× B0)', (x) => (x.drain ? `${x.drain.cpuRatioToB0 ?? '—'}×` : '—'));
  row(
    'Drain: attempts recorded',
    (x) => (x.drain ? pair(x.drain.attemptsRecorded, x.drain.messages) : '—'),
    'all',
  );
  row('Drain: worker peak RSS (MiB)', (x) => n(x.drain?.peakRssMiB));
  row(
    'Ordered drain, 100 keys: deliveries/s (× B0; × unordered)',
    (x) =>
      x.ordered
        ? `${n(x.ordered.ordered.rate)} (${x.ordered.ordered.ratioToB0}×; ${x.ordered.ratioToUnordered}×)`
        : '—',
    '≥ 0.5 × unordered',
  );
  row(
    'Ordered drain, batches of 50: messages/s (× B0; × unordered)',
    (x) =>
      x.ordered
        ? `${n(x.ordered.batched.rate)} (${x.ordered.batched.ratioToB0}×; ${x.ordered.batchedRatioToUnordered}×)`
        : '—',
    '≥ 1 × unordered',
  );
  row(
    'Live: published/s · delivered/s',
    (x) => (x.live ? `${n(x.live.publishedPerSec)} · ${n(x.live.deliveredPerSec)}` : '—'),
    `${r.options.clients} API clients`,
  );
  row('Live: publish→receipt p50 / p99 (ms)', (x) =>
    x.live ? pair(x.live.latency.p50, x.live.latency.p99) : '—',
  );
  ingestRows(r, row);
  for (const size of [1, 10, 100, 1000]) {
    row(`Fan-out ${size}: ms to last receipt · deliveries/s`, (x) => {
      const f = x.fanout?.find((f) => f.endpoints === size);
      return f ? `${n(f.timeToAllMs)} · ${n(f.deliveriesPerSec)}${f.error ? ' (incomplete)' : ''}` : '—';
    });
  }
  row(
    'Fan-out 1,000, filtered (3–5 clauses each, all pass): publish ms · ms to last receipt (× unfiltered)',
    (x, b) => {
      const f = x.fanoutFiltered;
      return f
        ? `${n(f.filtered.publishMs)} (${f.publishRatio ?? '—'}×) · ${n(f.filtered.timeToAllMs)} (${f.timeToAllRatio ?? '—'}×)${mark(check(b, 'fan-out filtered'))}`
        : '—';
    },
    '≤ 1.1× unfiltered',
  );
  row(
    'Live beside 100 filtered-out endpoints: published/s (× Live, × turned down by type) · CPU per message (same)',
    (x, b) => {
      const l = x.liveFiltered;
      return l
        ? `${n(l.filtered.publishedPerSec)} (${l.publishRatio ?? '—'}×, ${l.publishRatioTyped ?? '—'}×) · ${l.cpuRatio ?? '—'}×, ${l.cpuRatioTyped ?? '—'}×${mark(check(b, 'live filtered'))}`
        : '—';
    },
    '≥ 0.9× Live',
  );
  row(
    'Latency unloaded: p50 / p99 (ms)',
    (x, b) =>
      x.latency
        ? `${pair(x.latency.unloaded.p50, x.latency.unloaded.p99)}${mark(check(b, 'unloaded'))}`
        : '—',
    '≤ 5 / 20 SQLite, ≤ 10 / 30 PG',
  );
  row("… of which the API's 202: p50 / p99 (ms)", (x) =>
    x.latency ? pair(x.latency.unloaded.apiAck.p50, x.latency.unloaded.apiAck.p99) : '—',
  );
  row(
    'Latency at ½ drain rate: p50 / p99 (ms)',
    (x) => {
      const l = x.latency?.loaded;
      if (!l) return '—';
      const lag =
        l.maxSendLagMs > 100
          ? `; API ${n(l.published)} of ${n(l.scheduled)}, up to ${n(l.maxSendLagMs)} ms late`
          : '';
      return `${pair(l.p50, l.p99)} at ${n(l.ratePerSec)}/s${lag}`;
    },
    'from scheduled time',
  );
  row("… of which until the API's 202: p50 / p99 (ms)", (x) => {
    const ack = x.latency?.loaded.apiAck;
    return ack ? pair(ack.p50, ack.p99) : '—';
  });
  row(
    'History, 1M old attempts: deliveries/s (× empty)',
    (x, b) =>
      x.history
        ? `${n(x.history.drain.rate)} (${x.history.normalisedRatio}×; raw ${x.history.rateRatio}×; CPU/delivery ${x.history.cpuRatio}×)${mark(check(b, 'drain with'))}`
        : '—',
    '≥ 0.9× (B0-normalised)',
  );
  row(
    'Isolation: healthy p50 / p99, alone → 15% bad (ms)',
    (x) => {
      const i = x.isolation;
      if (!i) return '—';
      return `${pair(i.healthyOnly.latency.p50, i.healthyOnly.latency.p99)} → ${pair(i.mixed.latency.p50, i.mixed.latency.p99)} (${n(i.mixed.latency.n)} deliveries)`;
    },
    'near',
  );
  row(
    "Noisy neighbour: B's p50 / p99 alone → beside 1,000 hanging endpoints (ms), delivered",
    (x, b) => {
      const v = x.noisy;
      if (!v) return '—';
      return `${pair(v.alone.latency.p50, v.alone.latency.p99)} → ${pair(v.withNeighbour.latency.p50, v.withNeighbour.latency.p99)}, ${n(v.withNeighbour.deliveredShare * 100)}%${mark(check(b, 'noisy neighbour'))}`;
    },
    'all, p99 ≤ 2×',
  );
  row(
    'Hostile receivers at ½ the saturated rate: published/s, healthy p99 (ms), loop p99 (ms), eleven disabled → enabled',
    (x, b) => {
      const v = x.hostile;
      if (!v) return '—';
      return `${n(v.disabled.publishedPerSec)} → ${n(v.hostile.publishedPerSec)}, ${n(v.disabled.healthy.p99)} → ${n(v.hostile.healthy.p99)}, ${n(v.disabled.eventLoopP99Ms)} → ${n(v.hostile.eventLoopP99Ms)}${mark(check(b, 'hostile receivers'))}`;
    },
    '≥ 0.8×, ≤ 2×, ≤ 50 ms',
  );
  row(
    'Memory: peak RSS, 100k backlog (MiB)',
    (x, b) => (x.memory ? `${n(x.memory.peakRssMiB)}${mark(check(b, 'peak RSS'))}` : '—'),
    '< 300 MB',
  );
  const errors = backends.flatMap((b) => collectErrors(b, r.backends[b]!));
  if (errors.length) out.push('', ...errors.map((e) => `- ${e}`));
  return out.join('\n');
}

function collectErrors(backend: Backend, b: BackendResults): string[] {
  const found: string[] = [];
  if (b.error) found.push(`${backend}: ${b.error}`);
  for (const [name, error] of Object.entries(b.failures ?? {}))
    found.push(`${backend} ${name} failed: ${error}`);
  for (const [name, value] of Object.entries(b)) {
    if (value && typeof value === 'object' && 'error' in value && value.error)
      found.push(`${backend} ${name}: ${value.error}`);
  }
  for (const row of b.fanout ?? [])
    if (row.error) found.push(`${backend} fan-out ${row.endpoints}: ${row.error}`);
  return found;
}
