/**
 * After a sign-in with a one-time password: the only thing the server allows is choosing a new
 * password, so the console shows that form, then offers two-factor authentication before the
 * rest of the console opens.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../../shared/api-context.tsx';
import { useI18n } from '../i18n.ts';
import { Alert, Button, PageHeading } from '../../shared/ui.tsx';
import { useSession } from '../session.tsx';
import { ChangePassword, TwoFactor } from './Account.tsx';

export function FirstPasswordPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const me = useSession();
  const [changed, setChanged] = useState(false);

  const signOut = useMutation({
    mutationFn: () => api.logout(),
    onSettled: () => {
      queryClient.setQueryData(['me'], null);
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
    },
  });
  const proceed = () => void queryClient.invalidateQueries({ queryKey: ['me'] });

  return (
    <main id="main" className="centered">
      <section className="page" data-testid="first-password">
        <PageHeading title={t('firstPassword.title')}>{t('firstPassword.title')}</PageHeading>
        {changed ? (
          <>
            <Alert kind="success">{t('account.passwordChanged')}</Alert>
            <p>{t('firstPassword.offerTotp')}</p>
            <TwoFactor enabled={me.staff.totpEnabled} />
            <div className="row">
              <Button onClick={proceed}>{t('firstPassword.continue')}</Button>
            </div>
          </>
        ) : (
          <>
            <p>{t('firstPassword.intro')}</p>
            <ChangePassword onChanged={() => setChanged(true)} />
            <div className="row">
              <Button variant="secondary" busy={signOut.isPending} onClick={() => signOut.mutate()}>
                {t('nav.signOut')}
              </Button>
            </div>
          </>
        )}
      </section>
    </main>
  );
}
