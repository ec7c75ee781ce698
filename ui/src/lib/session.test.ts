import { describe, expect, it } from 'vitest';
import {
  adminTokenProblem,
  clearAdminToken,
  embedOptions,
  loadAdminToken,
  loadPortalSession,
  readPortalFragment,
  saveAdminToken,
  startPortalSession,
  type TokenStorage,
  textOnAccent,
} from './session.js';

function memoryStorage(): TokenStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

describe('the admin token', () => {
  it('is kept trimmed in session storage and removed on sign-out', () => {
    const storage = memoryStorage();
    saveAdminToken(storage, '  sk_abc \n');
    expect(loadAdminToken(storage)).toBe('sk_abc');
    clearAdminToken(storage);
    expect(loadAdminToken(storage)).toBeNull();
  });

  it('is checked for the mistakes of copy and paste', () => {
    expect(adminTokenProblem('')).toMatch(/Paste the admin token/);
    expect(adminTokenProblem('sk_a b')).toMatch(/no spaces/);
    expect(adminTokenProblem(' sk_ab ')).toBeNull();
  });
});

describe('the portal link', () => {
  it('carries the token and application in the fragment', () => {
    expect(readPortalFragment('#token=appsk_x%2By&app=app_1')).toEqual({
      token: 'appsk_x+y',
      appId: 'app_1',
    });
    expect(readPortalFragment('#token=appsk_x')).toBeNull();
    expect(readPortalFragment('')).toBeNull();
  });

  it('moves the token from the address into session storage and gives the address without it', () => {
    const storage = memoryStorage();
    const started = startPortalSession(
      { pathname: '/portal', search: '?name=Acme', hash: '#token=appsk_1&app=app_1' },
      storage,
    );
    expect(started).toEqual({ session: { token: 'appsk_1', appId: 'app_1' }, cleanUrl: '/portal?name=Acme' });
    expect(loadPortalSession(storage)).toEqual({ token: 'appsk_1', appId: 'app_1' });

    // A reload (no fragment any more) continues the session kept in the tab.
    const reloaded = startPortalSession({ pathname: '/portal/history', search: '', hash: '' }, storage);
    expect(reloaded).toEqual({ session: { token: 'appsk_1', appId: 'app_1' }, cleanUrl: null });
  });

  it('lets a newer link replace the session kept in the tab', () => {
    const storage = memoryStorage();
    startPortalSession({ pathname: '/portal', search: '', hash: '#token=old&app=app_1' }, storage);
    startPortalSession({ pathname: '/portal', search: '', hash: '#token=new&app=app_2' }, storage);
    expect(loadPortalSession(storage)).toEqual({ token: 'new', appId: 'app_2' });
  });

  it('ignores a corrupted stored session', () => {
    const storage = memoryStorage();
    storage.setItem('herald.portal', '{not json');
    expect(loadPortalSession(storage)).toBeNull();
  });
});

describe('embedding options', () => {
  it("take the platform's name and a hex accent colour", () => {
    expect(embedOptions('?name=Acme%20Billing&accent=%2316A34A')).toEqual({
      name: 'Acme Billing',
      accent: '#16a34a',
      embedded: true,
    });
    expect(embedOptions('?accent=f0a')).toEqual({ name: null, accent: '#f0a', embedded: true });
    expect(embedOptions('')).toEqual({ name: null, accent: null, embedded: false });
  });

  it('refuse an accent that is not a plain colour, so no CSS can be injected through the link', () => {
    expect(embedOptions('?accent=red;background:url(//evil)').accent).toBeNull();
    expect(embedOptions('?accent=%23ff000080').accent).toBeNull();
  });

  it('keep a long name short', () => {
    expect(embedOptions(`?name=${'x'.repeat(100)}`).name).toHaveLength(60);
  });

  it('pick black or white text, whichever reads on the accent', () => {
    expect(textOnAccent('#ffeb3b')).toBe('#000000');
    expect(textOnAccent('#1e3a8a')).toBe('#ffffff');
    expect(textOnAccent('#fff')).toBe('#000000');
  });
});
