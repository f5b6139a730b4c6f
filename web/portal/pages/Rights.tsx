/**
 * The summary's rights section (GET /definition `rights`): the rights offered here with any
 * qualification, and the ways to use them: this portal, e-mail, a letter, in person, each with
 * the identity proof it needs and the controller's instructions.
 */
import type { Definition } from '../../shared/api.ts';
import { Link } from '../../shared/router.tsx';
import { knownText, useI18n } from '../i18n.ts';

type Channel = Definition['rights']['channels'][number];

export function Rights({ def }: { def: Definition }) {
  const i18n = useI18n();
  const { loc } = i18n;
  const p = i18n.t;
  const hasPortal = def.rights.channels.some((c) => c.kind === 'portal');
  return (
    <section aria-labelledby="rights-heading">
      <h2 id="rights-heading">{p('rights.heading')}</h2>
      <p>{p('rights.intro')}</p>
      <ul className="portal-list">
        {def.rights.offered.map((r) => (
          <li key={r.right}>
            <strong>{knownText(i18n, 'right', r.right)}</strong>
            {r.qualification ? <p className="muted">{loc(r.qualification)}</p> : null}
          </li>
        ))}
      </ul>
      <h3>{p('rights.channels')}</h3>
      {def.rights.channels.map((c, i) => (
        <ChannelCard key={`${c.kind}-${i}`} channel={c} portal={hasPortal} />
      ))}
      <p>
        {p('rights.authority', { name: loc(def.supervisoryAuthority.name) })}{' '}
        <a href={def.supervisoryAuthority.website} rel="noreferrer">
          {def.supervisoryAuthority.website}
        </a>
      </p>
    </section>
  );
}

function ChannelCard({ channel: c, portal }: { channel: Channel; portal: boolean }) {
  const i18n = useI18n();
  const { loc } = i18n;
  const p = i18n.t;
  return (
    <article className="card" aria-label={knownText(i18n, 'channel', c.kind)}>
      <p className="portal-channel">{knownText(i18n, 'channel', c.kind)}</p>
      {c.kind === 'portal' && portal ? (
        <p className="portal-actions">
          <Link to="/requests/new" className="button button-primary">
            {p('portal.makeRequest')}
          </Link>
          <Link to="/requests/download" className="button button-secondary">
            {p('download.heading')}
          </Link>
        </p>
      ) : null}
      <dl className="portal-facts">
        {c.email ? (
          <>
            <dt>{p('portal.email')}</dt>
            <dd>
              <a href={`mailto:${c.email}`}>{c.email}</a>
            </dd>
          </>
        ) : null}
        {c.phone ? (
          <>
            <dt>{p('portal.phone')}</dt>
            <dd>{c.phone}</dd>
          </>
        ) : null}
        {c.address ? (
          <>
            <dt>{p('rights.address')}</dt>
            <dd>
              <address>
                {c.address.recipient ? (
                  <>
                    {c.address.recipient}
                    <br />
                  </>
                ) : null}
                {c.address.street}
                <br />
                {c.address.postalCode} {c.address.city}
              </address>
            </dd>
          </>
        ) : null}
        <dt>{p('rights.proof')}</dt>
        <dd>{i18n.list(c.proof.map((proof) => knownText(i18n, 'proof', proof)))}</dd>
      </dl>
      {c.instructions ? <p>{loc(c.instructions)}</p> : null}
    </article>
  );
}
