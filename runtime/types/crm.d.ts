// TypeScript declarations of the API that hook scripts see.
// Served as GET /api/v1/scripts/types.d.ts. Kept in sync with the engine
// (runtime/jsvm) by TestTypes_matchBindings: every member below must be
// installed by the engine, and every installed member must be declared here.
//
// A script defines functions named after the events it handles; each
// receives ctx. Scripts run in strict mode, in a fresh sandbox per run:
// no require, no timers, no file system, no network, no eval.
//
//   function beforeCreate(ctx: crm.Context) {
//     if (!ctx.record.email) ctx.error("email", "An email is required");
//   }

declare namespace crm {
  /** A record as JSON: field API names to values. */
  type Record = { [field: string]: any };

  /** The user the hook runs for. Frozen. */
  interface User {
    readonly id: string;
    readonly email: string;
    readonly name: string;
    readonly roles: readonly string[];
  }

  interface QueryOptions {
    /** Filter language, e.g. "status = 'new' AND score >= 50". */
    filter?: string;
    /** Sort fields, "-" for descending, e.g. "-createdAt,name". */
    sort?: string;
    /** Page size, at most 200. */
    limit?: number;
    /** Fields to return. */
    fields?: string[];
    /** The nextCursor of the previous page. */
    cursor?: string;
  }

  interface QueryResult {
    items: Record[];
    nextCursor: string | null;
  }

  interface AggregateOptions {
    filter?: string;
    groupBy?: (string | { field: string; by: "day" | "week" | "month" | "quarter" | "year" })[];
    measures: { op: "count" | "sum" | "avg" | "min" | "max"; field?: string }[];
  }

  /**
   * Record access through the same pipeline as the REST API, with the
   * permissions of ctx.user. Errors are thrown as Error objects with a
   * `code` (for example "record.not_found") and, for invalid records,
   * `fields`. Counted against the run's limits (queries, writes, records
   * fetched); a limit stops the script and cannot be caught.
   */
  interface Records {
    /** The record, or null when it does not exist or is not visible. */
    get(object: string, id: string): Record | null;
    query(object: string, options?: QueryOptions): QueryResult;
    create(object: string, record: Record): Record;
    update(object: string, id: string, patch: Record): Record;
    delete(object: string, id: string): void;
    aggregate(object: string, options: AggregateOptions): Record[];
  }

  /** What a hook receives. Frozen; ctx.record's fields are changeable in before-events. */
  interface Context {
    /** The record being saved. Changes made in before-events are saved; in other events it is frozen. */
    readonly record: Record;
    /** The stored record before this change; null on create. Frozen. */
    readonly old: Readonly<Record> | null;
    readonly user: User;
    /** The event being run, e.g. "beforeCreate". */
    readonly event: string;
    /**
     * Reports a problem with a field (or with the whole record when field
     * is null). After the hook returns, the save fails with 422.
     */
    error(field: string | null, message: string): void;
    /** Writes one log line (values joined by spaces); at most 1 MiB per run. */
    log(...values: any[]): void;
    readonly records: Records;
  }
}

declare function beforeCreate(ctx: crm.Context): void;
declare function afterCreate(ctx: crm.Context): void;
declare function beforeUpdate(ctx: crm.Context): void;
declare function afterUpdate(ctx: crm.Context): void;
declare function beforeDelete(ctx: crm.Context): void;
declare function afterDelete(ctx: crm.Context): void;
