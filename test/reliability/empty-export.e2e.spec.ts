import request from 'supertest';
import { bearer, createAccount } from '../support/accounts';
import { connectPortal, startPortalAndApp } from '../support/bitrix24';
import { synchronize } from '../support/sync';

/**
 * Issue 12, finding 6: a portal that suddenly returns 0 users while people are linked used
 * to look like a plain success and reset the failure counter. Now the run says the export
 * was not trusted, the connection shows it as its last error, and the failure count stays.
 */
describe('an empty export while people are linked', () => {
  it('is a visible warning on the run and the connection, and does not reset the failure count', async () => {
    const env = await startPortalAndApp({ people: 30, seed: 61, rateLimit: false });
    try {
      const account = await createAccount(env.t, 'Acme');
      const connectionId = await connectPortal(env.t, account, env.sim);
      expect((await synchronize(env.t, account, connectionId)).counters.created).toBeGreaterThan(20);
      const connection = async () => (await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(account.ownerKey)).expect(200)).body;
      // Two failures in a row before (the backoff is running).
      await env.t.dataSource.query(`UPDATE bitrix24_connection SET consecutive_failures = 2 WHERE id = $1`, [connectionId]);

      const saved = env.sim.users;
      env.sim.setUsers([]);
      const empty = await synchronize(env.t, account, connectionId);
      expect(empty.counters).toMatchObject({ exportUntrusted: true, deleted: 0 });
      const warned = await connection();
      expect(warned.sync.lastError).toMatchObject({ code: 'export_untrusted' });
      expect(warned.sync.consecutiveFailures).toBe(2);

      env.sim.setUsers(saved);
      const back = await synchronize(env.t, account, connectionId);
      expect(back.counters.exportUntrusted).toBeUndefined();
      const healthy = await connection();
      expect(healthy.sync.lastError).toBeNull();
      expect(healthy.sync.consecutiveFailures).toBe(0);
    } finally {
      await env.t.close();
      await env.sim.stop();
    }
  });
});
