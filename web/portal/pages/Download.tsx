/**
 * The download page. Without a token it asks for the request number and the address and mails a
 * fresh single-use link (30 minutes) when the copy is ready; the answer is the same either way.
 * Opened from that link (/requests/download#token=…) it offers the copy: one press downloads the
 * ZIP, once.
 */
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { Link, useRouter } from '../../shared/router.tsx';
import { Alert, Button, PageHeading, TextField } from '../../shared/ui.tsx';
import { useI18n } from '../i18n.ts';
import { useFragmentToken } from './fragment.ts';
import { problemText } from './RequestForm.tsx';

export function DownloadPage() {
  const p = useI18n().t;
  const token = useFragmentToken();
  return (
    <>
      <PageHeading title={p('download.heading')}>{p('download.heading')}</PageHeading>
      {token ? <DownloadWithToken key={token} token={token} /> : <AskForLink />}
      <p>
        <Link to="/">{p('request.back')}</Link>
      </p>
    </>
  );
}

function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function DownloadWithToken({ token }: { token: string }) {
  const api = useApi();
  const i18n = useI18n();
  const p = i18n.t;
  const download = useMutation({
    mutationFn: () => api.downloadAccessCopy(token),
    onSuccess: ({ blob, filename }) => save(blob, filename),
  });
  if (download.isSuccess) {
    return <Alert kind="success">{p('download.done')}</Alert>;
  }
  return (
    <>
      <p className="portal-lead">{p('download.ready')}</p>
      {download.error ? (
        <Alert>
          {download.error instanceof ApiError && download.error.status !== 429
            ? p('download.invalid')
            : problemText(i18n, download.error)}
        </Alert>
      ) : null}
      {download.error instanceof ApiError && download.error.status !== 429 ? (
        <p>
          <Link to="/requests/download">{p('download.again')}</Link>
        </p>
      ) : (
        <Button busy={download.isPending} onClick={() => download.mutate()}>
          {p('download.button')}
        </Button>
      )}
    </>
  );
}

function AskForLink() {
  const api = useApi();
  const i18n = useI18n();
  const p = i18n.t;
  const { location } = useRouter();
  const [request, setRequest] = useState(location.query.get('request') ?? '');
  const [email, setEmail] = useState('');
  const ask = useMutation({
    mutationFn: () =>
      api.requestDownloadLink({
        request: request.trim(),
        email: email.trim(),
        lang: i18n.lang,
      }),
  });
  const fieldError = (field: string) =>
    ask.error instanceof ApiError ? (ask.error.fieldError(field) ?? null) : null;
  if (ask.isSuccess) {
    return <Alert kind="success">{p('download.sent')}</Alert>;
  }
  return (
    <form
      className="stack request-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        ask.mutate();
      }}
    >
      <p className="portal-lead">{p('download.intro')}</p>
      {ask.error ? <Alert>{problemText(i18n, ask.error)}</Alert> : null}
      <TextField
        label={p('download.request')}
        hint={p('download.requestHint')}
        value={request}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => setRequest(e.target.value)}
        error={fieldError('request')}
      />
      <TextField
        label={p('request.email')}
        type="email"
        autoComplete="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldError('email')}
      />
      <div className="row-actions">
        <Button type="submit" busy={ask.isPending}>
          {p('download.ask')}
        </Button>
      </div>
    </form>
  );
}
