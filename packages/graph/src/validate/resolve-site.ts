import type { ModuleCall } from "../manifest/manifest-schema.ts";
import {
  type ModuleIndex,
  unknownModuleMessage,
} from "../manifest/module-index.ts";
import {
  siteTensors,
  type HookSite,
  type SiteTensors,
} from "../manifest/hook-site.ts";

/** A hook site found in the manifest: its module's real path, the call, and its tensors. */
export interface ResolvedSite {
  readonly real: string;
  readonly call: ModuleCall;
  readonly site: SiteTensors & { ok: true };
}

/**
 * Looks a hook site up in the manifest: the module (aliases resolved), its
 * call, and the tensors at the slot. Returns why not where any is missing,
 * the first missing one named (a module path with suggestions).
 */
export function resolveSite(
  index: ModuleIndex,
  target: Omit<HookSite, "item">,
):
  | ({ readonly ok: true } & ResolvedSite)
  | { readonly ok: false; readonly message: string } {
  const { module, call } = target;
  const resolved = index.resolve(module);
  if (!resolved?.spec)
    return {
      ok: false,
      message: resolved
        ? `"${module}" is a container of modules, not a module`
        : unknownModuleMessage(index, module),
    };
  const callSpec = resolved.spec.calls[call];
  if (!callSpec)
    return {
      ok: false,
      message: `module "${module}" has ${resolved.spec.calls.length} call(s); call ${call} does not exist`,
    };
  const site = siteTensors(callSpec, target);
  if (!site.ok) return { ok: false, message: site.reason };
  return { ok: true, real: resolved.real, call: callSpec, site };
}
