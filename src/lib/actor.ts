/**
 * Who is acting, and what they may do. Every service call takes an actor and checks it.
 */
import { AppError } from './errors.ts';

export const ACTIONS = ['read', 'write', 'erase', 'export'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Actor {
  kind: 'api_key' | 'operator' | 'system';
  /** API key id, or a fixed name for the local operator and the system. */
  id: string;
  /** Purposes the actor may act under; `*` for all. */
  purposes: ReadonlySet<string> | '*';
  actions: ReadonlySet<Action> | '*';
  /** The staff role acting, when a person signed in to the console acts. */
  role?: string;
  /** The HTTP request this action belongs to, for the access log. */
  requestId?: string;
}

/** The person at the server's own command line: the CLI runs with full rights. */
export const operator: Actor = { kind: 'operator', id: 'cli', purposes: '*', actions: '*' };
export const system: Actor = { kind: 'system', id: 'system', purposes: '*', actions: '*' };

export function actorLabel(actor: Actor): string {
  return `${actor.kind}:${actor.id}`;
}

export function requireAction(actor: Actor, action: Action): void {
  if (actor.actions !== '*' && !actor.actions.has(action)) {
    throw new AppError('forbidden', `this credential may not ${action} personal data`);
  }
}

export function requirePurpose(actor: Actor, purpose: string): void {
  if (actor.purposes !== '*' && !actor.purposes.has(purpose)) {
    throw new AppError('forbidden', `this credential is not scoped for purpose "${purpose}"`, [
      { field: 'purpose', detail: `not within the credential's purposes` },
    ]);
  }
}
