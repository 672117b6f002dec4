import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { PrincipalRow } from '../identity/identity.table.js';

const ISSUER = 'model-studio-gateway';
const AUDIENCE = 'model-studio-gateway/console';
const ALGORITHM = 'HS256';

export interface SessionClaims {
  /** The acting principal (the role, for a role session). */
  principalId: string;
  accountId: string;
  /** For a role session: the RAM user who assumed the role. */
  assumedById?: string;
}

export interface IssuedSession {
  token: string;
  principal: PrincipalRow;
  expiresAt: Date;
}

export class SessionSigner {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(principal: PrincipalRow, assumedById?: string): Promise<IssuedSession> {
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = new Date((now + this.ttlSeconds) * 1000);
    const token = await new SignJWT({ acc: principal.account_id, ...(assumedById ? { act: { sub: assumedById } } : {}) })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(principal.id)
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, principal, expiresAt };
  }

  /** The claims of a valid token; null for anything else (bad signature, other issuer, `alg: none`, expired). */
  async verify(token: string): Promise<SessionClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['sub', 'exp', 'iat', 'acc'],
      });
      const actor = payload.act as { sub?: unknown } | undefined;
      if (typeof payload.sub !== 'string' || typeof payload.acc !== 'string') return null;
      return {
        principalId: payload.sub,
        accountId: payload.acc,
        ...(typeof actor?.sub === 'string' ? { assumedById: actor.sub } : {}),
      };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error;
    }
  }
}
