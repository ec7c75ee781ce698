import { Route, Switch } from 'wouter';
import { NavLink } from '../app/Shell.js';
import { AttemptPage } from './AttemptPage.js';
import { EndpointCreatePage } from './EndpointCreatePage.js';
import { EndpointPage } from './EndpointPage.js';
import { EndpointsPage } from './EndpointsPage.js';
import { HistoryPage } from './HistoryPage.js';
import { MessagePage } from './MessagePage.js';
import { NotFoundPage } from './NotFoundPage.js';

/**
 * The pages of one application, with paths relative to where they are mounted: under
 * `/apps/{app}` on the dashboard, under `/portal` in the consumer portal.
 */
export function AppRoutes() {
  return (
    <Switch>
      <Route path="/" component={EndpointsPage} />
      <Route path="/endpoints/new" component={EndpointCreatePage} />
      <Route path="/endpoints/:endpointId" nest>
        {(params) => <EndpointPage endpointId={params.endpointId} />}
      </Route>
      <Route path="/history">
        <HistoryPage />
      </Route>
      <Route path="/messages/:msgId">{(params) => <MessagePage msgId={params.msgId} />}</Route>
      <Route path="/messages/:msgId/attempts/:attemptId">
        {(params) => <AttemptPage msgId={params.msgId} attemptId={params.attemptId} />}
      </Route>
      <Route component={NotFoundPage} />
    </Switch>
  );
}

/** Links to the sections of `AppRoutes`, each marked current on its pages below it too. */
export function AppNavLinks() {
  return (
    <>
      <NavLink href="/" exact also={['/endpoints']}>
        Endpoints
      </NavLink>
      <NavLink href="/history" also={['/messages']}>
        History
      </NavLink>
    </>
  );
}
