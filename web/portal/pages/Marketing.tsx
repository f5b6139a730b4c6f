/**
 * The person's marketing choices in the portal:
 *
 * - /preferences: without a session, a form that mails a link (the same answer for every
 *   address); opened by that link (#token=…), the token opens a 30-minute session once and the
 *   page lists each kind and channel with a checkbox, saved at once with the words shown;
 * - /signup: the double opt-in form (address and the kinds and channels asked for);
 * - /signup/confirm#token=…: the mailed confirmation link, which grants what was asked.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import type { Lang } from '../../shared/i18n.ts';
import { Link } from '../../shared/router.tsx';
import { Alert, Button, PageHeading, QueryState, TextField } from '../../shared/ui.tsx';
import { useI18n } from '../i18n.ts';
import { useFragmentToken } from './fragment.ts';
import { problemText } from './RequestForm.tsx';

type Labels = { sv: string; fi: string; en: string };
const choiceId = (c: { kind: string; channel: string }) => `${c.kind}:${c.channel}`;

/** The words a person sees beside a choice: kept as the evidence of what they agreed to. */
function choiceText(lang: Lang, c: { label: Labels; channelLabel: Labels }): string {
  return `${c.label[lang]} (${c.channelLabel[lang]})`;
}

export function PreferencesPage() {
  const api = useApi();
  const i18n = useI18n();
  const p = i18n.t;
  const token = useFragmentToken();
  const client = useQueryClient();
  // The mailed link's token opens the session, once, before the page asks for the choices.
  const session = useQuery({
    queryKey: ['preference-session', token],
    queryFn: () => api.openPreferenceSession(token ?? ''),
    enabled: token !== null,
    retry: false,
    staleTime: Infinity,
    gcTime: Infinity,
  });
  const choices = useQuery({
    queryKey: ['preferences'],
    queryFn: () => api.preferences(),
    enabled: token === null || session.isSuccess || session.isError,
    retry: false,
  });
  const lang = i18n.lang;
  const save = useMutation({
    mutationFn: (input: { kind: string; channel: string; allow: boolean; text: string }) =>
      api.setPreferences({
        changes: [{ kind: input.kind, channel: input.channel, allow: input.allow }],
        wording: { text: input.text, language: lang },
      }),
    onSuccess: (answer) => client.setQueryData(['preferences'], answer),
  });
  const signOut = useMutation({
    mutationFn: () => api.closePreferenceSession(),
    onSuccess: () => client.removeQueries({ queryKey: ['preferences'] }),
  });

  const noSession =
    choices.error instanceof ApiError && choices.error.status === 401 && !choices.isFetching;

  return (
    <>
      <PageHeading title={p('prefs.heading')}>{p('prefs.heading')}</PageHeading>
      {session.isError ? <Alert>{p('prefs.invalid')}</Alert> : null}
      {noSession || signOut.isSuccess ? (
        <AskLink />
      ) : (
        <QueryState query={choices} loadingLabel={p('prefs.loading')}>
          {(data) => (
            <>
              <p className="portal-lead">{p('prefs.intro')}</p>
              <fieldset>
                <legend>{p('prefs.legend')}</legend>
                {data.choices.map((c) => {
                  const text = choiceText(lang, c);
                  return (
                    <div key={choiceId(c)} className="field field-check">
                      <label>
                        <input
                          type="checkbox"
                          checked={
                            c.state === 'granted' || (c.state === null && c.basis === 'opt_out')
                          }
                          disabled={save.isPending}
                          onChange={(e) =>
                            save.mutate({
                              kind: c.kind,
                              channel: c.channel,
                              allow: e.target.checked,
                              text,
                            })
                          }
                        />{' '}
                        {text}
                      </label>
                    </div>
                  );
                })}
              </fieldset>
              {save.isSuccess ? <Alert kind="success">{p('prefs.saved')}</Alert> : null}
              {save.isError ? <Alert>{problemText(i18n, save.error)}</Alert> : null}
              <p>
                <Button variant="secondary" onClick={() => signOut.mutate()}>
                  {p('prefs.signOut')}
                </Button>
              </p>
            </>
          )}
        </QueryState>
      )}
      <p>
        <Link to="/">{p('request.back')}</Link>
      </p>
    </>
  );
}

