import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kind, parse, print, separateOperations, validate, type DefinitionNode, type DocumentNode, type GraphQLSchema } from 'graphql';
import { z } from 'zod';
import { looksLikeAccessKeyPair, looksLikeApiKey, looksLikeTemporaryKey } from '../auth/credential-secrets.js';

/**
 * Trusted documents (issue #14): a manifest of the operations partners may run, by the SHA-256
 * of their text, accepted as `documentId: "sha256:<hex>"` (the GraphQL-over-HTTP convention) or
 * as Apollo's `extensions.persistedQuery.sha256Hash`. The manifest is Apollo's persisted query
 * manifest format. Who must send a listed document is the mode:
 * - `off`: nobody; listed documents are still served by id when a manifest is loaded;
 * - `api-keys`: requests presenting a program's credential (API key, temporary key, AccessKey pair);
 * - `all`: every request.
 * The HTTP handler resolves a request here before Apollo sees it, so that a refused document is
 * never parsed, authenticated nor executed.
 */

export const TRUSTED_DOCUMENTS_MODES = ['off', 'api-keys', 'all'] as const;
export type TrustedDocumentsMode = (typeof TRUSTED_DOCUMENTS_MODES)[number];

export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

export interface TrustedDocument {
  /** The SHA-256 of `body`, in lowercase hex. */
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  operations: TrustedDocument[];
}

export interface TrustedDocuments {
  mode: TrustedDocumentsMode;
  /** The manifest's path; null: no manifest. */
  source: string | null;
  /** The listed documents by id. */
  documents: ReadonlyMap<string, TrustedDocument>;
}

export const NO_TRUSTED_DOCUMENTS: TrustedDocuments = { mode: 'off', source: null, documents: new Map() };

/** A manifest that cannot be used; the message names the entry at fault. */
export class ManifestError extends Error {}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const HEX_ID = /^[0-9a-f]{64}$/;
const DOCUMENT_ID = /^sha256:([0-9a-fA-F]{64})$/;

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().regex(HEX_ID, 'must be 64 lowercase hex digits (the SHA-256 of body)'),
      name: z.string().min(1),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string().min(1),
    }),
  ),
});

/** The documents of a manifest's text, by id; throws ManifestError naming what is wrong. */
export function parseManifest(text: string, source: string): Map<string, TrustedDocument> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${source} is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ManifestError(`${source} is not an ${MANIFEST_FORMAT} (version 1): ${problems.join('; ')}`);
  }
  const documents = new Map<string, TrustedDocument>();
  parsed.data.operations.forEach((operation, index) => {
    const entry = `operations[${index}] ("${operation.name}", id ${operation.id})`;
    const actual = sha256Hex(operation.body);
    if (actual !== operation.id) throw new ManifestError(`${source}: ${entry} does not match its body, whose SHA-256 is ${actual}`);
    let document: DocumentNode;
    try {
      document = parse(operation.body);
    } catch (error) {
      throw new ManifestError(`${source}: ${entry}: the body is not GraphQL (${error instanceof Error ? error.message : String(error)})`);
    }
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const [only] = operations;
    if (operations.length !== 1 || !only) throw new ManifestError(`${source}: ${entry}: the body must hold exactly one operation`);
    if (only.operation !== operation.type || (only.name?.value ?? operation.name) !== operation.name) {
      throw new ManifestError(
        `${source}: ${entry}: the body is the ${only.operation} ${only.name?.value ?? '(anonymous)'}, not the ${operation.type} ${operation.name}`,
      );
    }
    documents.set(operation.id, operation);
  });
  return documents;
}

