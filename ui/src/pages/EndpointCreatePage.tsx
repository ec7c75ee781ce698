import { Link, useLocation } from 'wouter';
import type { EndpointOut } from '../api/types.js';
import { useAppScope, useSession } from '../app/session.js';
import { PageHeader } from '../components/ui.js';
import { useAction } from '../hooks/useQuery.js';
import { EMPTY_ENDPOINT_FORM, type EndpointFormValues, endpointCreateBody } from '../lib/endpoint-form.js';
import { seg } from '../lib/query.js';
import { EndpointForm } from './EndpointForm.js';

export function EndpointCreatePage() {
  const { api } = useSession();
  const { appId } = useAppScope();
  const [, navigate] = useLocation();
  const create = useAction((values: EndpointFormValues) =>
    api.post<EndpointOut>(`/api/v1/app/${seg(appId)}/endpoint`, endpointCreateBody(values), {
      idempotent: true,
    }),
  );
  return (
    <>
      <p className="breadcrumbs">
        <Link href="/">Endpoints</Link> / New
      </p>
      <PageHeader title="Add an endpoint" />
      <EndpointForm
        initial={EMPTY_ENDPOINT_FORM}
        submitLabel="Create endpoint"
        pending={create.pending}
        serverError={create.error}
        filterTestPath={`/api/v1/app/${seg(appId)}/endpoint/filter/test`}
        onSubmit={async (values) => {
          const endpoint = await create.run(values);
          if (endpoint) navigate(`/endpoints/${seg(endpoint.id)}`);
        }}
        onCancel={() => navigate('/')}
      />
    </>
  );
}
