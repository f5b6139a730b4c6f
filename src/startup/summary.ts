/**
 * A short account of how one register definition differs from another: what an operator confirms
 * with `rekisteri definition apply`. Kept as a small JSON outline in the settings table (no
 * personal data: the definition describes the register, not anyone in it).
 */
import type { Register } from '../modules/definition/index.ts';

export interface DefinitionOutline {
  controller: string;
  purposes: string[];
  categories: string[];
  fields: string[];
  roles: string[];
  recipients: string[];
}

export function outline(register: Register): DefinitionOutline {
  const d = register.definition;
  return {
    controller: `${d.controller.name} (${d.controller.businessId})`,
    purposes: d.purposes.map((p) => p.id),
    categories: d.categories.map((c) => c.id),
    fields: d.categories.flatMap((c) => c.fields.map((f) => `${c.id}.${f.id}`)),
    roles: register.roles.map((r) => r.id),
    recipients: d.recipients.map((r) => r.id),
  };
}

export function parseOutline(text: string | undefined): DefinitionOutline | undefined {
  if (!text) {
    return undefined;
  }
  try {
    const o = JSON.parse(text) as Partial<DefinitionOutline>;
    return typeof o.controller === 'string' && Array.isArray(o.purposes)
      ? {
          controller: o.controller,
          purposes: o.purposes,
          categories: o.categories ?? [],
          fields: o.fields ?? [],
          roles: o.roles ?? [],
          recipients: o.recipients ?? [],
        }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Lines such as "purposes added: newsletter"; empty when the outlines are the same. */
export function describeChange(
  before: DefinitionOutline | undefined,
  after: DefinitionOutline,
): string[] {
  if (!before) {
    return [
      'the previous definition was not recorded (a database started by an older version): only its version differs',
    ];
  }
  const lines: string[] = [];
  if (before.controller !== after.controller) {
    lines.push(`controller: ${before.controller} → ${after.controller}`);
  }
  for (const key of ['purposes', 'categories', 'fields', 'roles', 'recipients'] as const) {
    const was = new Set(before[key]);
    const now = new Set(after[key]);
    const added = after[key].filter((x) => !was.has(x));
    const removed = before[key].filter((x) => !now.has(x));
    if (added.length > 0) {
      lines.push(`${key} added: ${added.join(', ')}`);
    }
    if (removed.length > 0) {
      lines.push(`${key} removed: ${removed.join(', ')}`);
    }
  }
  if (lines.length === 0) {
    lines.push(
      'no purpose, category, field, role or recipient added or removed: wording, legal bases, retention or other details changed',
    );
  }
  return lines;
}
