import { describe, expect, it } from 'vitest';
import { signUp, createUser } from '../helpers/fixtures.js';
import { dataOf } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

describe('smoke', () => {
  it('signs up and reads the viewer', async () => {
    const account = await signUp(t.client);
    const data = await t.client.ok<{ viewer: { principal: { id: string; kind: string; name: string }; isSuperAdministrator: boolean } }>(
      `{ viewer { principal { id kind name } isSuperAdministrator credential account { name } } }`,
      {},
      account.token,
    );
    expect(data.viewer.principal.kind).toBe('ROOT');
    expect(data.viewer.isSuperAdministrator).toBe(true);
    const user = await createUser(t.client, account.token);
    const me = await t.client.request<{ viewer: { principal: { loginName?: string } } }>(
      `{ viewer { principal { id name ... on RamUser { loginName policies } } isSuperAdministrator } }`,
      {},
      { token: user.token },
    );
    expect(me.errors).toBeUndefined();
    expect(dataOf(me).viewer.principal.loginName).toBe(user.loginName);
  });
});
