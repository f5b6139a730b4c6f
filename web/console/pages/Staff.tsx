/**
 * Staff accounts and roles: who may sign in and with which role, a new account with its one-time
 * password shown once, role changes, disabling and enabling, and what each role may do.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../../shared/api.ts';
import type { Definition, Role, Staff } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { actionLabel } from '../labels.ts';
import { useI18n } from '../i18n.ts';
import type { I18n } from '../i18n.ts';
import {
  Alert,
  Badge,
  Button,
  DataTable,
  Dialog,
  PageHeading,
  QueryState,
  SelectField,
  TextField,
  type Column,
  describeError,
  useAnnounce,
} from '../../shared/ui.tsx';
import { useDefinition, useSession } from '../session.tsx';

export function StaffPage() {
  const api = useApi();
  const { t } = useI18n();
  const staff = useQuery({ queryKey: ['staff'], queryFn: () => api.listStaff() });
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => api.roles() });
  const definition = useDefinition();
  const roleList = roles.data?.items ?? [];

  return (
    <section className="page">
      <PageHeading title={t('staff.title')}>{t('staff.title')}</PageHeading>

      <h2>{t('staff.list')}</h2>
      <QueryState query={staff}>
        {(list) => <StaffTable items={list.items} roles={roleList} />}
      </QueryState>

      <h2>{t('staff.create')}</h2>
      <QueryState query={roles}>{(r) => <CreateStaff roles={r.items} />}</QueryState>

      <h2>{t('staff.roles')}</h2>
      {roles.data ? <RolesTable roles={roles.data.items} def={definition.data} /> : null}
    </section>
  );
}

function roleName(i18n: I18n, roles: Role[], id: string): string {
  const r = roles.find((x) => x.id === id);
  return r ? i18n.loc(r.label, id) : id;
}

function StaffTable({ items, roles }: { items: Staff[]; roles: Role[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  const me = useSession();
  const columns: Column<Staff>[] = [
    {
      id: 'username',
      header: t('col.username'),
      rowHeader: true,
      cell: (s) => (
        <>
          <span className="mono">{s.username}</span>
          {s.id === me.staff.id ? <span className="muted"> ({t('common.you')})</span> : null}
        </>
      ),
    },
    { id: 'displayName', header: t('col.displayName'), cell: (s) => s.displayName },
    { id: 'role', header: t('col.role'), cell: (s) => roleName(i18n, roles, s.role) },
    {
      id: 'email',
      header: t('col.email'),
      cell: (s) =>
        s.email ? (
          <span className="mono">
            {s.email}
            {s.lang ? ` (${s.lang})` : ''}
          </span>
        ) : (
          <span className="muted">{t('common.none')}</span>
        ),
    },
    {
      id: 'twoFactor',
      header: t('col.twoFactor'),
      cell: (s) =>
        s.totpEnabled ? (
          <Badge kind="success">{t('common.on')}</Badge>
        ) : (
          <Badge kind="warning">{t('common.off')}</Badge>
        ),
    },
    { id: 'status', header: t('col.status'), cell: (s) => <StaffStatus staff={s} /> },
    {
      id: 'actions',
      header: t('col.actions'),
      cell: (s) => <StaffActions staff={s} roles={roles} />,
    },
  ];
  return (
    <DataTable
      label={t('staff.list')}
      className="staff-table"
      columns={columns}
      rows={items}
      rowKey={(s) => s.id}
      rowClassName={(s) => (s.disabledAt ? 'row-muted' : undefined)}
    />
  );
}

function StaffStatus({ staff }: { staff: Staff }) {
  const i18n = useI18n();
  const { t } = i18n;
  const locked = staff.lockedUntil !== null && new Date(staff.lockedUntil) > new Date();
  if (staff.disabledAt) {
    return <Badge kind="danger">{t('staff.disabled')}</Badge>;
  }
  return locked ? (
    <Badge kind="warning">
      {t('staff.lockedUntil', { time: i18n.dateTime(staff.lockedUntil) })}
    </Badge>
  ) : (
    <Badge>{t('staff.active')}</Badge>
  );
}

function StaffActions({ staff, roles }: { staff: Staff; roles: Role[] }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const i18n = useI18n();
  const { t } = i18n;
  const announce = useAnnounce();
  const [role, setRole] = useState(staff.role);
  const [mailOpen, setMailOpen] = useState(false);

  const update = useMutation({
    mutationFn: (patch: { role?: string; disabled?: boolean }) => api.updateStaff(staff.id, patch),
    onSuccess: async (updated, patch) => {
      if (patch.role !== undefined) {
        announce(
          t('staff.roleChanged', {
            name: updated.displayName,
            role: roleName(i18n, roles, updated.role),
          }),
        );
      } else if (patch.disabled !== undefined) {
        announce(
          t(patch.disabled ? 'staff.disabledDone' : 'staff.enabledDone', {
            name: updated.displayName,
          }),
        );
      }
      await queryClient.invalidateQueries({ queryKey: ['staff'] });
    },
  });

  const selectId = `role-${staff.id}`;

  return (
    <>
      <form
        className="row-actions"
        onSubmit={(e) => {
          e.preventDefault();
          update.mutate({ role });
        }}
      >
        <label className="visually-hidden" htmlFor={selectId}>
          {t('staff.roleFor', { name: staff.username })}
        </label>
        <select id={selectId} value={role} onChange={(e) => setRole(e.target.value)}>
          {roles.map((r) => (
            <option key={r.id} value={r.id}>
              {i18n.loc(r.label, r.id)}
            </option>
          ))}
        </select>
        <Button
          type="submit"
          variant="secondary"
          disabled={role === staff.role}
          busy={update.isPending && update.variables?.role !== undefined}
        >
          {t('staff.changeRole')}
        </Button>
        <Button
          variant="secondary"
          aria-label={`${t('staff.mailSettings')}: ${staff.username}`}
          onClick={() => setMailOpen(true)}
        >
          {t('staff.mailSettings')}
        </Button>
        <Button
          variant={staff.disabledAt ? 'secondary' : 'danger'}
          busy={update.isPending && update.variables?.disabled !== undefined}
          aria-label={`${t(staff.disabledAt ? 'staff.enable' : 'staff.disable')}: ${staff.username}`}
          onClick={() => update.mutate({ disabled: !staff.disabledAt })}
        >
          {t(staff.disabledAt ? 'staff.enable' : 'staff.disable')}
        </Button>
      </form>
      {update.isError ? <Alert>{describeError(i18n, update.error)}</Alert> : null}
      <Dialog
        open={mailOpen}
        title={t('staff.mailSettingsOf', { name: staff.username })}
        onClose={() => setMailOpen(false)}
      >
        {mailOpen ? <MailSettings staff={staff} onDone={() => setMailOpen(false)} /> : null}
      </Dialog>
    </>
  );
}

/** A member's e-mail address and mail language: where the requests digest goes. */
function MailSettings({ staff, onDone }: { staff: Staff; onDone: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const i18n = useI18n();
  const { t } = i18n;
  const announce = useAnnounce();
  const [email, setEmail] = useState(staff.email ?? '');
  const [lang, setLang] = useState<'' | 'sv' | 'fi' | 'en'>(staff.lang ?? '');
  const save = useMutation({
    mutationFn: () =>
      api.updateStaff(staff.id, { email: email.trim() || null, lang: lang || null }),
    onSuccess: async (updated) => {
      announce(t('staff.mailSaved', { name: updated.username }));
      await queryClient.invalidateQueries({ queryKey: ['staff'] });
      onDone();
    },
  });
  const fieldError = (f: string) =>
    save.error instanceof ApiError ? (save.error.fieldError(f) ?? null) : null;
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <TextField
        id={`email-${staff.id}`}
        label={t('staff.email')}
        name="email"
        type="email"
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        value={email}
        error={fieldError('email')}
        onChange={(e) => setEmail(e.target.value)}
      />
      <SelectField
        id={`lang-${staff.id}`}
        label={t('staff.lang')}
        name="lang"
        value={lang}
        error={fieldError('lang')}
        onChange={(e) => setLang(e.target.value as '' | 'sv' | 'fi' | 'en')}
      >
        <option value="">{t('staff.langUnknown')}</option>
        <option value="sv">svenska</option>
        <option value="fi">suomi</option>
        <option value="en">English</option>
      </SelectField>
      <div>
        <Button type="submit" busy={save.isPending}>
          {t('staff.mailSave')}
        </Button>
      </div>
    </form>
  );
}

