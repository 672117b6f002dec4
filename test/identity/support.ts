import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, type JWTHeaderParameters } from 'jose';
import { expect } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { firstError, type GraphQLResponse } from '../helpers/graphql-client.js';
import { TEST_JWT_SECRET } from '../helpers/test-gateway.js';

/** Shared by the identity tests: expectations on API errors and hand-made session tokens. */

export const ISSUER = 'model-studio-gateway';
export const AUDIENCE = 'model-studio-gateway/console';

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/** The response failed with `code` (on its first error), optionally naming `field`; the mutation's data is null. */
export function expectError(result: GraphQLResponse, code: string, options: { field?: string; dataField?: string } = {}) {
  expect(result.errors, `expected ${code}, got data ${JSON.stringify(result.data)}`).toBeDefined();
  expect(result.errors?.length).toBeGreaterThan(0);
  const error = firstError(result);
  expect(error.extensions?.code, JSON.stringify(result.errors)).toBe(code);
  if (options.field !== undefined) expect(error.extensions?.field).toBe(options.field);
  if (options.dataField !== undefined) {
    const data = result.data;
    const value = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[options.dataField] : undefined;
    expect(value ?? null).toBeNull();
  }
}

export const VIEWER = `{ viewer { principal { id kind name } credential assumedBy { id } policies } }`;
/** The data VIEWER answers. */
export interface ViewerData {
  viewer: {
    principal: { id: string; kind: string; name: string };
    credential: string;
    assumedBy: { id: string } | null;
    policies: string[];
  };
}

export interface TokenOptions {
  sub: string;
  acc?: string | undefined;
  act?: { sub: string };
  issuer?: string;
  audience?: string | string[];
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  secret?: string;
  alg?: 'HS256' | 'HS384' | 'HS512';
  /** The protected header, serialized as given (its fields in their order); `alg` is then ignored. */
  header?: JWTHeaderParameters;
  omit?: Array<'acc' | 'exp' | 'iat'>;
}

/** A session token made by hand, signed (by default) exactly as the gateway signs its own. */
export async function signToken(options: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const omit = new Set(options.omit ?? []);
  const claims: Record<string, unknown> = {};
  if (!omit.has('acc') && options.acc !== undefined) claims.acc = options.acc;
  if (options.act) claims.act = options.act;
  let jwt = new SignJWT(claims)
    .setProtectedHeader(options.header ?? { alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject(options.sub)
    .setJti(randomUUID());
  if (!omit.has('iat')) jwt = jwt.setIssuedAt(now - 5);
  if (!omit.has('exp')) jwt = jwt.setExpirationTime(now + (options.expiresIn ?? 600));
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The payload of a JWT, decoded without verification. */
export const payloadOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(defined(token.split('.')[1], 'the payload segment of the JWT'), 'base64url').toString('utf8'));

/** The same claims as `token`, unsigned (`alg: none`, empty signature). */
export function unsignedCopy(token: string): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payloadOf(token))}.`;
}

/** `token` with its payload replaced and its original signature kept. */
export function withPayload(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64(payload)}.${signature}`;
}

/** `token` with one byte of its signature changed (a middle character, so that the decoded bytes differ). */
export function withAlteredSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes.writeUInt8(bytes.readUInt8(10) ^ 0x01, 10);
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * `token` with its signature spelled another way: the same bytes, in a non-canonical base64url.
 * The last of a 32-byte signature's 43 characters carries 4 bits and 2 that decoders ignore:
 * flipping the lowest changes the spelling, not the bytes.
 */
export function withSignatureSpelledAnotherWay(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const last = BASE64URL.indexOf(signature.slice(-1));
  const altered = `${signature.slice(0, -1)}${BASE64URL[last ^ 0x01]}`;
  if (altered === signature || !Buffer.from(altered, 'base64url').equals(Buffer.from(signature, 'base64url'))) {
    throw new Error(`${altered} is not another spelling of the signature ${signature}`);
  }
  return `${header}.${payload}.${altered}`;
}

/** A token of `payload` (any JSON value) under the header the gateway signs, signed with the right key. */
export function signedPayload(payload: unknown): string {
  const signed = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${signed}.${createHmac('sha256', TEST_JWT_SECRET).update(signed).digest('base64url')}`;
}
