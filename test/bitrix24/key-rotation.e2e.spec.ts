import { randomBytes } from 'node:crypto';
import { Bitrix24ClientFactory } from '../../src/bitrix24/bitrix24-client.factory';
import { createAccount } from '../support/accounts';
import { connectPortal, startPortalAndApp } from '../support/bitrix24';
import { startTestApp, TEST_ENCRYPTION_KEY } from '../support/test-app';

describe('encryption key rotation', () => {
  it('re-seals every secret with the new key at start, and the connection keeps working', async () => {
    const env = await startPortalAndApp({ people: 5 });
    const account = await createAccount(env.t, 'Acme');
    const connectionId = await connectPortal(env.t, account, env.sim);
    const [before] = await env.t.dataSource.query(`SELECT access_token_enc, refresh_token_enc FROM bitrix24_connection WHERE id = $1`, [connectionId]);
    await env.t.app.close();

    const newKey = randomBytes(32).toString('base64');
    const rotated = await startTestApp({
      database: env.t.database,
      env: { TOKEN_ENCRYPTION_KEY: newKey, TOKEN_ENCRYPTION_PREVIOUS_KEYS: TEST_ENCRYPTION_KEY, BITRIX24_OAUTH_SERVERS: env.sim.serverDomain },
    });
    try {
      const [after] = await rotated.dataSource.query(`SELECT access_token_enc, refresh_token_enc FROM bitrix24_connection WHERE id = $1`, [connectionId]);
      expect(after.access_token_enc.split(':')[1]).not.toBe(before.access_token_enc.split(':')[1]);
      expect(after.refresh_token_enc.split(':')[1]).toBe(after.access_token_enc.split(':')[1]);
      const client = await rotated.app.get(Bitrix24ClientFactory).forConnection(connectionId);
      await expect(client.call('profile')).resolves.toMatchObject({ result: expect.any(Object) });
    } finally {
      await rotated.close();
      await env.t.database.drop();
      await env.sim.stop();
    }
  });
});
