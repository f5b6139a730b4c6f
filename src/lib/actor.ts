/**
 * Who is acting, and what they may do. Every service call takes an actor and checks it: data
 * actions (read, write, erase, export) under purposes, and staff actions (manage staff, read the
 * access log, …) from the role.
 */
import type { StaffAction } from '../definition/schema.ts';
import { AppError } from './errors.ts';

export const ACTIONS = ['read', 'write', 'erase', 'export'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Actor {
  kind: 'api_key' | 'staff' | 'operator' | 'system';
  /** API key id, staff id, or a fixed name for the local operator and the system. */
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
