import { useState } from 'react';
import { useSession } from '../app/session.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { CopyButton, ErrorNote, Note } from '../components/ui.js';
import { useAction } from '../hooks/useQuery.js';

/** The signing secret: hidden until asked for, copyable, rotatable after a warning. */
export function EndpointSecret({ path }: { path: string }) {
  const { api } = useSession();
  const [secret, setSecret] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [rotated, setRotated] = useState(false);
  const reveal = useAction(async () => {
    const out = await api.get<{ key: string }>(`${path}/secret`);
    setSecret(out.key);
    return out.key;
  });
  const rotate = useAction(async () => {
    await api.post<null>(`${path}/secret/rotate`, {});
    return true;
  });

  const doRotate = async () => {
    const done = await rotate.run();
    setConfirming(false);
    if (!done) return;
    setRotated(true);
    // Show the new secret only if the old one was on screen; otherwise keep it hidden.
    if (secret !== null) await reveal.run();
  };

  return (
    <section className="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="muted">Your receiver uses it to check that a request really comes from us.</p>
      <div className="secret">
        <span className="visually-hidden">Signing secret:</span>
        <code className="mono" data-testid="secret-value">
          {secret ?? '••••••••••••••••••••••••'}
        </code>
        {secret ? (
          <>
            <CopyButton text={secret} label="Copy secret" />
            <button type="button" className="button button-small" onClick={() => setSecret(null)}>
              Hide
            </button>
          </>
        ) : (
          <button
            type="button"
            className="button button-small"
            onClick={() => reveal.run()}
            disabled={reveal.pending}
          >
            Reveal
          </button>
        )}
        <button type="button" className="button button-small" onClick={() => setConfirming(true)}>
          Rotate secret
        </button>
      </div>
      {rotated ? (
        <Note tone="good">
          The secret was rotated. Requests are signed with both the new and the previous secret for a grace
          period (24 hours by default), so update your receiver now.
        </Note>
      ) : null}
      <ErrorNote error={reveal.error ?? rotate.error} />
      <ConfirmDialog
        open={confirming}
        title="Rotate the signing secret?"
        confirmLabel="Rotate secret"
        pending={rotate.pending}
        onConfirm={doRotate}
        onCancel={() => setConfirming(false)}
      >
        <p>
          A new secret signs every request from now on. The current one keeps signing alongside it for the
          grace period, then stops: your receiver must switch to the new secret before that.
        </p>
      </ConfirmDialog>
    </section>
  );
}
