import { afterAll, beforeAll, expect } from 'vitest';
import type { Config } from '../../src/config.js';
import { defined } from '../helpers/assertions.js';
import { outcomeOf, type GraphQLClient } from '../helpers/graphql-client.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { authorizeModel, createKey, createWorkspace, type CreatedKey, type ModelStudioAccount } from '../helpers/model-studio-fixtures.js';

/**
 * Shared steps of the enforcement tests (issue #12): what an inference proxy does with an API
 * key (authorizeModelCall, recordModelUsage, GET /authz/model-call) and what a console sets up
 * (a sub-workspace with a model authorized and limited, a budget).
 */

export const AUTHORIZE_MODEL_CALL = `mutation($m: ID!, $ip: String, $t: Int) {
  authorizeModelCall(input: { model: $m, sourceIp: $ip, estimatedTokens: $t }) {
    allowed reason callId retryAfterSeconds rateLimit { limit remaining resetAt }
  }
}`;

export interface CallAuthorization {
  allowed: boolean;
  reason: string;
  callId: string | null;
  retryAfterSeconds: number | null;
  rateLimit: { limit: number; remaining: number; resetAt: string } | null;
}

/** The answer of authorizeModelCall, or `{ error: code }` when the request fails. */
export async function authorizeCall(
  client: GraphQLClient,
  secret: string,
  model: string,
  options: { estimatedTokens?: number; sourceIp?: string } = {},
): Promise<CallAuthorization | { error: string }> {
  const result = await client.request<{ authorizeModelCall: CallAuthorization | null }>(
    AUTHORIZE_MODEL_CALL,
    { m: model, ip: options.sourceIp ?? null, t: options.estimatedTokens ?? null },
    { token: secret },
  );
  if (result.errors?.length) return { error: outcomeOf(result) };
  const answer = defined(result.data?.authorizeModelCall, `the authorizeModelCall answer for ${model}`);
  expect(answer.allowed, `allowed and reason disagree for ${model}`).toBe(answer.reason === 'ALLOWED');
  expect(answer.callId !== null, 'a callId exactly when allowed').toBe(answer.allowed);
  return answer;
}

/** An authorizeModelCall that must answer (not fail); its answer. */
export async function decided(
  client: GraphQLClient,
  secret: string,
  model: string,
  options: { estimatedTokens?: number; sourceIp?: string } = {},
): Promise<CallAuthorization> {
  const answer = await authorizeCall(client, secret, model, options);
  if ('error' in answer) throw new Error(`authorizeModelCall(${model}) failed with ${answer.error}`);
  return answer;
}

/** An allowed call's ID (fails the test when the call is refused). */
export async function allowedCallId(client: GraphQLClient, secret: string, model: string, estimatedTokens?: number): Promise<string> {
  const answer = await decided(client, secret, model, estimatedTokens === undefined ? {} : { estimatedTokens });
  expect(answer.reason).toBe('ALLOWED');
  return defined(answer.callId, 'the callId of an allowed call');
}

export const RECORD_MODEL_USAGE = `mutation($c: ID!, $i: Int!, $o: Int!) {
  recordModelUsage(input: { callId: $c, inputTokens: $i, outputTokens: $o }) { callId model inputTokens outputTokens cost }
}`;

export interface RecordedUsage {
  callId: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cost: number;
}

export function recordUsage(client: GraphQLClient, secret: string, callId: string, inputTokens: number, outputTokens: number) {
  return client.request<{ recordModelUsage: RecordedUsage | null }>(
    RECORD_MODEL_USAGE,
    { c: callId, i: inputTokens, o: outputTokens },
    { token: secret },
  );
}

/** A recordModelUsage that must succeed; what it recorded. */
export async function recorded(client: GraphQLClient, secret: string, callId: string, inputTokens: number, outputTokens: number) {
  const result = await recordUsage(client, secret, callId, inputTokens, outputTokens);
  expect(outcomeOf(result), JSON.stringify(result.errors)).toBe('OK');
  return defined(result.data?.recordModelUsage, 'the recordModelUsage answer');
}

