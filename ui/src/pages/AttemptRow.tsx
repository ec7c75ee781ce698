import type { ReactNode } from 'react';
import { Link } from 'wouter';
import type { MessageAttemptOut } from '../api/types.js';
import { Badge, Time } from '../components/ui.js';
import { duration, statusLabel, statusTone } from '../lib/format.js';

/**
 * One attempt in a table: its status (linking to the attempt), `children` for the column the
 * table adds (event type, endpoint), then the response, the duration and when it was made.
 */
export function AttemptRow({
  attempt,
  href,
  children,
}: {
  attempt: MessageAttemptOut;
  href: string;
  children: ReactNode;
}) {
  return (
    <tr>
      <td data-label="Status">
        <Link href={href} aria-label={`Attempt ${attempt.id}: ${statusLabel(attempt.status)}`}>
          <Badge tone={statusTone(attempt.status)}>{statusLabel(attempt.status)}</Badge>
        </Link>
        {attempt.triggerType === 1 ? <span className="muted"> manual</span> : null}
      </td>
      {children}
      <td data-label="Response">
        {attempt.responseStatusCode ? `HTTP ${attempt.responseStatusCode}` : (attempt.errorClass ?? 'none')}
      </td>
      <td data-label="Duration">{duration(attempt.responseDurationMs)}</td>
      <td data-label="When">
        <Time iso={attempt.timestamp} />
      </td>
    </tr>
  );
}
