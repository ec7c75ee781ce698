import { describe, expect, it } from 'vitest';
import { FairShare, type ShareLane } from './fair-share.js';

const sizes = { workerConcurrency: 128, window: 384 };

function lane(endpointId: string, held: number, capacity: number, appId = 'app_a'): ShareLane {
  return { endpointId, appId, held, capacity, slow: false };
}

describe('FairShare', () => {
  it("keeps room for an application's endpoint while a sibling that fell behind holds much", () => {
    const share = new FairShare(sizes);
    for (let i = 0; i < 200; i++) share.hold('app_a');
    // Both could start thousands within the horizon; one holds 200 of the application's 256.
    const shares = share.claimShares([lane('ep_behind', 200, 5_000), lane('ep_healthy', 16, 5_000)], [], 32);
    // 256 over the two and the part kept for endpoints without a lane (32): 112, 112, 32.
    expect(shares.endpoints?.ep_behind).toBe(0);
    expect(shares.endpoints?.ep_healthy).toBe(112 - 16);
  });

  it("gives a lone endpoint its application's share but the part kept for a new endpoint", () => {
    const share = new FairShare(sizes);
    for (let i = 0; i < 10; i++) share.hold('app_a');
    const shares = share.claimShares([lane('ep_only', 10, 5_000)], [], 32);
    expect(shares.endpoints?.ep_only).toBe(256 - 32 - 10);
    // The endpoint filled its part: the application still has room for a newly due endpoint.
    for (let i = 10; i < 224; i++) share.hold('app_a');
    const full = share.claimShares([lane('ep_only', 224, 5_000)], [], 32);
    expect(full.endpoints?.ep_only).toBe(0);
    expect(full.apps?.app_a).toBe(32);
    expect(full.perEndpoint).toBe(32);
  });

  it('leaves what a small endpoint cannot use to its siblings', () => {
    const share = new FairShare(sizes);
    const shares = share.claimShares([lane('ep_small', 0, 4), lane('ep_big', 0, 5_000)], [], 32);
    expect(shares.endpoints?.ep_small).toBe(4);
    expect(shares.endpoints?.ep_big).toBe(256 - 4 - 32);
  });

  it('bounds the slow share, and one application to half of it', () => {
    const share = new FairShare({ workerConcurrency: 16, window: 48 });
    expect(share.slowInFlightCap).toBe(4);
    expect(share.appSlowInFlightCap).toBe(2);
    share.started('app_a', true);
    share.started('app_a', true);
    expect(share.mayStart('app_a', true)).toBe(false);
    expect(share.mayStart('app_a', false)).toBe(true);
    share.started('app_b', true);
    share.started('app_c', true);
    expect(share.mayStart('app_d', true)).toBe(false);
    expect(share.mayStart('app_d', false)).toBe(true);
    share.finished('app_a', true);
    expect(share.mayStart('app_d', true)).toBe(true);
    expect(share.mayStart('app_a', true)).toBe(true);
  });
});
