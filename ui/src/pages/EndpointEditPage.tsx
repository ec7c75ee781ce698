import { useState } from 'react';
import type { EndpointHeadersOut, EndpointOut } from '../api/types.js';
import { useSession } from '../app/session.js';
import { ErrorNote, Loading, Note } from '../components/ui.js';
import { useAction, useQuery } from '../hooks/useQuery.js';
import {
  type EndpointFormValues,
  endpointPatchBody,
  formFromEndpoint,
  headersPatchBody,
} from '../lib/endpoint-form.js';
import { EndpointForm } from './EndpointForm.js';

/** Edits an endpoint: its fields with one PATCH, its custom headers with another. */
export function EndpointEditPage({
  endpoint,
  path,
  onSaved,
}: {
  endpoint: EndpointOut;
  path: string;
  onSaved(): void;
}) {
  const { api } = useSession();
  const [saved, setSaved] = useState<EndpointOut | null>(null);
  const headers = useQuery(`headers:${endpoint.id}:${endpoint.updatedAt}`, (signal) =>
    api.get<EndpointHeadersOut>(`${path}/headers`, undefined, signal),
  );
  const save = useAction(async (values: EndpointFormValues) => {
    const updated = await api.patch<EndpointOut>(path, endpointPatchBody(values));
    const patch = headers.data ? headersPatchBody(headers.data, values.headers) : null;
    if (patch) await api.patch<null>(`${path}/headers`, patch);
    return updated;
  });

  if (headers.error) return <ErrorNote error={headers.error} />;
  if (!headers.data) return <Loading />;
  return (
    <>
      {saved ? <Note tone="good">Saved.</Note> : null}
      {saved?.filterWarnings?.map((w) => (
        <Note key={w.loc.join('.')} tone="warn">
          {w.msg}
        </Note>
      ))}
      <EndpointForm
        key={endpoint.updatedAt}
        initial={formFromEndpoint(endpoint, headers.data)}
        submitLabel="Save changes"
        pending={save.pending}
        serverError={save.error}
        filterTestPath={`${path}/filter/test`}
        onSubmit={async (values) => {
          setSaved(null);
          const updated = await save.run(values);
          if (updated) {
            setSaved(updated);
            onSaved();
          }
        }}
      />
    </>
  );
}
