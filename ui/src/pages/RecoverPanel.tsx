import { useState } from 'react';
import type { BackgroundTaskOut, EndpointMessageOut, EndpointOut, ListResponse } from '../api/types.js';
import { useSession } from '../app/session.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { SinceFields } from '../components/pickers.js';
import { ErrorNote, Note } from '../components/ui.js';
import { useAction } from '../hooks/useQuery.js';
import { useTask } from '../hooks/useTask.js';
import { absoluteTime } from '../lib/format.js';
import { type RecoverPreset, recoverCountText, recoverSince } from '../lib/recover.js';

/** Messages counted at most before confirming (4 pages); past that the count says "more than". */
const COUNT_PAGES = 4;

/**
 * "Recover failed messages since…": counts what would be sent, asks, then starts Herald's
 * recover task and follows it until it finishes.
 */
export function RecoverPanel({ endpoint, path }: { endpoint: EndpointOut; path: string }) {
  const { api } = useSession();
  const [preset, setPreset] = useState<RecoverPreset>('24h');
  const [custom, setCustom] = useState('');
  const [formError, setFormError] = useState<string | null>(null);
  const [plan, setPlan] = useState<{ since: string; count: number; capped: boolean } | null>(null);
  const [task, setTask] = useTask();

  const count = useAction(async (since: string) => {
    let total = 0;
    let iterator: string | null = null;
    for (let page = 0; page < COUNT_PAGES; page++) {
      const result: ListResponse<EndpointMessageOut> = await api.get<ListResponse<EndpointMessageOut>>(
        `${path}/msg`,
        { status: 2, after: since, limit: 250, iterator, with_content: false },
      );
      total += result.data.length;
      if (result.done || !result.iterator) return { since, count: total, capped: false };
      iterator = result.iterator;
    }
    return { since, count: total, capped: true };
  });
  const recover = useAction((since: string) => api.post<BackgroundTaskOut>(`${path}/recover`, { since }));

  const check = async () => {
    const window = recoverSince(preset, custom, Date.now());
    if (window.error !== undefined) return setFormError(window.error);
    setFormError(null);
    setTask(null);
    const counted = await count.run(window.since);
    if (counted) setPlan(counted);
  };

  const confirm = async () => {
    if (!plan) return;
    const started = await recover.run(plan.since);
    setPlan(null);
    if (started) setTask(started);
  };

  return (
    <section className="card" aria-labelledby="recover-title">
      <h2 id="recover-title">Recover failed messages</h2>
      <p className="muted">
        Sends again every message that failed to reach this endpoint since the time you choose
        {endpoint.disabled ? ' (enable the endpoint first, or they will wait)' : ''}.
      </p>
      <SinceFields
        label="Failed since"
        customLabel="From (your local time)"
        preset={preset}
        custom={custom}
        error={formError}
        onPreset={setPreset}
        onCustom={setCustom}
      />
      <button type="button" className="button" onClick={check} disabled={count.pending}>
        {count.pending ? 'Counting…' : 'Recover failed messages…'}
      </button>
      <ErrorNote error={count.error ?? recover.error} />
      {task ? (
        <Note tone={task.status === 'failed' ? 'warn' : 'good'}>
          {task.status === 'running'
            ? 'Recovery started: the failed messages are being sent again.'
            : task.status === 'finished'
              ? 'Recovery finished: the failed messages were queued again. Watch the Attempts tab.'
              : 'The recovery task failed. Try again, or check the server logs.'}
        </Note>
      ) : null}
      <ConfirmDialog
        open={plan !== null}
        title="Send the failed messages again?"
        confirmLabel={plan && plan.count > 0 ? 'Recover' : 'Nothing to recover'}
        confirmDisabled={plan?.count === 0}
        danger={false}
        pending={recover.pending}
        onConfirm={confirm}
        onCancel={() => setPlan(null)}
      >
        {plan ? (
          <p data-testid="recover-count">
            Herald found {recoverCountText(plan.count, plan.capped)} for this endpoint since{' '}
            {absoluteTime(plan.since)}.{plan.count > 0 ? ' Each is sent again, once.' : ''}
          </p>
        ) : null}
      </ConfirmDialog>
    </section>
  );
}
