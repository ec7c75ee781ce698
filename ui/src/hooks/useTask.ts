import { useEffect, useState } from 'react';
import type { BackgroundTaskOut } from '../api/types.js';
import { useSession } from '../app/session.js';
import { seg } from '../lib/query.js';

const POLL_MS = 1500;

/**
 * A background task the page started (recover, replay), followed until it is no longer
 * running: `follow(task)` starts, `follow(null)` forgets.
 */
export function useTask(): [BackgroundTaskOut | null, (task: BackgroundTaskOut | null) => void] {
  const { api } = useSession();
  const [task, setTask] = useState<BackgroundTaskOut | null>(null);
  useEffect(() => {
    if (task?.status !== 'running') return;
    const timer = setTimeout(async () => {
      try {
        setTask(await api.get<BackgroundTaskOut>(`/api/v1/background-task/${seg(task.id)}`));
      } catch {
        /* the task list may not exist on this server: keep the last known state */
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [task, api]);
  return [task, setTask];
}
