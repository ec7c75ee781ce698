import { type FormEvent, useMemo, useReducer, useState } from 'react';
import { Link, useLocation } from 'wouter';
import type { ApiError } from '../api/errors.js';
import type { ApplicationOut, ListResponse } from '../api/types.js';
import { useSession } from '../app/session.js';
import { DataTable } from '../components/DataTable.js';
import { Pager } from '../components/Pager.js';
import { SearchInput } from '../components/SearchInput.js';
import { Empty, ErrorNote, Field, Loading, PageHeader, Time } from '../components/ui.js';
import { useAction, useQuery } from '../hooks/useQuery.js';
import { currentCursor, cursorReducer, FIRST_PAGE } from '../lib/pagination.js';
import { seg } from '../lib/query.js';

const PAGE_SIZE = 50;

/** Every application: search, open, create. */
export function ApplicationsPage() {
  const { api } = useSession();
  const [, navigate] = useLocation();
  const [cursor, dispatch] = useReducer(cursorReducer, FIRST_PAGE);
  const [search, setSearch] = useState('');
  const [lookupError, setLookupError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const iterator = currentCursor(cursor);
  const apps = useQuery(`apps:${iterator}`, (signal) =>
    api.get<ListResponse<ApplicationOut>>(
      '/api/v1/app',
      { limit: PAGE_SIZE, iterator, order: 'descending' },
      signal,
    ),
  );

  const visible = useMemo(() => {
    const needle = search.trim().toLowerCase();
    if (!apps.data) return [];
    if (!needle) return apps.data.data;
    return apps.data.data.filter((app) =>
      [app.name, app.uid ?? '', app.id].some((text) => text.toLowerCase().includes(needle)),
    );
  }, [apps.data, search]);

  // Names are matched on the page shown; an exact id or uid opens the application wherever it is.
  const lookup = async (event: FormEvent) => {
    event.preventDefault();
    const needle = search.trim();
    if (!needle) return;
    setLookupError(null);
    if (!/^[a-zA-Z0-9\-_.]+$/.test(needle)) {
      if (visible.length === 0) setLookupError(`No application on this page matches "${needle}".`);
      return;
    }
    try {
      const app = await api.get<ApplicationOut>(`/api/v1/app/${seg(needle)}`);
      navigate(`/apps/${seg(app.id)}`);
    } catch (err) {
      if ((err as ApiError).status === 404)
        setLookupError(
          visible.length > 0
            ? `No application has the id or uid "${needle}"; the names below match.`
            : `No application has the id or uid "${needle}", and no name on this page matches.`,
        );
      else setLookupError((err as ApiError).message);
    }
  };

  return (
    <>
      <PageHeader
        title="Applications"
        subtitle="One application per customer of your platform. Each has its own endpoints and history."
        actions={
          <button type="button" className="button button-primary" onClick={() => setCreating((v) => !v)}>
            {creating ? 'Close' : 'New application'}
          </button>
        }
      />
      {creating ? <CreateApplication onCreated={(app) => navigate(`/apps/${seg(app.id)}`)} /> : null}
      <search>
        <form className="toolbar" onSubmit={lookup}>
          <SearchInput
            id="app-search"
            label="Search applications"
            placeholder="Search by name, or enter an id or uid"
            value={search}
            onChange={(value) => {
              setSearch(value);
              setLookupError(null);
            }}
          />
          <button type="submit" className="button">
            Open
          </button>
        </form>
      </search>
      {lookupError ? <ErrorNote>{lookupError}</ErrorNote> : null}
      {apps.error ? <ErrorNote error={apps.error} /> : null}
      {!apps.data && !apps.error ? <Loading /> : null}
      {apps.data && visible.length === 0 ? (
        <Empty>
          {search ? 'No application on this page matches.' : 'No applications yet. Create the first one.'}
        </Empty>
      ) : null}
      {visible.length > 0 ? (
        <DataTable caption="Applications" columns={['Name', 'UID', 'ID', 'Created']}>
          {visible.map((app) => (
            <tr key={app.id}>
              <td data-label="Name">
                <Link href={`/apps/${seg(app.id)}`}>{app.name}</Link>
              </td>
              <td data-label="UID" className="mono">
                {app.uid ?? '—'}
              </td>
              <td data-label="ID" className="mono">
                {app.id}
              </td>
              <td data-label="Created">
                <Time iso={app.createdAt} />
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      <Pager state={cursor} page={apps.data} dispatch={dispatch} label="Applications" />
    </>
  );
}

function CreateApplication({ onCreated }: { onCreated(app: ApplicationOut): void }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [uid, setUid] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const create = useAction((body: Record<string, unknown>) =>
    api.post<ApplicationOut>('/api/v1/app', body, { idempotent: true }),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return setNameError('Give the application a name (your customer’s name, say).');
    setNameError(null);
    const app = await create.run({ name: name.trim(), ...(uid.trim() ? { uid: uid.trim() } : {}) });
    if (app) onCreated(app);
  };
  const uidError =
    create.error?.issueFor('uid') ?? (create.error?.status === 409 ? create.error.message : undefined);
  return (
    <form className="card form" onSubmit={submit} noValidate aria-labelledby="new-app-title">
      <h2 id="new-app-title">New application</h2>
      <Field label="Name" error={nameError ?? create.error?.issueFor('name')}>
        {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="UID (optional)"
        hint="Your own identifier for this customer (letters, digits, - _ .). Usable in place of the id in every API path."
        error={uidError}
      >
        {(props) => (
          <input {...props} className="mono" value={uid} onChange={(e) => setUid(e.target.value)} />
        )}
      </Field>
      {create.error && !create.error.issues.length && create.error.status !== 409 ? (
        <ErrorNote error={create.error} />
      ) : null}
      <button type="submit" className="button button-primary" disabled={create.pending}>
        {create.pending ? 'Creating…' : 'Create application'}
      </button>
    </form>
  );
}
