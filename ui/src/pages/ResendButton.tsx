import { useState } from 'react';
import { useAppScope, useSession } from '../app/session.js';
import { ErrorNote } from '../components/ui.js';
import { useAction } from '../hooks/useQuery.js';
import { seg } from '../lib/query.js';

/** Sends one message to one endpoint again, as a new manual attempt. */
export function ResendButton({
  msgId,
  endpointId,
  onResent,
}: {
  msgId: string;
  endpointId: string;
  onResent?(): void;
}) {
  const { api } = useSession();
  const { appId } = useAppScope();
  const [done, setDone] = useState(false);
  const resend = useAction(async () => {
    await api.post<null>(
      `/api/v1/app/${seg(appId)}/msg/${seg(msgId)}/endpoint/${seg(endpointId)}/resend`,
      {},
    );
    return true;
  });
  return (
    <span className="resend">
      <button
        type="button"
        className="button button-small"
        disabled={resend.pending}
        onClick={async () => {
          if (await resend.run()) {
            setDone(true);
            onResent?.();
          }
        }}
      >
        {resend.pending ? 'Resending…' : 'Resend'}
      </button>
      {done ? (
        <span role="status" className="muted">
          {' '}
          Resent: a new attempt is on its way.
        </span>
      ) : null}
      <ErrorNote error={resend.error} />
    </span>
  );
}
