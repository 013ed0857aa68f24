/** The catalogue as the picker uses it: search, order, and the council being composed. */
import type { CatalogueModel } from '../../api/types';

/** Every word of `query` in the model's id or name (case-insensitive), as `GET /api/models?q=`. */
export function matchesQuery(model: Pick<CatalogueModel, 'id' | 'name'>, query: string): boolean {
  const haystack = `${model.id} ${model.name}`.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((term) => haystack.includes(term));
}

/** Chosen models first (in council order), then current ones by id, retired ones last. */
export function orderModels(models: CatalogueModel[], chosen: readonly string[], query: string): CatalogueModel[] {
  const picked = [...new Set(chosen)]
    .map((id) => models.find((m) => m.id === id))
    .filter((m): m is CatalogueModel => !!m);
  const rest = models
    .filter((m) => !chosen.includes(m.id) && matchesQuery(m, query))
    .sort((a, b) => Number(a.expired) - Number(b.expired) || a.id.localeCompare(b.id));
  return [...picked, ...rest];
}

export interface Composition {
  members: string[];
  chairman: string;
}

/** Adds or removes a member; the first member becomes chairman when there is none yet. */
export function toggleMember(council: Composition, id: string): Composition {
  const members = council.members.includes(id) ? council.members.filter((m) => m !== id) : [...council.members, id];
  const chairman = council.chairman || members[0] || '';
  return { members, chairman };
}

/** What is wrong with a council before it can be used or saved; null when nothing. */
export function councilProblem(council: Composition, retired: ReadonlySet<string>): string | null {
  if (council.members.length === 0) return 'Choose at least one member.';
  if (!council.chairman) return 'Choose a chairman.';
  const gone = [...council.members, council.chairman].filter((m) => retired.has(m));
  if (gone.length) return `Retired by the provider: ${[...new Set(gone)].join(', ')}.`;
  return null;
}
