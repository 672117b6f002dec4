import { describe, expect, it } from 'vitest';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();
const base = () => t.url.replace('/graphql', '');

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface RootField {
  name: string;
  args: Array<{ name: string; type: TypeRef }>;
  type: TypeRef;
}

const TYPE_REF = `kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`;

const printType = (ref: TypeRef): string =>
  ref.kind === 'NON_NULL'
    ? `${printType(defined(ref.ofType, 'the type inside NON_NULL'))}!`
    : ref.kind === 'LIST'
      ? `[${printType(defined(ref.ofType, 'the type inside LIST'))}]`
      : defined(ref.name, `the name of a ${ref.kind} type`);
const namedKind = (ref: TypeRef): string => (ref.ofType ? namedKind(ref.ofType) : ref.kind);

/** An anonymous query of `fields`, every argument a declared variable that is never sent (refused at variable coercion). */
function queryOf(fields: RootField[]): string {
  const variables = fields.flatMap((f) => f.args.map((a) => `$${f.name}_${a.name}: ${printType(a.type)}`));
  const selections = fields.map((f) => {
    const args = f.args.length ? `(${f.args.map((a) => `${a.name}: $${f.name}_${a.name}`).join(', ')})` : '';
    const leaf = ['SCALAR', 'ENUM'].includes(namedKind(f.type));
    return `${f.name}${args}${leaf ? '' : ' { __typename }'}`;
  });
  return `query${variables.length ? `(${variables.join(', ')})` : ''} { ${selections.join(' ')} }`;
}

async function post(query: string) {
  await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then((r) =>
    r.text(),
  );
}

describe('request metrics have a bounded set of series', () => {
  it('made-up and distinct valid root-field sets, sent anonymously, add no series beyond one per root field', async () => {
    const schema = (await (
      await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `{ __schema { queryType { fields { name args { name type { ${TYPE_REF} } } type { ${TYPE_REF} } } } mutationType { fields { name } } } }`,
        }),
      })
    ).json()) as { data: { __schema: { queryType: { fields: RootField[] }; mutationType: { fields: Array<{ name: string }> } } } };
    const queryFields = schema.data.__schema.queryType.fields;
    const rootFieldCount = queryFields.length + schema.data.__schema.mutationType.fields.length;

    for (let i = 0; i < 150; i++) await post(`{ madeUp${i} other${i} }`);
    // Distinct sets of two or more real root fields.
    let sent = 0;
    for (let mask = 1; mask < 2 ** queryFields.length && sent < 150; mask++) {
      const fields = queryFields.filter((_, i) => mask & (1 << i));
      if (fields.length < 2) continue;
      await post(queryOf(fields));
      sent++;
    }
    expect(sent).toBe(150);

    const text = await (await fetch(`${base()}/metrics`)).text();
    const series = text.split('\n').filter((line) => line.startsWith('gateway_graphql_requests_total{'));
    const labels = new Set(series.map((line) => defined(/operation="([^"]*)"/.exec(line)?.[1], `the operation label of ${line}`)));
    expect(series.length).toBeLessThanOrEqual(rootFieldCount + 10);
    for (const label of labels)
      expect([...queryFields.map((f) => f.name), 'invalid', 'multiple', '__typename', '__schema']).toContain(label);
    expect(text.length).toBeLessThan(200_000);
  });
});