function AskLink() {
  const api = useApi();
  const i18n = useI18n();
  const p = i18n.t;
  const [email, setEmail] = useState('');
  const ask = useMutation({
    mutationFn: () => api.requestPreferenceLink({ email, lang: i18n.lang }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    ask.mutate();
  };
  if (ask.isSuccess) {
    return <Alert kind="success">{p('prefs.linkSent')}</Alert>;
  }
  return (
    <form onSubmit={submit} noValidate>
      <p>{p('prefs.askIntro')}</p>
      <TextField
        label={p('request.email')}
        type="email"
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={ask.error instanceof ApiError ? ask.error.fieldError('email') : undefined}
      />
      {ask.isError && !(ask.error instanceof ApiError && ask.error.fieldError('email')) ? (
        <Alert>{problemText(i18n, ask.error)}</Alert>
      ) : null}
      <Button type="submit" busy={ask.isPending}>
        {p('prefs.askButton')}
      </Button>
    </form>
  );
}

export function SignUpPage() {
  const api = useApi();
  const i18n = useI18n();
  const p = i18n.t;
  const lang = i18n.lang;
  const choices = useQuery({ queryKey: ['choices'], queryFn: () => api.preferenceChoices() });
  const [email, setEmail] = useState('');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const send = useMutation({
    mutationFn: () => {
      const all = choices.data?.choices ?? [];
      const chosen = all.filter((c) => picked.has(choiceId(c)));
      return api.signUp({
        email,
        lang,
        choices: chosen.map((c) => ({ kind: c.kind, channel: c.channel })),
        wording: {
          text: `${p('signup.legend')}: ${chosen.map((c) => choiceText(lang, c)).join('; ')}`,
          language: lang,
        },
      });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send.mutate();
  };
  const err = send.error instanceof ApiError ? send.error : undefined;
  return (
    <>
      <PageHeading title={p('signup.heading')}>{p('signup.heading')}</PageHeading>
      {send.isSuccess ? (
        <Alert kind="success">{p('signup.sent')}</Alert>
      ) : (
        <QueryState query={choices}>
          {(data) => (
            <form onSubmit={submit} noValidate>
              <p className="portal-lead">{p('signup.intro')}</p>
              <TextField
                label={p('request.email')}
                type="email"
                autoComplete="email"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                error={err?.fieldError('email')}
              />
              <fieldset>
                <legend>{p('signup.legend')}</legend>
                {data.choices
                  .filter((c) => c.basis === 'consent')
                  .map((c) => (
                    <div key={choiceId(c)} className="field field-check">
                      <label>
                        <input
                          type="checkbox"
                          checked={picked.has(choiceId(c))}
                          onChange={(e) => {
                            const next = new Set(picked);
                            if (e.target.checked) {
                              next.add(choiceId(c));
                            } else {
                              next.delete(choiceId(c));
                            }
                            setPicked(next);
                          }}
                        />{' '}
                        {choiceText(lang, c)}
                      </label>
                    </div>
                  ))}
              </fieldset>
              {err?.fieldError('choices') ? <Alert>{p('signup.chooseOne')}</Alert> : null}
              {send.isError && !err?.fieldError('email') && !err?.fieldError('choices') ? (
                <Alert>{problemText(i18n, send.error)}</Alert>
              ) : null}
              <Button type="submit" busy={send.isPending}>
                {p('signup.button')}
              </Button>
            </form>
          )}
        </QueryState>
      )}
    </>
  );
}

export function SignUpConfirmPage() {
  const api = useApi();
  const i18n = useI18n();
  const p = i18n.t;
  const token = useFragmentToken();
  const confirmed = useQuery({
    queryKey: ['signup-confirm', token],
    queryFn: () => api.confirmSignUp(token ?? ''),
    enabled: token !== null,
    retry: false,
    staleTime: Infinity,
    gcTime: Infinity,
  });
  return (
    <>
      <PageHeading title={p('signup.confirmHeading')}>{p('signup.confirmHeading')}</PageHeading>
      {token === null ? (
        <Alert>{p('prefs.invalid')}</Alert>
      ) : (
        <QueryState
          query={confirmed}
          loadingLabel={p('prefs.loading')}
          knownError={(e) =>
            e instanceof ApiError && (e.status === 400 || e.status === 404)
              ? p('prefs.invalid')
              : null
          }
        >
          {() => <Alert kind="success">{p('signup.confirmed')}</Alert>}
        </QueryState>
      )}
      <p>
        <Link to="/preferences">{p('prefs.heading')}</Link>
      </p>
    </>
  );
}
