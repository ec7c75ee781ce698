import { type FormEvent, useState } from 'react';
import { ApiClient } from '../api/client.js';
import { ApiError } from '../api/errors.js';
import { Field } from '../components/ui.js';
import { adminTokenProblem, saveAdminToken } from '../lib/session.js';

/**
 * Sign-in with the admin token. The token is checked with one API call before it is kept, and
 * kept only in this tab's sessionStorage (never in the URL).
 */
export function SignInPage({ expired, onSignedIn }: { expired: boolean; onSignedIn(token: string): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = adminTokenProblem(token);
    if (problem) return setError(problem);
    if (token.trim().startsWith('appsk_'))
      return setError('This is a consumer-portal token. Open the portal link it came with instead.');
    setPending(true);
    setError(null);
    try {
      await new ApiClient(token.trim(), () => {}).get('/api/v1/app', { limit: 1 });
      saveAdminToken(sessionStorage, token);
      onSignedIn(token.trim());
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Herald could not be reached.');
    } finally {
      setPending(false);
    }
  };

  return (
    <main id="main" className="main gate">
      <h1>Sign in to Herald</h1>
      {expired ? (
        <p className="note note-warn" role="status">
          Your session ended: the token was not accepted any more. Sign in again.
        </p>
      ) : null}
      <form onSubmit={submit} className="card form" noValidate>
        <Field
          label="Admin token"
          hint="Herald prints it at first start and saves it to data/admin-token. It stays in this tab only."
          error={error}
        >
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="current-password"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              // biome-ignore lint/a11y/noAutofocus: the only thing to do on this page
              autoFocus
            />
          )}
        </Field>
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
