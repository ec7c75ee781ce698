import { Type } from '@sinclair/typebox';
import {
  CHANNEL_PATTERN,
  DateTime,
  EventTypeName,
  ListResponse,
  Nullable,
  TAG_PATTERN,
} from '../common/schemas.js';

/** Svix's task kinds; Herald runs the three replays. */
const TASK_TYPES = [
  'endpoint.replay',
  'endpoint.recover',
  'application.stats',
  'message.broadcast',
  'sdk.generate',
  'event-type.aggregate',
  'application.purge_content',
  'endpoint.bulk-replay',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];
const TASK_STATUSES = ['running', 'finished', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const BackgroundTaskType = Type.Union(
  TASK_TYPES.map((t) => Type.Literal(t)),
  { $id: 'BackgroundTaskType' },
);
export const BackgroundTaskStatus = Type.Union(
  TASK_STATUSES.map((s) => Type.Literal(s)),
  { $id: 'BackgroundTaskStatus' },
);

const TaskId = Type.String({
  pattern: '^qtask_[A-Za-z0-9]{27}$',
  description: "The QueueBackgroundTask's ID.",
});
const TaskData = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Herald: progress. `processed` of `total` candidates examined, `count` deliveries queued ' +
    '(or, for a dry run, that would be), `dryRun`, and `error` when the task failed.',
});

export const BackgroundTaskOut = Type.Object(
  {
    id: TaskId,
    status: Type.Ref('BackgroundTaskStatus'),
    task: Type.Ref('BackgroundTaskType'),
    data: TaskData,
    updatedAt: DateTime,
  },
  { $id: 'BackgroundTaskOut' },
);
const ListResponseBackgroundTaskOut = ListResponse(
  Type.Ref('BackgroundTaskOut'),
  'ListResponse_BackgroundTaskOut_',
);

const Since = DateTime;
const Until = Type.Optional(Nullable(DateTime));

export const RecoverIn = Type.Object({ since: Since, until: Until }, { $id: 'RecoverIn' });
const DryRun = Type.Optional(
  Type.Boolean({
    default: false,
    description:
      'Herald: count what would be sent without sending. Answers a task already `finished` whose `data.count` is the number.',
  }),
);
export const ReplayIn = Type.Object({ since: Since, until: Until, dryRun: DryRun }, { $id: 'ReplayIn' });
export const BulkReplayIn = Type.Object(
  {
    since: Since,
    until: Until,
    eventTypes: Type.Optional(Nullable(Type.Array(EventTypeName, { uniqueItems: true }))),
    channel: Type.Optional(Nullable(Type.String({ maxLength: 128, pattern: CHANNEL_PATTERN }))),
    tag: Type.Optional(Nullable(Type.String({ maxLength: 128, pattern: TAG_PATTERN }))),
    status: Type.Optional(
      Nullable(
        Type.Unsafe<0 | 1 | 2 | 3 | 4>({
          type: 'integer',
          enum: [0, 1, 2, 3, 4],
          description:
            'Only deliveries in this status: Success (0), Pending (1), Fail (2), Sending (3), Canceled (4).',
        }),
      ),
    ),
    statusCodeClass: Type.Optional(
      Nullable(
        Type.Unsafe<0 | 100 | 200 | 300 | 400 | 500>({
          type: 'integer',
          enum: [0, 100, 200, 300, 400, 500],
          description: "Only deliveries whose last attempt's HTTP status is in this class (0: no response).",
        }),
      ),
    ),
    dryRun: DryRun,
  },
  { $id: 'BulkReplayIn' },
);

const taskFields = {
  id: TaskId,
  status: Type.Ref('BackgroundTaskStatus'),
  task: Type.Ref('BackgroundTaskType'),
  updatedAt: DateTime,
};
export const RecoverOut = Type.Object(taskFields, { $id: 'RecoverOut' });
export const ReplayOut = Type.Object({ ...taskFields, data: Type.Optional(TaskData) }, { $id: 'ReplayOut' });

/** Registered by the background-task routes; the recovery routes refer to them. */
export const BACKGROUND_TASK_SCHEMAS = [
  BackgroundTaskType,
  BackgroundTaskStatus,
  BackgroundTaskOut,
  ListResponseBackgroundTaskOut,
  RecoverIn,
  RecoverOut,
  ReplayIn,
  ReplayOut,
  BulkReplayIn,
];
