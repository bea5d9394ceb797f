import request from 'supertest';
import { bearer, createAccount } from '../support/accounts';
import { connectPortal, startPortalAndApp } from '../support/bitrix24';
import { SyncWorker } from '../../src/sync/sync-worker.service';
import { synchronize } from '../support/sync';

describe('run report retention', () => {
  it('prunes per-user items of old runs and keeps their counters', async () => {
    const env = await startPortalAndApp({ people: 30, seed: 41 }, { env: { SYNC_RUN_ITEMS_RETENTION_DAYS: '7' } });
    try {
      const account = await createAccount(env.t, 'Acme');
      const connectionId = await connectPortal(env.t, account, env.sim);
      const old = await synchronize(env.t, account, connectionId);
      // An unchanged re-sync writes no item (issue 12): the recent run has one change to report.
      const [{ bitrix24_user_id: renamed }] = await env.t.dataSource.query(`SELECT bitrix24_user_id FROM bitrix24_user_link WHERE connection_id = $1 ORDER BY 1 LIMIT 1`, [connectionId]);
      env.sim.updateUser(renamed, { NAME: 'Renamed' });
      const recent = await synchronize(env.t, account, connectionId);
      expect(recent.counters.updated).toBe(1);
      await env.t.dataSource.query(`UPDATE sync_run SET finished_at = now() - interval '8 days' WHERE id = $1`, [old.id]);
      await env.t.app.get(SyncWorker).runHousekeeping();
      const [{ n: oldItems }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM sync_run_item WHERE run_id = $1`, [old.id]);
      const [{ n: recentItems }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM sync_run_item WHERE run_id = $1`, [recent.id]);
      expect(oldItems).toBe(0);
      expect(recentItems).toBeGreaterThan(0);
      const res = await request(env.t.url).get(`/api/v1/sync-runs/${old.id}`).set(bearer(account.ownerKey)).expect(200);
      expect(res.body.itemsPruned).toBe(true);
      expect(res.body.counters.created).toBe(old.counters.created);
    } finally {
      await env.t.close();
      await env.sim.stop();
    }
  });
});
