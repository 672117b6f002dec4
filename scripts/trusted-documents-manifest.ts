/**
 * Builds a trusted documents manifest (Apollo's persisted query manifest format) from GraphQL
 * operation files, for TRUSTED_DOCUMENTS:
 *
 *   npm run documents:manifest -- <folder or .graphql file>... [--out manifest.json] [--no-validate]
 *
 * Every named operation of every `.graphql` / `.gql` file found (folders are searched
 * recursively; fragments may live in any of the files) becomes one entry: the operation with
 * the fragments it uses, printed, and the SHA-256 of that text as its id. Each operation is
 * validated against the gateway's schema first (`--no-validate` skips it). Without `--out`, the
 * manifest goes to standard output.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ManifestError, buildManifest } from '../src/http/trusted-documents.js';
import { buildBareSchema } from '../src/schema.js';

const USAGE = 'Usage: npm run documents:manifest -- <folder or .graphql file>... [--out manifest.json] [--no-validate]';

function operationFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return operationFiles(child);
      return /\.(graphql|gql)$/.test(entry.name) ? [child] : [];
    });
}

function main(args: string[]): number {
  const inputs: string[] = [];
  let out: string | undefined;
  let validateOperations = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return 0;
    }
    if (arg === '--out') {
      out = args[++i];
      if (!out) {
        console.error(`--out needs a file\n${USAGE}`);
        return 2;
      }
    } else if (arg === '--no-validate') validateOperations = false;
    else if (arg.startsWith('-')) {
      console.error(`Unknown option ${arg}\n${USAGE}`);
      return 2;
    } else inputs.push(arg);
  }
  if (inputs.length === 0) {
    console.error(USAGE);
    return 2;
  }
  try {
    const files = inputs
      .flatMap(operationFiles)
      .map((path) => ({ path: relative(process.cwd(), path) || path, text: readFileSync(path, 'utf8') }));
    if (files.length === 0) throw new ManifestError(`no .graphql files in ${inputs.join(', ')}`);
    const manifest = buildManifest(files, validateOperations ? buildBareSchema().schema : undefined);
    if (manifest.operations.length === 0) throw new ManifestError(`no operations in ${inputs.join(', ')}`);
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    if (out) {
      writeFileSync(out, text);
      console.error(`${out}: ${manifest.operations.length} operations (${manifest.operations.map((o) => o.name).join(', ')})`);
    } else process.stdout.write(text);
    return 0;
  } catch (error) {
    if (error instanceof ManifestError || (error instanceof Error && 'code' in error && error.code === 'ENOENT')) {
      console.error(`documents:manifest: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = main(process.argv.slice(2));