export interface Limits {
  requestLimit?: number;
  requestLimitPeriodSeconds?: number;
  usageLimit?: number;
  usageLimitPeriodSeconds?: number;
}

export async function setRateLimit(client: GraphQLClient, token: string, workspaceId: string, model: string, limits: Limits) {
  await client.ok(
    `mutation($input: SetModelRateLimitInput!) { setModelRateLimit(input: $input) { requestLimit usageLimit } }`,
    { input: { workspaceId, model, ...limits } },
    token,
  );
}

export const SET_WORKSPACE_BUDGET = `mutation($w: ID!, $l: Float) {
  setWorkspaceBudget(input: { workspaceId: $w, monthlyLimit: $l }) { id budget { monthlyLimit spentThisMonth resetsAt } }
}`;

export interface BudgetView {
  monthlyLimit: number;
  spentThisMonth: number;
  resetsAt: string;
}

export async function setBudget(client: GraphQLClient, token: string, workspaceId: string, monthlyLimit: number | null) {
  const data = await client.ok<{ setWorkspaceBudget: { id: string; budget: BudgetView | null } }>(
    SET_WORKSPACE_BUDGET,
    { w: workspaceId, l: monthlyLimit },
    token,
  );
  return data.setWorkspaceBudget.budget;
}

export interface EnforcedWorkspace {
  workspaceId: string;
  key: CreatedKey;
}

/** A new sub-workspace of `account` with `model` authorized for inference, limited by `limits` (if any), and an API key. */
export async function enforcedWorkspace(
  client: GraphQLClient,
  account: ModelStudioAccount,
  model: string,
  limits: Limits | null,
  keyOptions: { ipAllowlist?: string[] } = {},
): Promise<EnforcedWorkspace> {
  const workspaceId = await createWorkspace(client, account.token);
  await authorizeModel(client, account.token, workspaceId, model);
  if (limits) await setRateLimit(client, account.token, workspaceId, model, limits);
  const key = await createKey(client, account.token, workspaceId, keyOptions);
  return { workspaceId, key };
}

/** The forward-auth route of the gateway whose GraphQL endpoint is `graphqlUrl`. */
export const modelCallRoute = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '/authz/model-call');

/** GET /authz/model-call as a reverse proxy's forward-auth sends it. */
export function forwardAuth(graphqlUrl: string, options: { secret?: string; model?: string; headers?: Record<string, string> } = {}) {
  return fetch(modelCallRoute(graphqlUrl), {
    headers: {
      ...(options.secret !== undefined ? { authorization: `Bearer ${options.secret}` } : {}),
      ...(options.model !== undefined ? { 'x-model': options.model } : {}),
      ...options.headers,
    },
  });
}

/** How many answers were allowed, and the reasons of the others (failures as their error code). */
export function tally(answers: Array<CallAuthorization | { error: string }>) {
  const allowed = answers.filter((a): a is CallAuthorization => !('error' in a) && a.allowed);
  const others = answers.filter((a) => 'error' in a || !a.allowed).map((a) => ('error' in a ? a.error : a.reason));
  return { allowed, others };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The promise's value, or a failure naming `what` when it does not settle within `ms` (a wedged server fails the test, not the run). */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  // The loser of the race settles later (or never): its rejection is expected, not unhandled.
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A gateway of its own for a describe block, for cases that could wedge their server when the
 * implementation is wrong: its close is bounded, so that a wedged gateway fails the case and
 * not the whole file (the worker process is discarded at the end of the run anyway).
 */
export function isolatedGateway(overrides: Partial<Config> = {}): TestGateway {
  let started: TestGateway | undefined;
  beforeAll(async () => {
    started = await startTestGateway(overrides);
  });
  afterAll(async () => {
    if (started) await within(15_000, 'closing the isolated gateway', started.close()).catch(() => {});
  }, 20_000);
  return new Proxy({} as TestGateway, {
    get: (_target, key) => {
      if (started === undefined) throw new Error(`isolatedGateway: read ${String(key)} before the gateway started`);
      return Reflect.get(started, key);
    },
  });
}
