/**
 * Hostile receivers (issue 16): one application with the eleven hostile modes of
 * test/support/hostile-receiver.ts (served by a process of their own, ../hostile-receiver.ts) plus two
 * healthy endpoints, published to by 16 clients; against the same application shape with the
 * eleven disabled (their deliveries are still written and held, so the fan-out cost at publish
 * is the same), in the same run. Reports the publish rate, the healthy endpoints' p99 and the
 * delivering process's event-loop delay p99 (prom-client's, reset at each scrape).
 */
import { HOSTILE_MODES } from '../../test/support/hostile-receiver.js';
import type { HeraldApi } from '../api-client.js';
import { BenchChild } from '../children.js';
import type { Session } from '../session.js';
import { latencySummary, ratio } from '../stats.js';

const HEALTHY = 2;
const RUN_MS = 5_000;

export interface HostileRun {
  publishedPerSec: number;
  healthy: ReturnType<typeof latencySummary>;
  eventLoopP99Ms: number | null;
}

export interface HostileReceiversResult {
  disabled: HostileRun;
  hostile: HostileRun;
  publishRatio: number | null;
  p99Ratio: number | null;
  error?: string;
}

/** The event-loop delay p99 since the previous scrape, in ms, from Herald's /metrics. */
async function eventLoopP99(url: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(text);
  return m ? Math.round(Number(m[1]) * 1000 * 10) / 10 : null;
}

export async function measureHostileReceivers(session: Session): Promise<HostileReceiversResult> {
  const { receiver } = session;
  const online = await session.online();
  const api: HeraldApi = online.api;
  const metricsUrl = online.deliverer.url ?? online.processes[0]!.url!;
  const hostile = new BenchChild('./hostile-receiver.ts', []);
  const errors: string[] = [];
  try {
    const { base } = (await hostile.next((m) => m.ready === true, 20_000)) as { base: string };
    for (const [uid, disabled] of [
      ['hostile-off', true],
      ['hostile-on', false],
    ] as const) {
      await api.createApp(uid);
      for (let i = 0; i < HEALTHY; i++) await api.createEndpoint(uid, receiver.url(`/ok/${uid}-${i}`, i));
      for (const [i, mode] of HOSTILE_MODES.entries()) {
        const res = await api.call('POST', `/api/v1/app/${uid}/endpoint`, {
          url: `${base}/${mode}/${uid}-${i}`,
          disabled,
        });
        if (res.status !== 201) throw new Error(`creating a ${mode} endpoint answered ${res.status}`);
      }
    }
    const run = async (uid: string): Promise<HostileRun> => {
      await receiver.reset();
      await eventLoopP99(metricsUrl);
      const sent = await api.publishMany([uid], 1_000_000, session.options.clients, RUN_MS);
      if (sent.firstError) errors.push(sent.firstError);
      const loop = await eventLoopP99(metricsUrl);
      let latencies = await receiver.latencies();
      for (let waited = 0; latencies.length < sent.published * HEALTHY && waited < 30_000; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        latencies = await receiver.latencies();
      }
      if (latencies.length < sent.published * HEALTHY)
        errors.push(
          `${uid}: ${latencies.length} of ${sent.published * HEALTHY} healthy deliveries within 30 s`,
        );
      return {
        publishedPerSec: Math.round((sent.published / sent.ms) * 1000),
        healthy: latencySummary(latencies),
        eventLoopP99Ms: loop,
      };
    };
    session.log('hostile receivers: the eleven disabled');
    const disabled = await run('hostile-off');
    session.log('hostile receivers: the eleven enabled');
    const enabled = await run('hostile-on');
    session.log(
      `hostile receivers: ${disabled.publishedPerSec} → ${enabled.publishedPerSec} published/s, healthy p99 ${disabled.healthy.p99} → ${enabled.healthy.p99} ms, loop p99 ${enabled.eventLoopP99Ms} ms`,
    );
    return {
      disabled,
      hostile: enabled,
      publishRatio: ratio(enabled.publishedPerSec, disabled.publishedPerSec),
      p99Ratio: ratio(enabled.healthy.p99, disabled.healthy.p99),
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
  } finally {
    hostile.send({ cmd: 'exit' });
    await hostile.exit(5_000);
  }
}
