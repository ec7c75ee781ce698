import { useState } from 'react';
import { useLocation } from 'wouter';
import type { EndpointOut } from '../api/types.js';
import { useAppHref, useSession } from '../app/session.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorNote } from '../components/ui.js';
import { useAction } from '../hooks/useQuery.js';

/** What a panel of the endpoint page is given: the endpoint, its API path, and a reload. */
export interface EndpointPanelProps {
  endpoint: EndpointOut;
  path: string;
  onChanged(): void;
}

/** Enable, disable and delete, each disruptive choice confirmed first. */
export function EndpointDangerZone({ endpoint, path, onChanged }: EndpointPanelProps) {
  const { api } = useSession();
  const [, navigate] = useLocation();
  const appHref = useAppHref();
  const [confirm, setConfirm] = useState<'disable' | 'delete' | null>(null);
  const toggle = useAction((disabled: boolean) => api.patch<EndpointOut>(path, { disabled }));
  const remove = useAction(async () => {
    await api.delete(path);
    return true;
  });

  const setDisabled = async (disabled: boolean) => {
    const done = await toggle.run(disabled);
    setConfirm(null);
    if (done) onChanged();
  };

  return (
    <>
      <section className="card" aria-labelledby="danger-title">
        <h2 id="danger-title">Enable, disable, delete</h2>
        <p className="muted">
          A disabled endpoint receives nothing; its messages wait and are sent when it is enabled again.
        </p>
        <div className="form-actions">
          {endpoint.disabled ? (
            <button
              type="button"
              className="button button-primary"
              onClick={() => setDisabled(false)}
              disabled={toggle.pending}
            >
              Enable endpoint
            </button>
          ) : (
            <button type="button" className="button" onClick={() => setConfirm('disable')}>
              Disable endpoint
            </button>
          )}
          <button type="button" className="button button-danger" onClick={() => setConfirm('delete')}>
            Delete endpoint
          </button>
        </div>
        <ErrorNote error={toggle.error ?? remove.error} />
      </section>

      <ConfirmDialog
        open={confirm === 'disable'}
        title="Disable this endpoint?"
        confirmLabel="Disable"
        pending={toggle.pending}
        onConfirm={() => setDisabled(true)}
        onCancel={() => setConfirm(null)}
      >
        <p>
          Herald stops sending to <span className="mono">{endpoint.url}</span>. Messages are kept and sent
          when you enable it again.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'delete'}
        title="Delete this endpoint?"
        confirmLabel="Delete endpoint"
        pending={remove.pending}
        onConfirm={async () => {
          const deleted = await remove.run();
          setConfirm(null);
          if (deleted) navigate(appHref('/'));
        }}
        onCancel={() => setConfirm(null)}
      >
        <p>
          <span className="mono">{endpoint.url}</span> will receive nothing more, and its delivery history
          goes with it. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