function CreateStaff({ roles }: { roles: Role[] }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const i18n = useI18n();
  const { t } = i18n;
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState(roles[0]?.id ?? '');
  const [email, setEmail] = useState('');
  const [lang, setLang] = useState<'' | 'sv' | 'fi' | 'en'>('');
  const [created, setCreated] = useState<{ staff: Staff; password: string } | null>(null);

  const create = useMutation({
    mutationFn: () =>
      api.createStaff({
        username: username.trim(),
        displayName: displayName.trim(),
        role,
        ...(email.trim() ? { email: email.trim() } : {}),
        ...(lang ? { lang } : {}),
      }),
    onSuccess: async (result) => {
      setCreated(result);
      setUsername('');
      setDisplayName('');
      setEmail('');
      setLang('');
      await queryClient.invalidateQueries({ queryKey: ['staff'] });
    },
  });
  const fieldError = (f: string) =>
    create.error instanceof ApiError ? (create.error.fieldError(f) ?? null) : null;
  const general =
    create.error &&
    !(create.error instanceof ApiError && (create.error.problem.errors?.length ?? 0) > 0)
      ? describeError(i18n, create.error)
      : null;

  return (
    <>
      <form
        className="card stack create-staff"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        {general ? <Alert>{general}</Alert> : null}
        <div className="grid-3">
          <TextField
            id="new-username"
            label={t('staff.username')}
            name="username"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            error={fieldError('username')}
            onChange={(e) => setUsername(e.target.value)}
          />
          <TextField
            id="new-display-name"
            label={t('staff.displayName')}
            name="displayName"
            autoComplete="off"
            required
            value={displayName}
            error={fieldError('displayName')}
            onChange={(e) => setDisplayName(e.target.value)}
          />
          <SelectField
            id="new-role"
            label={t('staff.role')}
            name="role"
            required
            value={role}
            error={fieldError('role')}
            onChange={(e) => setRole(e.target.value)}
          >
            {roles.map((r) => (
              <option key={r.id} value={r.id}>
                {i18n.loc(r.label, r.id)}
              </option>
            ))}
          </SelectField>
          <TextField
            id="new-email"
            label={t('staff.email')}
            name="email"
            type="email"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={email}
            error={fieldError('email')}
            onChange={(e) => setEmail(e.target.value)}
          />
          <SelectField
            id="new-lang"
            label={t('staff.lang')}
            name="lang"
            value={lang}
            error={fieldError('lang')}
            onChange={(e) => setLang(e.target.value as '' | 'sv' | 'fi' | 'en')}
          >
            <option value="">{t('staff.langUnknown')}</option>
            <option value="sv">svenska</option>
            <option value="fi">suomi</option>
            <option value="en">English</option>
          </SelectField>
        </div>
        <div>
          <Button type="submit" busy={create.isPending}>
            {t('staff.createSubmit')}
          </Button>
        </div>
      </form>
      <Dialog open={created !== null} title={t('staff.created')} onClose={() => setCreated(null)}>
        {created ? (
          <>
            <p>{t('staff.passwordOnce', { name: created.staff.username })}</p>
            <dl className="secrets">
              <dt>{t('staff.oneTimePassword')}</dt>
              <dd className="secret" data-testid="one-time-password">
                <code>{created.password}</code>
              </dd>
            </dl>
          </>
        ) : null}
      </Dialog>
    </>
  );
}

