/**
 * @loupe/graph: the intervention graph (tracing API, format, validation,
 * optimization). Pure TypeScript: no Node builtins, no native modules, so the same
 * code runs in the browser, in Temporal workflows and in Node.
 *
 * Empty until the intervention-graph issue lands; the package exists so that the
 * dependency direction (everything points here) is enforced from the start.
 */
export {};
