import { createHmac, createSecretKey, randomUUID, timingSafeEqual, webcrypto, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { PrincipalRow } from '../identity/identity.table.js';
import { TEMPORARY_KEY_PREFIX } from './credential-secrets.js';

const ISSUER = 'model-studio-gateway';
const AUDIENCE = 'model-studio-gateway/console';
/** Temporary keys are signed for another audience: neither kind of token passes for the other. */
const TEMPORARY_KEY_AUDIENCE = 'model-studio-gateway/temporary-key';
const ALGORITHM = 'HS256';
/** The protected header of every token the gateway signs, as it appears in the token. */
const SIGNED_HEADER = Buffer.from(JSON.stringify({ alg: ALGORITHM, typ: 'JWT' })).toString('base64url');

export interface SessionClaims {
  /** The acting principal (the role, for a role session). */
  principalId: string;
  accountId: string;
  /** The token's own ID: `changePassword` keeps the session that made it. */
  sessionId: string;
  /** The principal's session generation when the token was issued (older tokens are refused). */
  generation: number;
  /** For a role session: the RAM user who assumed the role, that user's session generation, and when (ms). */
  assumedBy?: { id: string; generation: number; at: number };
}

/** What a temporary key names: its parent API key, and the generation of the parent's secret it was derived from. */
export interface TemporaryKeyClaims {
  apiKeyId: string;
  generation: number;
}

export interface IssuedSession {
  token: string;
  principal: PrincipalRow;
  expiresAt: Date;
}

/** Verified tokens remembered per signer: a client sends the same token on every request. */
const VERIFIED_TOKENS = 10_000;

/**
 * Tokens whose signature and claims passed, with their `exp`: a signature checked once stays
 * valid until then, and whatever revokes a session earlier (generations, disabled principals) is
 * read from the database on each request anyway. Only verified tokens are kept, so forged ones
 * cannot crowd out real ones.
 */
class VerifiedTokens<T extends {}> {
  readonly #cache = new LRUCache<string, { claims: T; expiresAtMs: number }>({ max: VERIFIED_TOKENS });

  get(token: string): T | undefined {
    const known = this.#cache.get(token);
    return known && Date.now() < known.expiresAtMs ? known.claims : undefined;
  }

  remember(token: string, payload: JWTPayload, claims: T): T {
    const expiresAtMs = (payload.exp ?? 0) * 1000;
    const ttl = expiresAtMs - Date.now();
    if (ttl > 0) this.#cache.set(token, { claims, expiresAtMs }, { ttl });
    return claims;
  }
}

export class SessionSigner {
  private readonly key: Uint8Array;
  private readonly cryptoKey: Promise<webcrypto.CryptoKey>;
  private readonly hmacKey: KeyObject;
  private readonly verifiedSessions = new VerifiedTokens<SessionClaims>();
  private readonly verifiedTemporaryKeys = new VerifiedTokens<TemporaryKeyClaims>();

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
    // Imported once: jose imports raw bytes, and a KeyObject's exported bytes, on every signature
    // and every verification (an asynchronous WebCrypto import each time).
    this.cryptoKey = webcrypto.subtle.importKey('raw', this.key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    this.hmacKey = createSecretKey(this.key);
  }

  /** A session token; `ttlSeconds` overrides the configured lifetime (role sessions assumed with a duration). */
  async issue(principal: PrincipalRow, assumedBy: PrincipalRow | null = null, ttlSeconds = this.ttlSeconds): Promise<IssuedSession> {
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = new Date((now + ttlSeconds) * 1000);
    const actor = assumedBy ? { act: { sub: assumedBy.id, gen: assumedBy.session_generation, at: Date.now() } } : {};
    const token = await new SignJWT({ acc: principal.account_id, gen: principal.session_generation, ...actor })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(principal.id)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomUUID())
      .sign(await this.cryptoKey);
    return { token, principal, expiresAt };
  }

  /**
   * A temporary key: `st-` and a token signed for the temporary-key audience. Verifying it needs
   * no database write; whether its parent still works is read with the parent on each request.
   */
  /** `expiresAt` is in whole seconds (a JWT's `exp`): the caller rounds it to keep within its bounds. */
  async issueTemporaryKey(claims: TemporaryKeyClaims, expiresAt: Date): Promise<{ secret: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = Math.floor(expiresAt.getTime() / 1000);
    const token = await new SignJWT({ gen: claims.generation })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(TEMPORARY_KEY_AUDIENCE)
      .setSubject(claims.apiKeyId)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(await this.cryptoKey);
    return { secret: `${TEMPORARY_KEY_PREFIX}${token}`, expiresAt: new Date(exp * 1000) };
  }

  /** A MAC of `data` under a key derived for `purpose`: tokens of one purpose never pass for another's. */
  mac(purpose: string, data: string): string {
    const key = createHmac('sha256', this.key).update(purpose).digest();
    return createHmac('sha256', key).update(data).digest('base64url');
  }

  /** The claims of a valid, unexpired temporary key; null for anything else. */
  verifyTemporaryKey(secret: string): TemporaryKeyClaims | null {
    const known = this.verifiedTemporaryKeys.get(secret);
    if (known) return known;
    const payload = this.verifiedPayload(secret.slice(TEMPORARY_KEY_PREFIX.length), TEMPORARY_KEY_AUDIENCE);
    if (!payload || typeof payload.sub !== 'string' || !Number.isInteger(payload.gen)) return null;
    return this.verifiedTemporaryKeys.remember(secret, payload, { apiKeyId: payload.sub, generation: payload.gen as number });
  }

  /** The claims of a valid token; null for anything else (bad signature, other issuer, `alg: none`, expired). */
  verify(token: string): SessionClaims | null {
    const known = this.verifiedSessions.get(token);
    if (known) return known;
    const payload = this.verifiedPayload(token, AUDIENCE);
    const actor = payload?.act as { sub?: unknown; gen?: unknown; at?: unknown } | undefined;
    if (!payload || typeof payload.sub !== 'string' || typeof payload.acc !== 'string' || typeof payload.jti !== 'string') return null;
    if (typeof payload.iat !== 'number') return null;
    // Tokens issued before sessions had generations are of generation 0.
    const generationOf = (value: unknown) => (Number.isInteger(value) ? (value as number) : 0);
    return this.verifiedSessions.remember(token, payload, {
      principalId: payload.sub,
      accountId: payload.acc,
      sessionId: payload.jti,
      generation: generationOf(payload.gen),
      ...(typeof actor?.sub === 'string'
        ? { assumedBy: { id: actor.sub, generation: generationOf(actor.gen), at: typeof actor.at === 'number' ? actor.at : 0 } }
        : {}),
    });
  }

  /**
   * The payload of a token this gateway signed for `audience`, unexpired; null for anything
   * else. Checked here, synchronously (node:crypto's HMAC), where jose checks a signature
   * through WebCrypto, one job on libuv's thread pool per token: the largest single item of a
   * `node --cpu-prof` profile of temporary keys under load, where half the keys are new to the
   * cache (issue #16; what it bought: the README's issue #16 table). jose still signs every
   * token. Only the exact header the gateway signs passes (so no algorithm is read from a token,
   * `none` included), and only the signature's canonical encoding (no second spelling of a token).
   */
  private verifiedPayload(token: string, audience: string): JWTPayload | null {
    const [header, payload, signature, ...rest] = token.split('.');
    if (header !== SIGNED_HEADER || payload === undefined || signature === undefined || rest.length) return null;
    const expected = createHmac('sha256', this.hmacKey).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || given.toString('base64url') !== signature) return null;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (typeof claims !== 'object' || claims === null) return null;
    const { iss, aud, exp } = claims as JWTPayload;
    if (iss !== ISSUER || aud !== audience || typeof exp !== 'number' || exp <= Math.floor(Date.now() / 1000)) return null;
    return claims as JWTPayload;
  }
}