/** Reads and checks the manifest at `path` (relative to the working directory). */
export function readManifest(path: string): Map<string, TrustedDocument> {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new ManifestError(`cannot read ${path} (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseManifest(text, path);
}

/**
 * A manifest of every named operation in `files` (GraphQL operation files; fragments may be
 * shared between files): each operation with the fragments it uses, printed, hashed, sorted by
 * name. Validated against `schema` when given. Throws naming the file or operation at fault.
 */
export function buildManifest(files: ReadonlyArray<{ path: string; text: string }>, schema?: GraphQLSchema): Manifest {
  const definitions: DefinitionNode[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let document: DocumentNode;
    try {
      document = parse(file.text);
    } catch (error) {
      throw new ManifestError(`${file.path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION && definition.kind !== Kind.FRAGMENT_DEFINITION) {
        throw new ManifestError(`${file.path}: only operations and fragments belong in an operation file (found ${definition.kind})`);
      }
      const name = definition.name?.value;
      if (!name) throw new ManifestError(`${file.path}: every operation needs a name (the manifest lists operations by name)`);
      const key = `${definition.kind === Kind.OPERATION_DEFINITION ? 'operation' : 'fragment'} ${name}`;
      const other = seen.get(key);
      if (other) throw new ManifestError(`${file.path}: the ${key} is also defined in ${other}`);
      seen.set(key, file.path);
      definitions.push(definition);
    }
  }
  const all: DocumentNode = { kind: Kind.DOCUMENT, definitions };
  const operations = Object.entries(separateOperations(all)).map(([name, document]): TrustedDocument => {
    if (schema) {
      const errors = validate(schema, document);
      if (errors.length)
        throw new ManifestError(`operation ${name} (${seen.get(`operation ${name}`)}): ${errors.map((e) => e.message).join('; ')}`);
    }
    const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const body = print(document);
    return { id: sha256Hex(body), name, type: operation?.operation ?? 'query', body };
  });
  operations.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { format: MANIFEST_FORMAT, version: 1, operations };
}

// ---------------------------------------------------------------------------------------------
// Requests

/** What the handler hands on to Apollo (the body and query string, rewritten when a listed document was asked for by id). */
export type Resolution =
  | { ok: true; body: unknown; search: string }
  | { ok: false; status: number; code: string; message: string; headers?: Record<string, string> };

export interface IncomingGraphQLRequest {
  method: string;
  /** The parsed JSON body (POST), or undefined. */
  body: unknown;
  /** The URL's query string, with its `?` (GET). */
  search: string;
  authorization: string | undefined;
}

