/**
 * The front door's share of the report (issue 20): A0 and Live × A0, batch publishing and
 * scale-out rows, and their targets. Kept apart from report.ts, which calls in here.
 */
import type { Backend } from './database.js';
import type { BackendResults, Check, RunResults } from './report.js';

const LIVE_A0_TARGET: Record<Backend, number> = { sqlite: 0.5, postgres: 0.35 };
const BATCH_B0_TARGET: Record<Backend, number> = { sqlite: 0.7, postgres: 0.5 };
const LOADED_P99_TARGET_MS = 100;

/** Live's rate against A0's, measured in the same run. */
export function liveToA0(r: RunResults, b: BackendResults): number | null {
  const a0 = r.a0?.publishedPerSec;
  if (!b.live || !a0) return null;
  return Math.round((b.live.publishedPerSec / a0) * 100) / 100;
}

/** The issue's targets for the front door, judged on this run. */
export function ingestChecks(r: RunResults): Check[] {
  const checks: Check[] = [];
  const bestPeer = Math.max(0, ...r.peers.map((p) => p.ratioToB0 ?? 0));
  for (const [backend, b] of Object.entries(r.backends) as [Backend, BackendResults][]) {
    const live = liveToA0(r, b);
    if (live !== null && b.live) {
      const keepsUp = b.live.deliveredPerSec >= 0.95 * b.live.publishedPerSec;
      checks.push({
        backend,
        target: `live ≥ ${LIVE_A0_TARGET[backend]} × A0, delivered/s within 5% of published/s`,
        value: `${live} × A0 (${b.live.publishedPerSec}/s of A0's ${r.a0!.publishedPerSec}/s), delivered ${b.live.deliveredPerSec}/s`,
        pass: live >= LIVE_A0_TARGET[backend] && keepsUp,
      });
    }
    const e2e = b.batch?.find((x) => x.batchSize === 1_000);
    if (e2e) {
      const x = e2e.ratioToB0 ?? null;
      checks.push({
        backend,
        target: `batch end to end ≥ ${BATCH_B0_TARGET[backend]} × B0${r.peers.length ? ', above every peer' : ''}`,
        value: `${x ?? '—'} × B0${r.peers.length ? ` (best peer ${bestPeer})` : ''}`,
        pass: x !== null && x >= BATCH_B0_TARGET[backend] && (r.peers.length === 0 || x > bestPeer),
      });
    }
    const loaded = b.latency?.loaded;
    if (loaded) {
      checks.push({
        backend,
        target: `latency at ½ drain rate p99 ≤ ${LOADED_P99_TARGET_MS} ms`,
        value: `p99 ${loaded.p99 ?? '—'} ms at ${loaded.ratePerSec}/s`,
        pass: loaded.p99 !== null && loaded.p99 <= LOADED_P99_TARGET_MS,
      });
    }
    if (b.scaleOut)
      checks.push({
        backend,
        target: 'scale-out: two API processes against one (no number given: shown as a ratio)',
        value: `${b.scaleOut.two.publishedPerSec}/s vs ${b.scaleOut.one.publishedPerSec}/s (${b.scaleOut.ratio ?? '—'}×)`,
        pass: null,
      });
  }
  return checks;
}

type Row = (label: string, cell: (x: BackendResults, b: Backend) => string, target?: string) => void;

/** The front door's rows of the scenario table. */
export function ingestRows(r: RunResults, row: Row): void {
  const n = (v: number | null | undefined) => (v == null ? '—' : v.toLocaleString('en'));
  if (r.a0)
    row(
      'A0 (bare Fastify, same request): published/s',
      () => n(r.a0!.publishedPerSec),
      `${r.a0.clients} clients`,
    );
  row(
    'Live: published/s × A0',
    (x) => (liveToA0(r, x) === null ? '—' : `${liveToA0(r, x)}×`),
    '≥ 0.5× SQLite, ≥ 0.35× PG',
  );
  for (const size of [100, 1_000]) {
    row(`Batch of ${n(size)}: published/s · end to end/s`, (x) => {
      const run = x.batch?.find((b) => b.batchSize === size);
      return run
        ? `${n(run.publishedPerSec)} · ${n(run.endToEndPerSec)}${run.error ? ' (errors)' : ''}`
        : '—';
    });
  }
  row(
    'Batch: 20,000 in batches of 1,000, end to end × B0',
    (x) => {
      const run = x.batch?.find((b) => b.batchSize === 1_000);
      return run ? `${run.ratioToB0 ?? '—'}× (B0 ${n(run.b0?.rate)}/s)` : '—';
    },
    '≥ 0.7× SQLite, ≥ 0.5× PG',
  );
  row('Scale-out: Live published/s, 1 → 2 API processes', (x) =>
    x.scaleOut
      ? `${n(x.scaleOut.one.publishedPerSec)} → ${n(x.scaleOut.two.publishedPerSec)} (${x.scaleOut.ratio ?? '—'}×)`
      : '—',
  );
}
