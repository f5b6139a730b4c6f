/**
 * The signed-in staff member and their role, for every page behind sign-in, and the register
 * definition the pages label things with.
 */
import { useQuery } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import type { Definition, Me } from '../shared/api.ts';
import { useApi } from '../shared/api-context.tsx';

export const SessionContext = createContext<Me | null>(null);

export function useSession(): Me {
  const me = useContext(SessionContext);
  if (!me) {
    throw new Error('useSession outside a signed-in page');
  }
  return me;
}

/** Whether the signed-in role has an action such as `read_audit` or `manage_staff`. */
export function useCan(action: string): boolean {
  return useSession().role.actions.includes(action);
}

export function useDefinition() {
  const api = useApi();
  return useQuery<Definition>({
    queryKey: ['definition'],
    queryFn: () => api.definition(),
    staleTime: Infinity,
  });
}
