import { describe, expect, it } from 'vitest';
import type { ClaimedDelivery } from '../store/queue.js';
import type { EndpointCondition } from './endpoint-health.js';
import { Lane } from './lanes.js';

function delivery(id: string, orderingKey: string | null, fifoBatchSize = 1): ClaimedDelivery {
  return { id, orderingKey, fifoBatchSize, fifoOnExhausted: 'block' } as ClaimedDelivery;
}

function lane(...queued: ClaimedDelivery[]): Lane {
  const l = new Lane('ep', 'app', {} as EndpointCondition);
  l.queue.push(...queued);
  return l;
}

describe('Lane with FIFO keys', () => {
  it("starts a key's next delivery only after the one in flight moved the key on", () => {
    const l = lane(delivery('a1', 'a'), delivery('a2', 'a'), delivery('b1', 'b'));
    expect(l.start(l.next()!).map((d) => d.id)).toEqual(['a1']);
    // a2 waits for a1: b1 may go.
    expect(l.next()?.id).toBe('b1');
    expect(l.start(l.next()!).map((d) => d.id)).toEqual(['b1']);
    expect(l.next()).toBeUndefined();
    expect(l.finish(delivery('a1', 'a'), true)).toEqual([]);
    expect(l.next()?.id).toBe('a2');
  });

  it("hands back a key's queued deliveries when the one in flight did not move the key on", () => {
    const l = lane(delivery('a1', 'a'), delivery('b1', 'b'), delivery('a2', 'a'), delivery('a3', 'a'));
    l.start(l.next()!);
    expect(l.finish(delivery('a1', 'a'), false).map((d) => d.id)).toEqual(['a2', 'a3']);
    expect(l.queue.map((d) => d.id)).toEqual(['b1']);
  });

  it("takes a batching key's consecutive deliveries into one request, up to the batch size", () => {
    const l = lane(
      delivery('a1', 'a', 2),
      delivery('b1', 'b', 2),
      delivery('a2', 'a', 2),
      delivery('a3', 'a', 2),
    );
    expect(l.start(l.next()!).map((d) => d.id)).toEqual(['a1', 'a2']);
    expect(l.queue.map((d) => d.id)).toEqual(['b1', 'a3']);
  });

  it('leaves unordered deliveries first come, first served', () => {
    const l = lane(delivery('x', null), delivery('y', null));
    expect(l.start(l.next()!).map((d) => d.id)).toEqual(['x']);
    expect(l.next()?.id).toBe('y');
  });
});
