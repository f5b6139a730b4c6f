/**
 * The marketing model of a definition: its channels and permission kinds with the built-in labels
 * and natures filled in, and each marketing purpose's permission resolved against them. Built once
 * when the register is loaded (register.ts); the permissions module and the data layer read it.
 */
import {
  BUILT_IN_CHANNELS,
  BUILT_IN_KINDS,
  type Audience,
  type ChannelBasis,
  type Localized,
  type PermissionNature,
  type RegisterDefinition,
} from './schema.ts';

/** The channel a ledger row on it covers every channel of its kind (a kind refused as a whole). */
export const ALL_CHANNELS = '*';

export interface MarketingChannel {
  id: string;
  label: Localized;
  /** An electronic message: to private persons only with prior consent. */
  electronic: boolean;
  /** `category.field` values the channel reaches the person at. */
  fields: ReadonlyArray<{ category: string; field: string }>;
  /**
   * The kind of address the channel reaches the person at, from the type of its fields: what a
   * direct-marketing prohibition list entry (an e-mail address or a phone number) closes.
   */
  address: 'email' | 'phone' | null;
}

export interface PermissionKind {
  id: string;
  label: Localized;
  nature: PermissionNature;
}

export interface PurposeMarketing {
  purpose: string;
  kind: string;
  nature: PermissionNature;
  audience: Audience;
  organisationCategory: string | null;
  customerCategory: string | null;
  /** Channel id → what reaching the person on it rests on. Empty for a channel-less kind. */
  channels: ReadonlyMap<string, ChannelBasis>;
  /** For a purpose with no channel: what it rests on. */
  basis: 'consent' | 'opt_out' | null;
  /** Channel id → the kind of address it reaches (e-mail, phone), for the prohibition list. */
  addresses: ReadonlyMap<string, 'email' | 'phone'>;
}

export interface MarketingModel {
  readonly channels: readonly MarketingChannel[];
  readonly kinds: readonly PermissionKind[];
  channel(id: string): MarketingChannel | undefined;
  kind(id: string): PermissionKind | undefined;
  /** The permission of a marketing purpose; undefined for a purpose that is not marketing. */
  purpose(id: string): PurposeMarketing | undefined;
  /** Every marketing purpose's permission, in definition order. */
  readonly purposes: readonly PurposeMarketing[];
  /** The channels some purpose of the kind uses (what the ledger may hold for it, besides `*`). */
  channelsOfKind(kind: string): readonly string[];
}

const builtInChannel = (id: string) =>
  (BUILT_IN_CHANNELS as Record<string, { electronic: boolean; label: Localized } | undefined>)[id];
const builtInKind = (id: string) =>
  (BUILT_IN_KINDS as Record<string, { nature: PermissionNature; label: Localized } | undefined>)[
    id
  ];

/**
 * The model of a definition. Tolerant of a definition that fails its cross-checks (an unknown
 * channel or kind is left out, a missing label falls back to the id), so that `check` can use it
 * while it reports what is wrong.
 */
export function resolveMarketing(def: RegisterDefinition): MarketingModel {
  const section = def.marketing ?? { channels: [], kinds: [] };
  const typeOf = (category: string, field: string) =>
    def.categories.find((c) => c.id === category)?.fields.find((f) => f.id === field)?.type;
  const channels: MarketingChannel[] = section.channels.map((c) => {
    const b = builtInChannel(c.id);
    const label = c.label ?? b?.label ?? { sv: c.id, fi: c.id, en: c.id };
    const fields = c.fields.map((f) => {
      const [category = '', field = ''] = f.split('.');
      return { category, field };
    });
    const types = fields.map((f) => typeOf(f.category, f.field));
    return {
      id: c.id,
      label,
      electronic: c.electronic ?? b?.electronic ?? true,
      fields,
      address: types.includes('email') ? 'email' : types.includes('phone') ? 'phone' : null,
    };
  });
  const kinds: PermissionKind[] = section.kinds.map((k) => {
    const b = builtInKind(k.id);
    return {
      id: k.id,
      label: k.label ?? b?.label ?? { sv: k.id, fi: k.id, en: k.id },
      nature: k.nature ?? b?.nature ?? 'direct_marketing',
    };
  });
  const channelById = new Map(channels.map((c) => [c.id, c]));
  const kindById = new Map(kinds.map((k) => [k.id, k]));
  const purposes: PurposeMarketing[] = [];
  for (const p of def.purposes) {
    const perm = p.permission;
    const kind = perm ? kindById.get(perm.kind) : undefined;
    if (!perm || !kind) {
      continue;
    }
    purposes.push({
      purpose: p.id,
      kind: kind.id,
      nature: kind.nature,
      audience: perm.audience,
      organisationCategory: perm.organisationCategory ?? null,
      customerCategory: perm.customerCategory ?? null,
      channels: new Map(
        perm.channels.filter((c) => channelById.has(c.channel)).map((c) => [c.channel, c.basis]),
      ),
      basis: perm.channels.length === 0 ? (perm.basis ?? 'consent') : null,
      addresses: new Map(
        perm.channels.flatMap((c) => {
          const address = channelById.get(c.channel)?.address;
          return address ? [[c.channel, address] as const] : [];
        }),
      ),
    });
  }
  const byPurpose = new Map(purposes.map((p) => [p.purpose, p]));
  const kindChannels = new Map<string, string[]>();
  for (const p of purposes) {
    const list = kindChannels.get(p.kind) ?? [];
    for (const c of p.channels.keys()) {
      if (!list.includes(c)) {
        list.push(c);
      }
    }
    kindChannels.set(p.kind, list);
  }
  return {
    channels,
    kinds,
    channel: (id) => channelById.get(id),
    kind: (id) => kindById.get(id),
    purpose: (id) => byPurpose.get(id),
    purposes,
    channelsOfKind: (kind) => kindChannels.get(kind) ?? [],
  };
}
