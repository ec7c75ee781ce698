/**
 * Hostile receivers (issue 16): one application with the eleven hostile modes of
 * test/support/hostile-receiver.ts (served by a process of their own, ../hostile-receiver.ts) plus two
 * healthy endpoints; against the same application shape with the eleven disabled (their
 * deliveries are still written and held, so the fan-out cost at publish is the same), in the
 * same run. Reports the publish rate, the healthy endpoints' p99 and the delivering process's
 * event-loop delay p99 (prom-client's, reset at each scrape).
 *
 * The targets are judged at a fixed publish rate, half of what 16 clients publishing as fast as
 * Herald answers reach with the eleven disabled: two of the eleven answer 200 (an endless body,
 * garbage after a complete response), so they are delivered to and cost the worker a fresh
 * connection each, and at saturation any extra delivery work takes CPU from publishing on two
 * cores; that measures capacity, not isolation. At a fixed rate the healthy latency is counted
 * from each message's scheduled time, so an API slowed by receivers shows in it as well as in
 * the rate achieved. The saturated pair is reported beside it.
 */
import { HOSTILE_MODES } from '../../test/support/hostile-receiver.js';
import type { HeraldApi } from '../api-client.js';
import { BenchChild, cpuSeconds } from '../children.js';
import type { Session } from '../session.js';
import { latencySummary, ratio } from '../stats.js';

const HEALTHY = 2;
const RUN_MS = 5_000;

export interface HostileRun {
  publishedPerSec: number;
  healthy: ReturnType<typeof latencySummary>;
  eventLoopP99Ms: number | null;
  /**
   * CPU seconds per second of the run: Herald's processes, and the hostile receiver's (its
   * floods on loopback, where nothing slows a sender, take a share of the same two cores).
   */
  cpu: { herald: number | null; hostileReceiver: number | null };
}

export interface HostileReceiversResult {
  /** The fixed rate both judged runs publish at (messages/s). */
  ratePerSec: number;
  disabled: HostileRun;
  hostile: HostileRun;
  publishRatio: number | null;
  p99Ratio: number | null;
  /** As fast as 16 clients can publish, eleven disabled → enabled (not judged). */
  saturated: { disabled: HostileRun; hostile: HostileRun; publishRatio: number | null };
  error?: string;
}

function sum(values: (number | null)[]): number | null {
  return values.some((v) => v === null) ? null : values.reduce<number>((a, v) => a + (v as number), 0);
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
    const addHostile = async (uid: string, disabled: boolean) => {
      for (const [i, mode] of HOSTILE_MODES.entries()) {
        const res = await api.call('POST', `/api/v1/app/${uid}/endpoint`, {
          url: `${base}/${mode}/${uid}-${i}`,
          disabled,
        });
        if (res.status !== 201) throw new Error(`creating a ${mode} endpoint answered ${res.status}`);
      }
    };
    for (const uid of ['hostile-off', 'hostile-on']) {
      await api.createApp(uid);
      for (let i = 0; i < HEALTHY; i++) await api.createEndpoint(uid, receiver.url(`/ok/${uid}-${i}`, i));
    }
    await addHostile('hostile-off', true);
    const run = async (uid: string, ratePerSec: number | null): Promise<HostileRun> => {
      await receiver.reset();
      await eventLoopP99(metricsUrl);
      const cpu = () => ({
        herald: sum(online.processes.map((p) => cpuSeconds(p.pid))),
        hostileReceiver: cpuSeconds(hostile.pid),
      });
      const cpuBefore = cpu();
      const sent =
        ratePerSec === null
          ? await api.publishMany([uid], 1_000_000, session.options.clients, RUN_MS)
          : await api.publishOnSchedule([uid], ratePerSec, RUN_MS);
      if (sent.firstError) errors.push(sent.firstError);
      const loop = await eventLoopP99(metricsUrl);
      const cpuAfter = cpu();
      const perSec = (after: number | null, before: number | null) =>
        after === null || before === null ? null : Math.round(((after - before) / sent.ms) * 100_000) / 100;
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
        cpu: {
          herald: perSec(cpuAfter.herald, cpuBefore.herald),
          hostileReceiver: perSec(cpuAfter.hostileReceiver, cpuBefore.hostileReceiver),
        },
      };
    };
    session.log('hostile receivers: the eleven disabled, as fast as Herald answers');
    const saturatedOff = await run('hostile-off', null);
    const rate = Math.max(1, Math.round(saturatedOff.publishedPerSec / 2));
    session.log(`hostile receivers: the eleven disabled, ${rate} messages/s`);
    const disabled = await run('hostile-off', rate);
    // The healthy endpoints of 'hostile-off' were first heard from in the saturated run. Those of
    // 'hostile-on' get the same start before the eleven exist, so that the judged run compares
    // the eleven's effect, not a warm endpoint with one answering for the first time.
    session.log(`hostile receivers: warming up the healthy endpoints of the second application`);
    await run('hostile-on', null);
    await addHostile('hostile-on', false);
    session.log(`hostile receivers: the eleven enabled, ${rate} messages/s`);
    const enabled = await run('hostile-on', rate);
    session.log('hostile receivers: the eleven enabled, as fast as Herald answers');
    const saturatedOn = await run('hostile-on', null);
    session.log(
      `hostile receivers at ${rate}/s: ${disabled.publishedPerSec} → ${enabled.publishedPerSec} published/s, healthy p99 ${disabled.healthy.p99} → ${enabled.healthy.p99} ms, loop p99 ${enabled.eventLoopP99Ms} ms, CPU/s Herald ${disabled.cpu.herald} → ${enabled.cpu.herald}, hostile receiver ${enabled.cpu.hostileReceiver}; saturated ${saturatedOff.publishedPerSec} → ${saturatedOn.publishedPerSec}/s`,
    );
    return {
      ratePerSec: rate,
      disabled,
      hostile: enabled,
      publishRatio: ratio(enabled.publishedPerSec, disabled.publishedPerSec),
      p99Ratio: ratio(enabled.healthy.p99, disabled.healthy.p99),
      saturated: {
        disabled: saturatedOff,
        hostile: saturatedOn,
        publishRatio: ratio(saturatedOn.publishedPerSec, saturatedOff.publishedPerSec),
      },
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
  } finally {
    hostile.send({ cmd: 'exit' });
    await hostile.exit(5_000);
  }
}
