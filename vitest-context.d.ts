// What the integration tests' global setup provides (packages/db/src/testing/
// vitest-global-setup.ts), readable in tests with `inject(name)`.
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** A database of this package's own, migrated, on the test PostgreSQL. */
    databaseUrl: string;
    /** The test Temporal server's frontend, host:port. */
    temporalAddress: string;
  }
}
