-- 0001-init.sql - printers, their registration operations and printer shares.
-- Forward-only: later migrations (0002 print jobs, documents, ...) add tables and columns and
-- never edit this file. store.c runs each file in its own transaction and then sets
-- PRAGMA user_version to the file's number; no BEGIN/COMMIT here.
-- Conventions: ids are lower-case GUID TEXT; every object row has tenant_id; times are INTEGER
-- 100-ns ticks since 1970 (up_time_t), NULL for a null time; JSON values are canonical TEXT;
-- nullable booleans are INTEGER 0/1/NULL; enums are their Graph member names as TEXT.
-- SPDX-License-Identifier: Apache-2.0

-- microsoft.graph.printer (printerBase members included). isShared is derived from shares.
CREATE TABLE printers (
  id                    TEXT PRIMARY KEY NOT NULL,
  tenant_id             TEXT NOT NULL,
  display_name          TEXT NOT NULL,
  manufacturer          TEXT,
  model                 TEXT,
  is_accepting_jobs     INTEGER CHECK (is_accepting_jobs IN (0, 1)),
  has_physical_device   INTEGER NOT NULL DEFAULT 0 CHECK (has_physical_device IN (0, 1)),
  physical_device_id    TEXT,
  connector_id          TEXT,
  registered_by_app     TEXT,
  registered_by_user    TEXT,
  registered_at         INTEGER NOT NULL,
  last_seen_at          INTEGER,
  status_json           TEXT NOT NULL,
  location_json         TEXT,
  defaults_json         TEXT,
  factory_defaults_json TEXT,
  capabilities_json     TEXT
);
-- Tenant lookups and the list order (registered_at, id).
CREATE INDEX printers_tenant ON printers (tenant_id, registered_at, id);

-- microsoft.graph.printerShare: at most one per printer; deleting the printer deletes it.
CREATE TABLE shares (
  id              TEXT PRIMARY KEY NOT NULL,
  tenant_id       TEXT NOT NULL,
  printer_id      TEXT NOT NULL UNIQUE REFERENCES printers (id) ON DELETE CASCADE,
  display_name    TEXT,
  allow_all_users INTEGER NOT NULL DEFAULT 0 CHECK (allow_all_users IN (0, 1)),
  created_at      INTEGER NOT NULL
);
-- Tenant lookups and the list order (created_at, id).
CREATE INDEX shares_tenant ON shares (tenant_id, created_at, id);

-- microsoft.graph.printerCreateOperation. printer_id is NULL until the printer exists and
-- again after it is deleted; the operation itself stays.
CREATE TABLE operations (
  id          TEXT PRIMARY KEY NOT NULL,
  tenant_id   TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('notStarted', 'running', 'succeeded', 'failed')),
  description TEXT,
  printer_id  TEXT REFERENCES printers (id) ON DELETE SET NULL,
  certificate TEXT
);
-- Tenant lookups and the list order (created_at, id).
CREATE INDEX operations_tenant ON operations (tenant_id, created_at, id);
-- The foreign key's child index (ON DELETE SET NULL looks operations up by printer).
CREATE INDEX operations_printer ON operations (printer_id);