/** Whether the Authorization header presents a program's credential: an API key, a temporary key or an AccessKey pair (by its form alone). */
export function presentsProgramCredential(authorization: string | undefined): boolean {
  const token = /^Bearer (\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  return token !== undefined && (looksLikeApiKey(token) || looksLikeTemporaryKey(token) || looksLikeAccessKeyPair(token));
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const HOW_TO_SEND =
  'send {"documentId": "sha256:<hex>", "variables": {…}} (or Apollo\'s extensions.persistedQuery) for an operation of the ' +
  "gateway's trusted documents manifest, without its text; new operations are added to the manifest by the gateway's operator";

function refusal(status: number, code: string, message: string, headers?: Record<string, string>): Resolution {
  return { ok: false, status, code, message, ...(headers ? { headers } : {}) };
}

const badRequest = (message: string) => refusal(400, 'BAD_REQUEST', message);

/** What Apollo answers for a hash it does not know (HTTP 200, not cached), so that APQ clients behave as with Apollo. */
const notFound = (message: string) =>
  refusal(200, 'PERSISTED_QUERY_NOT_FOUND', message, { 'cache-control': 'private, no-cache, must-revalidate' });

/** The request's GraphQL parameters, from a JSON body (POST) or the query string (GET). */
function parametersOf(request: IncomingGraphQLRequest): { from: 'body' | 'search'; params: Record<string, unknown> } | null {
  if (request.method === 'GET') {
    const search = new URLSearchParams(request.search);
    const params: Record<string, unknown> = {};
    for (const name of ['query', 'documentId', 'extensions']) {
      const value = search.get(name);
      if (value !== null) params[name] = value;
    }
    if (typeof params.extensions === 'string') {
      try {
        params.extensions = JSON.parse(params.extensions);
      } catch {
        delete params.extensions; // Apollo refuses it (400) further on
      }
    }
    return { from: 'search', params };
  }
  return isRecord(request.body) ? { from: 'body', params: request.body } : null;
}

/** The request with `query` set to the listed document's text, and the id (documentId, persistedQuery) taken out. */
function rewritten(request: IncomingGraphQLRequest, from: 'body' | 'search', query: string | undefined): Resolution {
  const withoutPersisted = (extensions: unknown) => {
    if (!isRecord(extensions)) return undefined;
    const { persistedQuery: _persistedQuery, ...rest } = extensions;
    return Object.keys(rest).length ? rest : undefined;
  };
  if (from === 'body') {
    const { documentId: _documentId, extensions, ...body } = request.body as Record<string, unknown>;
    const rest = withoutPersisted(extensions);
    return {
      ok: true,
      body: { ...body, ...(query !== undefined ? { query } : {}), ...(rest ? { extensions: rest } : {}) },
      search: request.search,
    };
  }
  const search = new URLSearchParams(request.search);
  search.delete('documentId');
  if (query !== undefined) search.set('query', query);
  const extensions = search.get('extensions');
  if (extensions !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(extensions);
    } catch {
      parsed = extensions;
    }
    if (isRecord(parsed)) {
      const rest = withoutPersisted(parsed);
      if (rest) search.set('extensions', JSON.stringify(rest));
      else search.delete('extensions');
    }
  }
  const text = search.toString();
  return { ok: true, body: request.body, search: text ? `?${text}` : '' };
}

/**
 * Resolves a request against the trusted documents: a listed document asked for by id becomes
 * its text; an unknown id, or free text the mode does not allow, is refused with a code and a
 * message telling the client what to send. Anything else passes unchanged.
 */
export function resolveTrustedDocument(trusted: TrustedDocuments, request: IncomingGraphQLRequest): Resolution {
  const pass: Resolution = { ok: true, body: request.body, search: request.search };
  if (trusted.mode === 'off' && trusted.documents.size === 0) return pass;
  const enforced = trusted.mode === 'all' || (trusted.mode === 'api-keys' && presentsProgramCredential(request.authorization));
  const required = (message: string) =>
    refusal(
      400,
      'TRUSTED_DOCUMENT_REQUIRED',
      `${message}: ${trusted.mode === 'all' ? 'this gateway serves only trusted documents' : 'requests made with an API key, a temporary key or an AccessKey pair run only trusted documents'}; ${HOW_TO_SEND}.`,
    );

  const parameters = parametersOf(request);
  if (!parameters) {
    // A batch (Apollo refuses batches anyway) or a body Apollo will refuse.
    return enforced && Array.isArray(request.body) ? required('Batched requests are not served') : pass;
  }
  const { from, params } = parameters;
  const query = params.query ?? undefined;
  const documentId = params.documentId ?? undefined;
  const persisted = isRecord(params.extensions) ? params.extensions.persistedQuery : undefined;

  let id: string | undefined;
  if (documentId !== undefined) {
    const match = typeof documentId === 'string' ? DOCUMENT_ID.exec(documentId) : null;
    if (!match?.[1]) return badRequest('documentId must be "sha256:" followed by the 64 hex digits of the SHA-256 of the document');
    id = match[1].toLowerCase();
  }
  if (persisted !== undefined) {
    if (!isRecord(persisted) || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string') {
      return badRequest('extensions.persistedQuery must be {"version": 1, "sha256Hash": "<64 hex digits>"}');
    }
    const hash = persisted.sha256Hash.toLowerCase();
    if (id !== undefined && id !== hash) return badRequest('documentId and extensions.persistedQuery.sha256Hash name different documents');
    id = hash;
  }

  if (id === undefined) {
    if (!enforced || query === undefined) return pass;
    // The exact text of a listed document is that document.
    if (typeof query === 'string' && trusted.documents.has(sha256Hex(query))) return pass;
    return required('Free-text operations are not accepted');
  }
  if (query !== undefined && (typeof query !== 'string' || sha256Hex(query) !== id)) {
    return refusal(
      400,
      'DOCUMENT_ID_MISMATCH',
      `The query sent is not the document sha256:${id} (its SHA-256 differs): send the id alone, or the id with the exact text it is the hash of`,
    );
  }
  const listed = trusted.documents.get(id);
  if (listed) return rewritten(request, from, listed.body);
  if (query === undefined) {
    // Mode off: a hash alone may be one Apollo's APQ registered.
    if (trusted.mode === 'off' && documentId === undefined) return pass;
    return notFound(
      documentId === undefined
        ? 'PersistedQueryNotFound'
        : `No trusted document sha256:${id}: the gateway's manifest does not list it (check the id, or ask the gateway's operator to add it)`,
    );
  }
  // The text with its own hash, not listed: free text.
  if (enforced) return required(`The operation sha256:${id} is not in the trusted documents manifest`);
  // Mode off keeps Apollo's APQ (it registers the text); otherwise APQ is off and the id is dropped.
  return trusted.mode === 'off' && documentId === undefined ? pass : rewritten(request, from, undefined);
}
