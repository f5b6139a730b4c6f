/**
 * Sign-in: username and password, then, when the account has two-factor authentication, the
 * authenticator code or a recovery code.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { useI18n } from '../i18n.ts';
import { useRouter } from '../../shared/router.tsx';
import type { I18n } from '../i18n.ts';
import {
  Alert,
  Button,
  LanguageSwitcher,
  PageHeading,
  SkipLink,
  TextField,
  describeError,
} from '../../shared/ui.tsx';

function signInError(i18n: I18n, error: unknown): string {
  if (error instanceof ApiError) {
    const detail = error.problem.detail;
    switch (error.status) {
      case 401:
        return i18n.t('signIn.wrong');
      case 429:
        return detail ? `${i18n.t('signIn.tooMany')} ${detail}` : i18n.t('signIn.tooMany');
      case 423:
        return detail ? `${i18n.t('signIn.locked')} ${detail}` : i18n.t('signIn.locked');
      default:
        break;
    }
  }
  return describeError(i18n, error);
}

export function SignInPage({ mfaPending }: { mfaPending: boolean }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { location, navigate } = useRouter();
  const i18n = useI18n();
  const { t } = i18n;
  const [step, setStep] = useState<'password' | 'mfa'>(mfaPending ? 'mfa' : 'password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const codeRef = useRef<HTMLInputElement>(null);

  const signedIn = async () => {
    // Nothing cached from an earlier session may show through.
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
    await queryClient.invalidateQueries({ queryKey: ['me'] });
    // The page asked for before sign-in opens, with focus on its heading.
    const qs = location.query.toString();
    navigate(qs ? `${location.path}?${qs}` : location.path, { replace: true, focus: true });
  };

  const login = useMutation({
    mutationFn: () => api.login(username.trim(), password),
    onSuccess: async (session) => {
      setPassword('');
      if (session.mfaRequired) {
        setStep('mfa');
      } else {
        await signedIn();
      }
    },
  });
  const mfa = useMutation({
    mutationFn: () => api.mfa(code.replace(/\s+/g, '')),
    onSuccess: signedIn,
    onError: () => setCode(''),
  });

  useEffect(() => {
    if (step === 'mfa') {
      codeRef.current?.focus();
    }
  }, [step]);

  const startOver = () => {
    void api.logout().finally(() => {
      queryClient.setQueryData(['me'], null);
      mfa.reset();
      login.reset();
      setCode('');
      setStep('password');
    });
  };

  const mfaError =
    mfa.error instanceof ApiError && mfa.error.status === 401
      ? t('mfa.wrong')
      : mfa.error
        ? signInError(i18n, mfa.error)
        : null;

  return (
    <div className="signin">
      <SkipLink />
      <header className="signin-header">
        <div className="brand">
          <span className="brand-name">{t('app.name')}</span>
          <span className="brand-sub">{t('app.console')}</span>
        </div>
        <LanguageSwitcher id="language-signin" />
      </header>
      <main id="main" tabIndex={-1} className="signin-main">
        <div className="card signin-card">
          {step === 'password' ? (
            <>
              <PageHeading title={t('signIn.title')}>{t('signIn.title')}</PageHeading>
              <p className="muted">{t('signIn.intro')}</p>
              {login.error ? <Alert>{signInError(i18n, login.error)}</Alert> : null}
              <form
                className="stack"
                onSubmit={(e) => {
                  e.preventDefault();
                  login.mutate();
                }}
              >
                <TextField
                  label={t('signIn.username')}
                  name="username"
                  autoComplete="username"
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                  value={username}
                  onChange={(e) => setUsername(e.target.value)}
                />
                <TextField
                  label={t('signIn.password')}
                  name="password"
                  type="password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
                <Button type="submit" busy={login.isPending}>
                  {login.isPending ? t('signIn.working') : t('signIn.submit')}
                </Button>
              </form>
            </>
          ) : (
            <>
              <PageHeading title={t('mfa.title')}>{t('mfa.title')}</PageHeading>
              <p className="muted">{t('mfa.intro')}</p>
              {mfaError ? <Alert>{mfaError}</Alert> : null}
              <form
                className="stack"
                onSubmit={(e) => {
                  e.preventDefault();
                  mfa.mutate();
                }}
              >
                <TextField
                  ref={codeRef}
                  label={t('mfa.code')}
                  name="code"
                  autoComplete="one-time-code"
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                  maxLength={40}
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
                <div className="row">
                  <Button type="submit" busy={mfa.isPending}>
                    {t('mfa.submit')}
                  </Button>
                  <Button variant="link" onClick={startOver}>
                    {t('mfa.startOver')}
                  </Button>
                </div>
              </form>
            </>
          )}
        </div>
      </main>
    </div>
  );
}
