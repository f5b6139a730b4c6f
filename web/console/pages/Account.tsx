/**
 * The signed-in person's own account: password change and two-factor authentication (the secret
 * shown as text and as an otpauth address, then the recovery codes, once).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { useI18n } from '../i18n.ts';
import {
  Alert,
  Badge,
  Button,
  PageHeading,
  TextField,
  describeError,
  groupInFours,
  useAnnounce,
} from '../../shared/ui.tsx';
import { useSession } from '../session.tsx';

const MIN_PASSWORD = 12;

export function AccountPage() {
  const { t, loc } = useI18n();
  const me = useSession();
  return (
    <section className="page">
      <PageHeading title={t('account.title')}>{t('account.title')}</PageHeading>
      <dl className="facts">
        <div>
          <dt>{t('col.username')}</dt>
          <dd className="mono">{me.staff.username}</dd>
        </div>
        <div>
          <dt>{t('col.displayName')}</dt>
          <dd>{me.staff.displayName}</dd>
        </div>
        <div>
          <dt>{t('col.role')}</dt>
          <dd>{loc(me.role.label, me.role.id)}</dd>
        </div>
        <div>
          <dt>{t('col.twoFactor')}</dt>
          <dd>
            {me.staff.totpEnabled ? (
              <Badge kind="success">{t('common.on')}</Badge>
            ) : (
              <Badge kind="warning">{t('common.off')}</Badge>
            )}
          </dd>
        </div>
      </dl>
      <div className="two-col">
        <ChangePassword />
        <TwoFactor enabled={me.staff.totpEnabled} />
      </div>
    </section>
  );
}

/** Lets password managers tie a password form to the account (it is not shown). */
function UsernameForPasswordManagers() {
  const me = useSession();
  return (
    <input
      type="text"
      name="username"
      autoComplete="username"
      value={me.staff.username}
      readOnly
      hidden
    />
  );
}

export function ChangePassword({ onChanged }: { onChanged?: () => void } = {}) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const announce = useAnnounce();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [checked, setChecked] = useState(false);
  const [done, setDone] = useState(false);

  const tooShort = next.length < MIN_PASSWORD;
  const mismatch = next !== confirm;

  const change = useMutation({
    mutationFn: () => api.changePassword(current, next),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setConfirm('');
      setChecked(false);
      setDone(true);
      announce(t('account.passwordChanged'));
      onChanged?.();
    },
  });
  const serverField = (f: string) =>
    change.error instanceof ApiError ? (change.error.fieldError(f) ?? null) : null;
  const general =
    change.error &&
    !(change.error instanceof ApiError && (change.error.problem.errors?.length ?? 0) > 0)
      ? describeError(i18n, change.error)
      : null;

  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">{t('account.password')}</h2>
      {done ? <Alert kind="success">{t('account.passwordChanged')}</Alert> : null}
      {general ? <Alert>{general}</Alert> : null}
      <form
        className="stack"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setChecked(true);
          setDone(false);
          if (!tooShort && !mismatch && current) {
            change.mutate();
          }
        }}
      >
        <UsernameForPasswordManagers />
        <TextField
          id="password-current"
          label={t('account.current')}
          type="password"
          autoComplete="current-password"
          required
          value={current}
          error={serverField('current')}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <TextField
          id="password-next"
          label={t('account.new')}
          hint={t('account.newHint')}
          type="password"
          autoComplete="new-password"
          required
          minLength={MIN_PASSWORD}
          value={next}
          error={(checked && tooShort ? t('account.tooShort') : null) ?? serverField('next')}
          onChange={(e) => setNext(e.target.value)}
        />
        <TextField
          id="password-confirm"
          label={t('account.confirm')}
          type="password"
          autoComplete="new-password"
          required
          value={confirm}
          error={checked && !tooShort && mismatch ? t('account.mismatch') : null}
          onChange={(e) => setConfirm(e.target.value)}
        />
        <div>
          <Button type="submit" busy={change.isPending}>
            {t('account.password')}
          </Button>
        </div>
      </form>
    </section>
  );
}

export function TwoFactor({ enabled }: { enabled: boolean }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const i18n = useI18n();
  const { t } = i18n;
  const announce = useAnnounce();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);

  const setup = useMutation({
    mutationFn: () => api.setupTotp(password),
    onSuccess: () => setPassword(''),
  });
  const enable = useMutation({
    mutationFn: () => api.enableTotp(code.replace(/\s+/g, '')),
    onSuccess: (result) => {
      setRecoveryCodes(result.recoveryCodes);
      setCode('');
      announce(t('totp.enabled'));
    },
  });

  const finish = () => {
    setRecoveryCodes(null);
    setup.reset();
    enable.reset();
    void queryClient.invalidateQueries({ queryKey: ['me'] });
  };

  const errorOf = (e: unknown, field: string) =>
    e instanceof ApiError ? (e.fieldError(field) ?? null) : null;
  const generalOf = (e: unknown) =>
    e && !(e instanceof ApiError && (e.problem.errors?.length ?? 0) > 0)
      ? describeError(i18n, e)
      : null;

  let body;
  if (recoveryCodes) {
    body = (
      <>
        <Alert kind="success">{t('totp.enabled')}</Alert>
        <h3>{t('totp.recoveryTitle')}</h3>
        <p>{t('totp.recoveryIntro')}</p>
        <ul className="codes" data-testid="recovery-codes">
          {recoveryCodes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <Button onClick={finish}>{t('totp.done')}</Button>
      </>
    );
  } else if (enabled) {
    body = <p>{t('totp.on')}</p>;
  } else if (setup.data) {
    body = (
      <>
        <p>{t('totp.secretIntro')}</p>
        <dl className="secrets">
          <dt>{t('totp.secret')}</dt>
          <dd className="secret" data-testid="totp-secret">
            <code>{groupInFours(setup.data.secret)}</code>
          </dd>
          <dt>{t('totp.url')}</dt>
          <dd className="otpauth">
            <code>{setup.data.otpauthUrl}</code>
          </dd>
        </dl>
        {generalOf(enable.error) ? <Alert>{generalOf(enable.error)}</Alert> : null}
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            enable.mutate();
          }}
        >
          <TextField
            id="totp-code"
            label={t('totp.code')}
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]*"
            maxLength={8}
            required
            value={code}
            error={errorOf(enable.error, 'code')}
            onChange={(e) => setCode(e.target.value)}
          />
          <div className="row">
            <Button type="submit" busy={enable.isPending}>
              {t('totp.enable')}
            </Button>
            <Button variant="link" onClick={() => setup.reset()}>
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      </>
    );
  } else {
    body = (
      <>
        <p>{t('totp.off')}</p>
        {generalOf(setup.error) ? <Alert>{generalOf(setup.error)}</Alert> : null}
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            setup.mutate();
          }}
        >
          <UsernameForPasswordManagers />
          <TextField
            id="totp-password"
            label={t('totp.password')}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            error={errorOf(setup.error, 'password')}
            onChange={(e) => setPassword(e.target.value)}
          />
          <div>
            <Button type="submit" busy={setup.isPending}>
              {t('totp.start')}
            </Button>
          </div>
        </form>
      </>
    );
  }

  return (
    <section className="card" aria-labelledby="totp-heading">
      <h2 id="totp-heading">{t('totp.title')}</h2>
      {body}
    </section>
  );
}
