/**
 * Who is acting, and what they may do. Every service call takes an actor and checks it: data
 * actions (read, write, erase, export) under purposes, and staff actions (manage staff, read the
 * access log, …) from the role.
 */
import type { StaffAction } from '../modules/definition/index.ts';
import { AppError } from './errors.ts';

export const ACTIONS = ['read', 'write', 'erase', 'export'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * What an API key may be allowed: the data actions, and handling data subjects' requests, which
 * an export or erasure also needs (so that a key scoped to a few purposes cannot take a whole
 * person).
 */
export const API_KEY_ACTIONS = [...ACTIONS, 'handle_requests', 'export_audiences'] as const;

export interface Actor {
  kind: 'api_key' | 'staff' | 'operator' | 'system' | 'subject';
  /**
   * API key id, staff id, a fixed name for the local operator and the system, or for `subject`
   * (a person in the register acting on their own data through the portal) the person's id.
   */
  id: string;
  /** Purposes the actor may read under; `*` for all. */
  read: ReadonlySet<string> | '*';
  /** Purposes the actor may write under; `*` for all. */
  write: ReadonlySet<string> | '*';
  actions: ReadonlySet<Action | StaffAction> | '*';
  /** The staff role acting, when a person signed in to the console acts. */
  role?: string;
  /** The HTTP request this action belongs to, for the access log. */
  requestId?: string;
}

/** The person at the server's own command line: the CLI runs with full rights. */
export const operator: Actor = { kind: 'operator', id: 'cli', read: '*', write: '*', actions: '*' };
export const system: Actor = { kind: 'system', id: 'system', read: '*', write: '*', actions: '*' };

/**
 * A person in the register acting on their own data (the portal, after their identity is proven):
 * no purpose and no action of its own; only the use cases made for the person accept it.
 */
export function subjectActor(subjectId: string, requestId?: string): Actor {
  return {
    kind: 'subject',
    id: subjectId,
    read: new Set(),
    write: new Set(),
    actions: new Set(),
    ...(requestId === undefined ? {} : { requestId }),
  };
}

export function actorLabel(actor: Actor): string {
  return `${actor.kind}:${actor.id}`;
}

export function may(actor: Actor, action: Action | StaffAction): boolean {
  return actor.actions === '*' || actor.actions.has(action);
}

export function requireAction(actor: Actor, action: Action | StaffAction): void {
  if (!may(actor, action)) {
    throw new AppError(
      'forbidden',
      actor.kind === 'staff'
        ? `the role "${actor.role ?? '?'}" may not ${action.replace('_', ' ')}`
        : `this credential may not ${action.replace('_', ' ')}`,
    );
  }
}

export function requirePurpose(
  actor: Actor,
  purpose: string,
  mode: 'read' | 'write' = 'read',
): void {
  const allowed = actor[mode];
  if (allowed !== '*' && !allowed.has(purpose)) {
    const who = actor.kind === 'staff' ? `the role "${actor.role ?? '?'}"` : 'this credential';
    throw new AppError(
      'forbidden',
      `${who} may not ${mode} personal data for purpose "${purpose}"`,
      [{ field: 'purpose', detail: `not within the purposes ${who} may ${mode} under` }],
    );
  }
}

/**
 * Handling a data subject's request (an access copy, restriction, erasure) reaches everything
 * held about the person, under whichever purpose it was collected. Only an actor that may read
 * under every purpose of the register may do it: a narrowly scoped credential must not read,
 * freeze or destroy what its purposes cannot see. The check does not depend on the person, so a
 * refusal tells nothing about the purposes they have data under.
 */
export function requireEveryPurpose(
  actor: Actor,
  purposes: readonly string[],
  action: string,
): void {
  const allowed = actor.read;
  const missing = allowed === '*' ? [] : purposes.filter((p) => !allowed.has(p));
  if (missing.length > 0) {
    const who = actor.kind === 'staff' ? `the role "${actor.role ?? '?'}"` : 'this credential';
    throw new AppError(
      'forbidden',
      `${who} may not ${action}: that reaches data of every purpose, and ${who} may not read under ${missing.map((p) => `"${p}"`).join(', ')}`,
      [{ field: 'purpose', detail: 'handling a request needs every purpose of the register (*)' }],
    );
  }
}
