/**
 * `/api/analytics/{models,reviewers,agreement,costs}` (docs/API.md): figures across runs. Every
 * figure is an `Estimate` with its sample size and a `small_sample` flag; members get their own
 * runs only, administrators and auditors everyone's (and may filter by user).
 */
import { queryString, request } from './client';
import type { components } from './schema';
import type { JsonResponse } from './types';

type Schemas = components['schemas'];

export type Estimate = Schemas['Estimate'];
export type ModelsReport = JsonResponse<'/api/analytics/models', 'get'>;
export type ReviewersReport = JsonResponse<'/api/analytics/reviewers', 'get'>;
export type AgreementReport = JsonResponse<'/api/analytics/agreement', 'get'>;
export type CostsReport = JsonResponse<'/api/analytics/costs', 'get'>;
export type AnswererRow = Schemas['AnswererRow'];
export type ReviewerRow = Schemas['ReviewerRow'];
export type ReviewerAgreement = Schemas['ReviewerAgreement'];
export type GroupAgreement = Schemas['GroupAgreement'];
export type ModelCostRow = Schemas['ModelCostRow'];
export type PresetCostRow = Schemas['PresetCostRow'];
export type AgreementPeriod = AgreementReport['period'];

/** The filters every report takes; unset ones are left out of the query. */
export interface AnalyticsFilters {
  preset?: string;
  model?: string;
  /** ISO 8601, inclusive. */
  since?: string;
  /** ISO 8601, exclusive. */
  until?: string;
  /** Administrators and auditors only. */
  userId?: string;
}

export interface AnalyticsReports {
  models: ModelsReport;
  reviewers: ReviewersReport;
  agreement: AgreementReport;
  costs: CostsReport;
}

function query(filters: AnalyticsFilters, extra: Record<string, string> = {}): string {
  return queryString({
    preset: filters.preset,
    model: filters.model,
    since: filters.since,
    until: filters.until,
    user_id: filters.userId,
    ...extra,
  });
}

export const analyticsApi = {
  models(filters: AnalyticsFilters): Promise<ModelsReport> {
    return request<ModelsReport>(`/api/analytics/models${query(filters)}`);
  },
  reviewers(filters: AnalyticsFilters): Promise<ReviewersReport> {
    return request<ReviewersReport>(`/api/analytics/reviewers${query(filters)}`);
  },
  agreement(filters: AnalyticsFilters, period: AgreementPeriod): Promise<AgreementReport> {
    return request<AgreementReport>(`/api/analytics/agreement${query(filters, { period })}`);
  },
  costs(filters: AnalyticsFilters): Promise<CostsReport> {
    return request<CostsReport>(`/api/analytics/costs${query(filters)}`);
  },
  /** The four reports for the same filters, fetched side by side. */
  async all(filters: AnalyticsFilters, period: AgreementPeriod): Promise<AnalyticsReports> {
    const [models, reviewers, agreement, costs] = await Promise.all([
      analyticsApi.models(filters),
      analyticsApi.reviewers(filters),
      analyticsApi.agreement(filters, period),
      analyticsApi.costs(filters),
    ]);
    return { models, reviewers, agreement, costs };
  },
};
