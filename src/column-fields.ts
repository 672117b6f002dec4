import type { GraphQLFieldResolver } from 'graphql';

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * The resolver of a camelCase field that has none: rows come from the database with snake_case
 * columns (`createdAt` reads `created_at`), and objects built in code keep their camelCase names.
 * Returns undefined for a field whose name has no capital, which graphql-js resolves by itself.
 */
export function columnFieldResolver(fieldName: string): GraphQLFieldResolver<unknown, unknown> | undefined {
  const column = snakeCase(fieldName);
  if (column === fieldName) return undefined;
  return (source) => {
    const record = source as Record<string, unknown>;
    return fieldName in record ? record[fieldName] : record[column];
  };
}
