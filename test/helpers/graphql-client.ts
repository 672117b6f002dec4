export interface GraphQLErrorShape {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export interface GraphQLResponse<T = unknown> {
  status: number;
  data: T | null | undefined;
  errors: GraphQLErrorShape[] | undefined;
}

/** A plain GraphQL-over-HTTP client: the tests speak to the gateway as any client would. */
export class GraphQLClient {
  constructor(readonly url: string) {}

  async request<T = unknown>(
    query: string,
    variables: Record<string, unknown> = {},
    options: { token?: string | undefined; headers?: Record<string, string> } = {},
  ): Promise<GraphQLResponse<T>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T | null; errors?: GraphQLErrorShape[] };
    return { status: response.status, data: body.data, errors: body.errors };
  }

  /** The data of a request that must succeed; throws with the errors otherwise. */
  async ok<T = unknown>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
    const result = await this.request<T>(query, variables, { token });
    if (result.errors?.length || !result.data) {
      throw new Error(`Expected success, got ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }
}

/** The code of the first error, or 'OK' when there is none. */
export const outcomeOf = (result: GraphQLResponse<unknown>) => result.errors?.[0]?.extensions?.code ?? 'OK';

/** The first error of a response that must have failed; throws a clear assertion error when there is none. */
export function firstError(result: GraphQLResponse<unknown>): GraphQLErrorShape {
  const error = result.errors?.[0];
  if (error === undefined) {
    throw new Error(`Expected the response to carry an error, got data ${JSON.stringify(result.data)}`);
  }
  return error;
}

/** The code of the first error of a response that must have failed (throws when there is no error). */
export const errorCode = (result: GraphQLResponse<unknown>): string | undefined => firstError(result).extensions?.code;

/** The data of a response that must have data; throws a clear assertion error (with the errors) when it has none. */
export function dataOf<T>(result: GraphQLResponse<T>): T {
  if (result.data === undefined || result.data === null) {
    throw new Error(`Expected the response to carry data, got errors ${JSON.stringify(result.errors)}`);
  }
  return result.data;
}
