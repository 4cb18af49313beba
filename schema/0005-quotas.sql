-- 0005-quotas.sql - an index for the per-user quotas (--job-quota, --max-upload-sessions):
-- a user's jobs of a tenant by creation time. Application jobs (no user) are left out.
-- Forward-only, like 0001-init.sql (whose conventions hold here too): store.c runs this file in
-- one transaction and then sets PRAGMA user_version to 5; no BEGIN/COMMIT here.
-- SPDX-License-Identifier: Apache-2.0

CREATE INDEX jobs_creator ON jobs (tenant_id, created_by_id, created_at)
  WHERE created_by_id IS NOT NULL;