function RolesTable({ roles, def }: { roles: Role[]; def: Definition | undefined }) {
  const i18n = useI18n();
  const { t, loc } = i18n;
  const purposeNames = (ids: string[]) => {
    if (ids.includes('*')) {
      return t('common.all');
    }
    if (ids.length === 0) {
      return t('common.none');
    }
    return ids.map((id) => loc(def?.purposes.find((p) => p.id === id)?.label, id)).join(', ');
  };
  const columns: Column<Role>[] = [
    { id: 'id', header: t('col.id'), rowHeader: true, cell: (r) => <code>{r.id}</code> },
    { id: 'label', header: t('col.label'), cell: (r) => loc(r.label, r.id) },
    {
      id: 'readable',
      header: t('col.readable'),
      className: 'wrap',
      cell: (r) => purposeNames(r.read),
    },
    {
      id: 'writable',
      header: t('col.writable'),
      className: 'wrap',
      cell: (r) => purposeNames(r.write),
    },
    {
      id: 'actions',
      header: t('col.roleActions'),
      className: 'wrap',
      cell: (r) =>
        r.actions.length > 0
          ? r.actions.map((a) => actionLabel(i18n, a)).join(', ')
          : t('common.none'),
    },
  ];
  return (
    <DataTable
      label={t('staff.roles')}
      className="roles-table"
      columns={columns}
      rows={roles}
      rowKey={(r) => r.id}
    />
  );
}
