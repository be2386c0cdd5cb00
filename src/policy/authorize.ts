// Who may do what: effective roles from a certificate and the policy, and one decision function.
import type { Policy, Role } from "./policy.js";

export type Capability = "tool" | "prompt" | "resource";

export interface Decision {
  allow: boolean;
  /** Why: `role:<name>` when allowed, a reason code when not. */
  reason: string;
}

/** Certificate roles ∪ roles from matching subject rules; roles the policy does not define grant nothing. */
export function effectiveRoles(policy: Policy, certRoles: readonly string[], spiffeId: string | undefined): string[] {
  const roles = new Set(certRoles.filter((r) => policy.roles.has(r)));
  if (spiffeId) for (const rule of policy.subjects) if (rule.match.test(spiffeId)) for (const r of rule.roles) roles.add(r);
  return [...roles].sort();
}

const PATTERNS: Record<Capability, (role: Role) => readonly RegExp[]> = {
  tool: (r) => r.tools,
  prompt: (r) => r.prompts,
  resource: (r) => r.resources,
};

export function authorize(policy: Policy, roles: readonly string[], capability: Capability, name: string): Decision {
  if (roles.length === 0) return { allow: false, reason: "no_roles" };
  for (const roleName of roles) {
    const role = policy.roles.get(roleName);
    if (role && PATTERNS[capability](role).some((p) => p.test(name))) return { allow: true, reason: `role:${roleName}` };
  }
  return { allow: false, reason: `${capability}_not_permitted` };
}

/** The smallest maxTtl among the roles (undefined when none sets one). */
export function maxTtlFor(policy: Policy, roles: readonly string[]): number | undefined {
  const limits = roles.map((r) => policy.roles.get(r)?.maxTtlMs).filter((ms): ms is number => ms !== undefined);
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

/** The tightest rate limit among the roles (undefined when none sets one). */
export function rateLimitFor(policy: Policy, roles: readonly string[]): { max: number; perMs: number } | undefined {
  let best: { max: number; perMs: number } | undefined;
  for (const r of roles) {
    const limit = policy.roles.get(r)?.rateLimit;
    if (limit && (!best || limit.max / limit.perMs < best.max / best.perMs)) best = limit;
  }
  return best;
}

export function auditsArguments(policy: Policy, roles: readonly string[]): boolean {
  return roles.some((r) => policy.roles.get(r)?.auditArguments === true);
}
