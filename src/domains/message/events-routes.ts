import { type Static, Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import { idAtTime } from '../../core/ids.js';
import type { HeraldApp } from '../../http/types.js';
import { resolveApplication } from '../application/access.js';
import { AppIdParam, ERROR_RESPONSES } from '../common/schemas.js';
import { listFeedMessages, type MessageRow, messageOut } from './repo.js';
import { AfterQuery, ChannelQuery, EventTypesQuery, LimitQuery } from './schemas.js';

/**
 * Messages younger than this are not served yet. Message ids are taken when a publish
 * starts and become visible when its transaction commits, so a message can appear after
 * one with a later id has been served (a slower transaction, another process, the same
 * millisecond with a lower random part). Serving only ids older than the window means an
 * iterator never moves past a message still to appear: every message exactly once.
 */
export const SETTLE_MS = 1_000;

export const MessageEventsOut = Type.Object(
  {
    data: Type.Array(Type.Ref('MessageOut')),
    iterator: Type.String({ description: 'Pass it back to get what came after this page.' }),
    done: Type.Boolean({ description: 'True when nothing more is available yet: poll again later.' }),
  },
  { $id: 'MessageEventsOut' },
);

/** The pull feed's query: the page size, the iterator, what to keep and how settled. */
export const FeedQuery = Type.Object({
  limit: Type.Optional(LimitQuery),
  iterator: Type.Optional(
    Type.String({
      pattern: '^msg_[A-Za-z0-9]{27}$',
      description: 'The iterator returned from a prior invocation',
    }),
  ),
  event_types: Type.Optional(EventTypesQuery),
  channels: Type.Optional(
    Type.Array(ChannelQuery, {
      uniqueItems: true,
      description: 'Filter response based on the channels',
    }),
  ),
  after: Type.Optional(AfterQuery),
  settle_ms: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: SETTLE_MS,
      description: 'Herald: serve only messages at least this many milliseconds old.',
    }),
  ),
});

/** Rows read at a time when `keep` may turn most of them down. */
const SCAN_ROWS = 500;
/** Reads one page makes at most: a page is served (not `done`) with what they found. */
const MAX_SCANS = 20;

/**
 * One page of an application's pull feed, oldest first. `keep` turns messages down after the
 * query (an endpoint's payload filter): the iterator then moves past every message examined,
 * kept or not, so polling still sees each message once.
 */
export async function feedPage(
  ctx: HeraldContext,
  appId: string,
  q: Static<typeof FeedQuery>,
  keep?: (row: MessageRow) => boolean,
) {
  const limit = q.limit ?? 50;
  const settleMs = q.settle_ms ?? SETTLE_MS;
  // Without an iterator the feed starts at `after`, or at the oldest message kept.
  const start = q.after !== undefined ? idAtTime('msg', Date.parse(q.after) + 1) : null;
  const window = {
    settledBelow: idAtTime('msg', ctx.now() - settleMs + 1),
    after: q.iterator,
    from: start,
    eventTypes: q.event_types,
    channels: q.channels,
  };
  const page: MessageRow[] = [];
  let last = q.iterator ?? start ?? idAtTime('msg', 0);
  let done = false;
  for (let scans = 0; !done && page.length < limit && scans < MAX_SCANS; scans++) {
    const want = keep ? SCAN_ROWS : limit + 1;
    const rows = await listFeedMessages(ctx.store.db, appId, window, want);
    done = rows.length < want || (!keep && rows.length <= limit);
    for (const row of rows) {
      if (page.length === limit) {
        done = false;
        break;
      }
      last = row.id;
      if (!keep || keep(row)) page.push(row);
    }
    window.after = last;
  }
  return { data: page.map((row) => messageOut(row)), iterator: last, done };
}

/**
 * The pull feed (Svix's `v1.message.events`): an application's messages oldest first, with
 * an iterator a consumer keeps to catch up by polling, no endpoint needed.
 */
export async function messageEventsRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.addSchema(MessageEventsOut);

  app.get(
    '/api/v1/app/:app_id/events',
    {
      schema: {
        operationId: 'v1.message.events',
        summary: 'Stream Messages',
        description:
          "The application's messages, oldest first, filtered by event types and channels (a message on any of " +
          'the channels). Keep the `iterator` of each page and pass it back to continue: polling this way ' +
          'returns every message exactly once. Messages appear once they are `settle_ms` old (default 1000), ' +
          'so that one still being written when a page is served is not skipped; `settle_ms=0` serves the ' +
          'newest at once but may then miss a message written concurrently.',
        tags: ['Message'],
        params: Type.Object({ app_id: AppIdParam }),
        querystring: FeedQuery,
        response: { 200: Type.Ref('MessageEventsOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const application = await resolveApplication(ctx, request, request.params.app_id);
      return feedPage(ctx, application.id, request.query);
    },
  );
}
