import { useState } from 'react';
import type { BackgroundTaskOut, EndpointOut } from '../api/types.js';
import { useSession } from '../app/session.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { EventTypeSelect, SinceFields } from '../components/pickers.js';
import { ErrorNote, Field, Note } from '../components/ui.js';
import { useAction } from '../hooks/useQuery.js';
import { useTask } from '../hooks/useTask.js';
import { absoluteTime } from '../lib/format.js';
import { type RecoverPreset, recoverSince } from '../lib/recover.js';

type ReplayKind = 'missing' | 'bulk';

const KINDS: Record<ReplayKind, { label: string; route: string; noun: string }> = {
  missing: {
    label: 'Messages this endpoint never received',
    route: 'replay-missing',
    noun: 'missing message',
  },
  bulk: { label: 'Every message that matches the filters', route: 'bulk-replay', noun: 'matching message' },
};

/** Bulk replay's status choice, as Svix numbers delivery statuses ('' = any). */
const BULK_STATUSES: Array<['' | '0' | '2', string]> = [
  ['', 'Any status'],
  ['2', 'Failed'],
  ['0', 'Succeeded'],
];

interface Plan {
  kind: ReplayKind;
  body: Record<string, unknown>;
  count: number;
}

/** "3 missing messages", "no matching messages". */
function countText(count: number, noun: string): string {
  if (count === 0) return `no ${noun}s`;
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : `${noun}s`}`;
}

/**
 * Replay-missing and bulk replay: a dry run first (Herald's `dryRun`) says how many messages
 * would be sent, the person confirms, then the task runs and is followed until it ends.
 */
export function ReplayPanel({ endpoint, path }: { endpoint: EndpointOut; path: string }) {
  const { api } = useSession();
  const [kind, setKind] = useState<ReplayKind>('missing');
  const [preset, setPreset] = useState<RecoverPreset>('24h');
  const [custom, setCustom] = useState('');
  const [status, setStatus] = useState<'' | '0' | '2'>('');
  const [eventType, setEventType] = useState('');
  const [formError, setFormError] = useState<string | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [task, setTask] = useTask();

  const start = useAction((replay: ReplayKind, body: Record<string, unknown>) =>
    api.post<BackgroundTaskOut>(`${path}/${KINDS[replay].route}`, body),
  );

  const check = async () => {
    const window = recoverSince(preset, custom, Date.now());
    if (window.error !== undefined) return setFormError(window.error);
    setFormError(null);
    setTask(null);
    const body: Record<string, unknown> = { since: window.since };
    if (kind === 'bulk') {
      if (status) body.status = Number(status);
      if (eventType) body.eventTypes = [eventType];
    }
    const dry = await start.run(kind, { ...body, dryRun: true });
    if (dry) setPlan({ kind, body, count: Number(dry.data?.count ?? 0) });
  };

  const confirm = async () => {
    if (!plan) return;
    const started = await start.run(plan.kind, plan.body);
    setPlan(null);
    if (started) setTask(started);
  };

  return (
    <section className="card" aria-labelledby="replay-title">
      <h2 id="replay-title">Replay messages</h2>
      <p className="muted">
        Sends messages to this endpoint again, oldest first, after showing how many it will send
        {endpoint.disabled ? ' (enable the endpoint first, or they will wait)' : ''}.
      </p>
      <Field label="What to send">
        {(props) => (
          <select {...props} value={kind} onChange={(e) => setKind(e.target.value as ReplayKind)}>
            {(Object.keys(KINDS) as ReplayKind[]).map((k) => (
              <option key={k} value={k}>
                {KINDS[k].label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <SinceFields
        label="Sent since"
        customLabel="Since (your local time)"
        preset={preset}
        custom={custom}
        error={formError}
        onPreset={setPreset}
        onCustom={setCustom}
      />
      {kind === 'bulk' ? (
        <>
          <Field label="Delivery status">
            {(props) => (
              <select {...props} value={status} onChange={(e) => setStatus(e.target.value as '' | '0' | '2')}>
                {BULK_STATUSES.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <EventTypeSelect label="Replay event type" value={eventType} onChange={setEventType} />
        </>
      ) : null}
      <button type="button" className="button" onClick={check} disabled={start.pending}>
        {start.pending && !plan ? 'Counting…' : 'Count and replay…'}
      </button>
      <ErrorNote error={start.error} />
      {task ? (
        <Note tone={task.status === 'failed' ? 'warn' : 'good'}>
          {task.status === 'running'
            ? 'Replay started: the messages are being sent.'
            : task.status === 'finished'
              ? `Replay finished: ${countText(Number(task.data?.count ?? 0), KINDS[kind].noun)} queued. Watch the Attempts tab.`
              : 'The replay task failed. Try again, or check the server logs.'}
        </Note>
      ) : null}
      <ConfirmDialog
        open={plan !== null}
        title="Replay these messages?"
        confirmLabel={plan && plan.count > 0 ? 'Replay' : 'Nothing to replay'}
        confirmDisabled={plan?.count === 0}
        danger={false}
        pending={start.pending}
        onConfirm={confirm}
        onCancel={() => setPlan(null)}
      >
        {plan ? (
          <p data-testid="replay-count">
            Herald found {countText(plan.count, KINDS[plan.kind].noun)} for this endpoint since{' '}
            {absoluteTime(String(plan.body.since))}.{plan.count > 0 ? ' Each is sent once more.' : ''}
          </p>
        ) : null}
      </ConfirmDialog>
    </section>
  );
}
